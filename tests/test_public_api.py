"""The public door: what `import stageborging` offers, and nothing else."""

from __future__ import annotations

import inspect
import logging

import stageborging
from stageborging import exceptions


def test_all_is_sorted_and_complete() -> None:
    """`__all__` lists exactly the public names, sorted, and each one exists."""
    public = {name for name in dir(stageborging) if not name.startswith("_")}
    modules = {
        name for name in public if inspect.ismodule(getattr(stageborging, name))
    }  # subpackages imported as a side effect
    assert sorted(stageborging.__all__) == stageborging.__all__
    assert set(stageborging.__all__) - {"__version__"} == public - modules - {"logging"}


def test_every_exception_derives_from_the_one_base() -> None:
    """Catching StageborgingError catches every error the library raises."""
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert issubclass(cls, stageborging.StageborgingError)
        assert getattr(stageborging, name) is cls


def test_input_errors_are_value_errors() -> None:
    """Hosts that already catch ValueError for bad input keep working."""
    assert issubclass(stageborging.InvalidInput, ValueError)
    assert issubclass(stageborging.StreamNotFound, LookupError)


def test_library_logger_has_a_null_handler() -> None:
    """A host that configures no logging sees no 'No handlers' warnings."""
    handlers = logging.getLogger("stageborging").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)
