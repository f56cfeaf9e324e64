"""What the plugin host reports about plugins: their status, and the ones not loaded."""

from __future__ import annotations

from attrs import field, frozen

from ._convert import as_tuple

__all__ = ["PluginProblem", "PluginStatus"]


@frozen
class PluginStatus:
    """A registered plugin as ``stageborging plugins`` lists it.

    Attributes:
        name: The name it is registered under (an entry point's name).
        version: Its distribution's version.
        source: ``built-in``, ``explicit`` (passed to the engine) or ``entry point``.
        hooks: The hooks it implements.
    """

    name: str
    version: str
    source: str
    hooks: tuple[str, ...] = field(converter=as_tuple)


@frozen
class PluginProblem:
    """A plugin that was not loaded, and why (an import error, a block list)."""

    name: str
    problem: str
