"""Shared fixtures: a fresh engine on a temporary SQLite file with a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stageborging import Actor, Engine, hookimpl
from stageborging.lifecycles import AGREEMENT_FIELDS_MBO
from stageborging.testing import FakeClock

PLACEMENT_OFFICE = Actor("po-1", "placement_office")
COACH = Actor("coach-1", "coach")
STUDENT = Actor("stu-1", "student")
EMPLOYER = Actor("emp-signatory-1", "employer")
GUARDIAN = Actor("guardian-1", "guardian")
EXAM = Actor("exam-1", "exam_committee")
ADVISOR = Actor("vp-1", "confidential_advisor")
SYSTEM = Actor("sis-sync", "system")

ALL_MBO_FIELDS = list(AGREEMENT_FIELDS_MBO)


class Recognises:
    """A recognition verifier plugin: every employer except those listed is recognised."""

    name = "test-recognition"

    def __init__(self, *unrecognised: str) -> None:
        self.unrecognised = set(unrecognised)

    @hookimpl
    def stageborging_verify_recognition(self, employer: str) -> bool:
        return employer not in self.unrecognised


def mbo_details(**overrides: Any) -> dict[str, Any]:
    """Opening data of an adult MBO student starting on 2027-02-01."""
    data: dict[str, Any] = {
        "student": "stu-1",
        "programme": "prog-ict",
        "qualification": "25604",
        "level": 4,
        "track": "BOL",
        "planned_start": "2027-02-01",
        "planned_end": "2027-06-30",
        "planned_hours": 400,
    }
    data.update(overrides)
    return data


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


def open_mbo(engine: Engine, **overrides: Any) -> str:
    """Open an MBO internship and return its stream id."""
    return engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(**overrides)).stream_id


def to_agreement_pending(engine: Engine, sid: str, employer: str = "emp-1") -> None:
    """Drive an open MBO internship to agreement_pending."""
    engine.fire(sid, "begin_search", actor=STUDENT)
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": employer})
    engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
    engine.fire(
        sid,
        "draft_agreement",
        actor=PLACEMENT_OFFICE,
        data={"document": "pok-1", "fields_present": ALL_MBO_FIELDS},
    )


def sign_all(engine: Engine, sid: str, version: int = 1, guardian: bool = False) -> None:
    """Record the signatures of every required party on *version*."""
    for actor, party in [
        (STUDENT, "student"),
        (EMPLOYER, "employer"),
        (PLACEMENT_OFFICE, "school"),
    ]:
        engine.record(
            sid, "signature", actor=actor, data={"party": party, "agreement_version": version}
        )
    if guardian:
        engine.record(
            sid,
            "signature",
            actor=GUARDIAN,
            data={"party": "guardian", "agreement_version": version},
        )


def to_active(engine: Engine, clock: FakeClock, sid: str) -> None:
    """Drive an open MBO internship to active on its planned start date."""
    to_agreement_pending(engine, sid)
    sign_all(engine, sid)
    engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    clock.set(engine.stream(sid).facts["details"]["planned_start"])
    engine.fire(sid, "start", actor=COACH)
