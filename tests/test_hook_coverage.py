"""Every hook has tests of its own (the docs test checks each is documented).

A test that exercises a hook says so with ``@pytest.mark.hook("stageborging_...")``
(the marker is registered in pyproject.toml); this module imports every test
module and reads the markers. The hooks come from :mod:`stageborging.hookspecs`,
so a new hook fails here until a test is marked for it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from stageborging import hookspecs

HOOKS = sorted(
    name
    for name, spec in vars(hookspecs).items()
    if name.startswith("stageborging_") and inspect.isfunction(spec)
)
MODULES = sorted(p.stem for p in Path(__file__).parent.glob("test_*.py"))


def _marks(obj: Any) -> list[pytest.Mark]:
    marks = getattr(obj, "pytestmark", [])
    return list(marks) if isinstance(marks, list) else [marks]


def _tests(module: ModuleType) -> Iterator[tuple[str, list[pytest.Mark]]]:
    """Each test of *module* (functions, and methods of Test classes) with its marks."""
    here = _marks(module)
    for name, obj in vars(module).items():
        if name.startswith("test") and inspect.isfunction(obj):
            yield f"{module.__name__}::{name}", here + _marks(obj)
        elif name.startswith("Test") and inspect.isclass(obj):
            for method, function in vars(obj).items():
                if method.startswith("test") and inspect.isfunction(function):
                    marks = here + _marks(obj) + _marks(function)
                    yield f"{module.__name__}::{name}::{method}", marks


def _exercised() -> dict[str, list[str]]:
    """Hook name -> the tests marked as exercising it."""
    found: dict[str, list[str]] = {}
    for module in MODULES:
        for test, marks in _tests(importlib.import_module(module)):
            for mark in marks:
                if mark.name == "hook":
                    for hook in mark.args:
                        found.setdefault(hook, []).append(test)
    return found


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_exercised_by_a_test(hook: str) -> None:
    """A test marked ``hook(name)`` calls the hook: its contract is tested, not just documented."""
    assert _exercised().get(hook), f"no test is marked @pytest.mark.hook({hook!r})"


def test_every_hook_marker_names_a_hook() -> None:
    """A marker with a misspelt or removed hook name would count for nothing."""
    assert set(_exercised()) <= set(HOOKS)


def test_the_spec_module_lists_every_hook() -> None:
    """hookspecs.__all__ names every spec, so the plugin guide and the checks see them all."""
    listed = {name for name in hookspecs.__all__ if name.startswith("stageborging_")}
    assert listed == set(HOOKS)
