"""The ``email`` plugin: registered by the ``stageborging`` entry point, or given as
``Engine(plugins=[stageborging_email.plugin])``.

It keeps no state of its own: each time a dispatcher starts, ``stageborging_channels``
reads this engine's settings from ``plugin_config`` and offers a channel built from them,
so one process may serve engines with different servers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stageborging import hookimpl

from .channel import EmailChannel
from .settings import Settings

#: The name the plugin is registered and configured under (the ``[email]`` table).
name = "email"


@hookimpl
def stageborging_channels(plugin_config: Mapping[str, Any]) -> list[EmailChannel]:
    """The e-mail channel of these settings; none without an ``[email]`` table:
    installed but not configured, the plugin offers nothing, so the dispatcher still
    delivers on the other channels.

    Raises:
        InvalidInput: a setting is missing or off, naming it (``email.host``); the
            dispatcher does not start.
    """
    if not plugin_config:
        return []
    return [EmailChannel(Settings.of(plugin_config))]
