"""The built-in lifecycle definitions (DOMAIN.md §4 and §5).

Each is built on first use and cached: ``mbo_bpv()``, ``hbo_stage()`` and
``case()``. :func:`builtin` returns all of them.
"""

from __future__ import annotations

from .._lifecycle import LifecycleDefinition
from .case import case
from .internship import hbo_stage, mbo_bpv

__all__ = ["builtin", "case", "hbo_stage", "mbo_bpv"]


def builtin() -> tuple[LifecycleDefinition, ...]:
    """Every built-in definition, internship variants first."""
    return (mbo_bpv(), hbo_stage(), case())
