"""Shared fixtures: a fresh engine on a temporary SQLite file with a fake clock.

Shared helpers live in the ``support`` package next to this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stageborging import Engine
from stageborging.testing import FakeClock
from support import Recognises


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "stageborging.db"


@pytest.fixture
def engine(db_path: Path, clock: FakeClock) -> Iterator[Engine]:
    with Engine(db_path, plugins=[Recognises("emp-unrecognised")], clock=clock) as eng:
        yield eng
