"""The engine: the public facade over lifecycles, rules, plugins, store and audit."""

from ._batch import Batch
from ._cascades import CascadeReport
from ._engine import Engine
from ._patterns import PatternRun
from ._registry import Registry
from ._safeguarding import RegisterImport
from ._ticks import TickReport

__all__ = [
    "Batch",
    "CascadeReport",
    "Engine",
    "PatternRun",
    "RegisterImport",
    "Registry",
    "TickReport",
]
