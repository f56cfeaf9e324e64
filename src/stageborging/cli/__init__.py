"""The ``stageborging`` command: a thin layer over the public API (parse, call, render).

One module per command or group: ``_app`` (the root group, error handling,
logging), ``_demo``, ``_audit``, ``_lifecycle``, ``_plugins`` and
``_new_plugin``; ``_options`` holds what they share (``--db``, ``--block``,
``--config`` and the registry they build).
"""

from ._app import main

__all__ = ["main"]
