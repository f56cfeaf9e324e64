"""One pipeline for every command: facts are decided like transitions, with a dry run."""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest

from stageborging import (
    Actor,
    Effect,
    Engine,
    FactSpec,
    FieldKind,
    FieldSpec,
    Finding,
    Guard,
    Refused,
    StageborgingError,
    hookimpl,
)
from stageborging.lifecycles import mbo_bpv
from stageborging.testing import FakeClock, Journey
from support import CAST, PLACEMENT_OFFICE, STUDENT, Recognises, mbo_details

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


def test_a_verifier_consulted_for_a_fact_is_named_on_its_event(db: str, clock: FakeClock) -> None:
    """record() decides like fire(): the recognition verifier it asked shows in event.plugins."""
    with Engine(
        db, plugins=[Recognises()], lifecycles=[_with_recognition_fact()], clock=clock
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


def test_a_naive_clock_is_refused_before_anything_is_written(db: str) -> None:
    """The clock is read once per command; a time without a zone stops it, writing nothing."""
    with Engine(db, clock=lambda: datetime(2027, 1, 10, 9, 0)) as engine:
        with pytest.raises(StageborgingError, match="naive"):
            engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
        assert engine.statistics().events == 0


class NoWeekendHours:
    """A fact check: no applications are recorded on a Saturday or Sunday."""

    name = "test-no-weekend-hours"

    @hookimpl
    def stageborging_check_record(self, fact: FactSpec, now: datetime) -> list[Finding] | None:
        if fact.name == "application_sent" and now.weekday() >= 5:
            return [
                Finding("local.weekend", "block", "Not at the weekend.", "Niet in het weekend.")
            ]
        return None


@pytest.mark.hook("stageborging_check_record")
def test_a_plugin_refuses_a_fact_with_findings(db: str, clock: FakeClock) -> None:
    """record() runs the plugins' fact checks: a block is a recorded refusal naming the plugin."""
    with Engine(db, plugins=[NoWeekendHours()], clock=clock) as engine:
        sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        engine.fire(sid, "begin_search", actor=STUDENT)
        data = {"application": "a1", "employer": "e1"}
        clock.set("2027-01-16")  # a Saturday
        decision = engine.check_record(sid, "application_sent", actor=STUDENT, data=data)
        assert [(f.code, f.source) for f in decision.blocking] == [
            ("local.weekend", "test-no-weekend-hours")
        ]
        assert "test-no-weekend-hours" in [p.name for p in decision.plugins]
        with pytest.raises(Refused) as refused:
            engine.record(sid, "application_sent", actor=STUDENT, data=data)
        assert refused.value.event is not None
        assert refused.value.event.type == "refused"
        clock.set("2027-01-18")  # a Monday
        event = engine.record(sid, "application_sent", actor=STUDENT, data=data)
        assert "test-no-weekend-hours" in [p.name for p in event.plugins]


def test_an_mbo_variant_without_the_18th_birthday_fails_closed(db: str, clock: FakeClock) -> None:
    """No turns_18_on in the opening data: the signatures rule refuses, never assumes an adult."""
    base = mbo_bpv()
    fields = tuple(f for f in base.open_fields if f.name != "turns_18_on")
    variant = attrs.evolve(base, name="no_birthday", open_fields=fields)
    details = {k: v for k, v in mbo_details().items() if k != "turns_18_on"}
    with Engine(db, plugins=[Recognises()], lifecycles=[variant], clock=clock) as engine:
        sid = engine.open("no_birthday", actor=PLACEMENT_OFFICE, data=details).stream_id
        journey = Journey(engine, clock, cast=CAST, employer="emp-1")
        assert journey.to_agreement_pending(sid)
        assert journey.sign(sid, "student", "school", "employer")
        decision = engine.check(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
        assert [f.code for f in decision.blocking] == ["signatures.age_unknown"]
