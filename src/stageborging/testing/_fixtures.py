"""The kit's fixtures: pytest loads this module as a plugin (the package's ``pytest_plugins``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .. import Engine
from ..privacy import MasterKey
from ._clock import FakeClock

__all__ = [
    "stageborging_clock",
    "stageborging_config",
    "stageborging_engine",
    "stageborging_plugins",
]


@pytest.fixture
def stageborging_clock() -> FakeClock:
    """A fake clock at 2027-01-10 09:00 UTC."""
    return FakeClock()


@pytest.fixture
def stageborging_plugins() -> list[object]:
    """The plugins ``stageborging_engine`` registers; override to give yours."""
    return []


@pytest.fixture
def stageborging_config() -> dict[str, Any]:
    """The plugin settings ``stageborging_engine`` passes; override to give yours."""
    return {}


@pytest.fixture
def stageborging_engine(
    tmp_path: Path,
    stageborging_clock: FakeClock,
    stageborging_plugins: list[object],
    stageborging_config: dict[str, Any],
) -> Iterator[Engine]:
    """A fresh engine on a temporary SQLite file, with the fake clock, your plugins and
    settings, and a new master key (free text is sealed as in production)."""
    with Engine(
        tmp_path / "stageborging.db",
        plugins=stageborging_plugins,
        clock=stageborging_clock,
        config=stageborging_config,
        master_key=MasterKey.generate(),
    ) as engine:
        yield engine
