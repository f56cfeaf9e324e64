"""The ``stageborging`` command: a thin layer over the public API (parse, call, render)."""

from ._main import main

__all__ = ["main"]
