"""The engine: the public facade over lifecycles, rules, plugins, store and audit."""

from ._engine import Engine

__all__ = ["Engine"]
