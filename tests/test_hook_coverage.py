"""Every hook has tests of its own (the docs test checks each is documented)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stageborging import hookspecs

HOOKS = sorted(name for name in hookspecs.__all__ if name.startswith("stageborging_"))
TESTS = [p for p in Path(__file__).parent.glob("test_*.py") if p.name != "test_docs.py"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_implemented_in_a_test(hook: str) -> None:
    """A test module implements the hook, so its contract is exercised, not just documented."""
    implementing = [p.name for p in TESTS if f"def {hook}(" in p.read_text(encoding="utf-8")]
    assert implementing, f"no test implements {hook}"


def test_the_spec_module_lists_every_hook() -> None:
    """hookspecs.__all__ names every spec, so the checks above see them all."""
    specs = {name for name in dir(hookspecs) if name.startswith("stageborging_")}
    assert set(HOOKS) == specs
