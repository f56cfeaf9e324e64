"""One pipeline for every command: facts are decided like transitions, with a dry run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import attrs
import pytest

from conftest import PLACEMENT_OFFICE, STUDENT, FakeClock, Recognises, mbo_details
from stageborging import (
    Actor,
    Effect,
    Engine,
    FactSpec,
    FieldKind,
    FieldSpec,
    Guard,
    Refused,
    StageborgingError,
)
from stageborging.lifecycles import mbo_bpv

OUTSIDER = Actor("emp-9", "employer")


def _with_recognition_fact() -> object:
    """mbo_bpv with a fact that re-checks the employer's recognition while searching."""
    recheck = FactSpec(
        "recheck_employer",
        ["placement_office"],
        Effect.APPLICATION_SENT,
        fields=[FieldSpec("application", FieldKind.ID), FieldSpec("employer", FieldKind.ID)],
        guards=[Guard.RECOGNITION],
        states=["placement_proposed"],
    )
    return attrs.evolve(mbo_bpv(), name="recheck", facts=(*mbo_bpv().facts, recheck))


def test_a_verifier_consulted_for_a_fact_is_named_on_its_event(
    db_path: Path, clock: FakeClock
) -> None:
    """record() decides like fire(): the recognition verifier it asked shows in event.plugins."""
    with Engine(
        db_path, plugins=[Recognises()], lifecycles=[_with_recognition_fact()], clock=clock
    ) as engine:
        sid = engine.open("recheck", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
        event = engine.record(
            sid,
            "recheck_employer",
            actor=PLACEMENT_OFFICE,
            data={"application": "a1", "employer": "emp-1"},
        )
        assert "test-recognition" in [p.name for p in event.plugins]


def test_record_has_a_dry_run_that_writes_nothing(engine: Engine) -> None:
    """check_record() gives the decision a record() would get, and the stream stays as it was."""
    sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
    engine.fire(sid, "begin_search", actor=STUDENT)
    version = engine.stream(sid).version
    data = {"application": "a1", "employer": "e1"}
    allowed = engine.check_record(sid, "application_sent", actor=STUDENT, data=data)
    assert allowed.allowed
    assert allowed.from_state == allowed.to_state == "searching"
    refused = engine.check_record(sid, "application_sent", actor=OUTSIDER, data=data)
    assert not refused.allowed
    assert [f.code for f in refused.blocking] == ["role.not_allowed"]
    assert engine.stream(sid).version == version
    with pytest.raises(Refused):
        engine.record(sid, "application_sent", actor=OUTSIDER, data=data)
    assert engine.stream(sid).version == version + 1  # the refusal itself is recorded


def test_a_naive_clock_is_refused_before_anything_is_written(db_path: Path) -> None:
    """The clock is read once per command; a time without a zone stops it, writing nothing."""
    with Engine(db_path, clock=lambda: datetime(2027, 1, 10, 9, 0)) as engine:
        with pytest.raises(StageborgingError, match="naive"):
            engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
        assert engine.statistics().events == 0
