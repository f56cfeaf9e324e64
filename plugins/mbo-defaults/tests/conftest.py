"""Fixtures of the plugin's tests: an engine with the plugin (given explicitly or found by
its entry point), a fake clock, and register files written to a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stageborging import Actor, Engine
from stageborging.testing import FakeClock

from stageborging_mbo_defaults import plugin

REGISTER = """\
employer,crebo,status,valid_from,valid_until
lb-100,25480,recognised,2020-01-01,
lb-200,25480,pending,,
lb-300,25480,recognised,2018-01-01,2025-12-31
lb-400,25480,suspended,2020-01-01,
lb-500,25480,recognised,2028-01-01,
"""

OFFICE = Actor("po-1", "placement_office")
COACH = Actor("coach-1", "coach")
STUDENT = Actor("stu-1", "student")


def details(**changes: Any) -> dict[str, Any]:
    """Opening data of a care student (zorg, crebo 25480) starting on 1 March 2027."""
    return {
        "student": "stu-1",
        "programme": "zorg",
        "qualification": "25480",
        "level": 3,
        "track": "BOL",
        "planned_start": "2027-03-01",
        "planned_end": "2027-07-02",
        "planned_hours": 600,
        "turns_18_on": "2025-09-01",
        **changes,
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # 10 January 2027


@pytest.fixture
def register(tmp_path: Path) -> Path:
    path = tmp_path / "sbb-register.csv"
    path.write_text(REGISTER, encoding="utf-8")
    return path


@pytest.fixture
def make_engine(
    tmp_path: Path, clock: FakeClock, register: Path
) -> Iterator[Callable[..., Engine]]:
    """An engine with the plugin and these settings (the register and ``zorg`` as a VOG
    programme unless told otherwise)."""
    engines: list[Engine] = []

    def make(**settings: Any) -> Engine:
        config = {"register": str(register), "vog_programmes": ["zorg"], **settings}
        engine = Engine(
            tmp_path / f"school-{len(engines)}.db",
            plugins=[plugin],
            clock=clock,
            config={"mbo-defaults": config},
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()
