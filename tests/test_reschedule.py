"""Changes of plan: a reschedule before the start, an amendment with new dates, and the
replacement after a termination (DOMAIN §4 "Changes of plan")."""

from __future__ import annotations

import pytest

from stageborging import Engine, InvalidInput, Refused
from stageborging.testing import FakeClock
from support import COACH, PLACEMENT_OFFICE, journey
from support.guidance import SIGNATURES, Steps

OFFICE = PLACEMENT_OFFICE


def _codes(error: Refused) -> set[str]:
    return {f.code for f in error.findings}


def test_a_late_confirmation_is_rescheduled_by_an_amendment_and_starts(
    engine: Engine, clock: FakeClock
) -> None:
    """Confirmed after the planned start: the start is refused as retroactive; new dates on
    an amendment (a new version, signed again) let the internship start."""
    trip = journey(engine, clock)
    sid = trip.open()
    trip.to_agreement_pending(sid)
    trip.sign(sid)
    clock.set("2027-02-03")  # two days after the planned start
    trip.confirm(sid)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "start", actor=COACH)
    assert "start.retroactive" in _codes(info.value)
    plan = {"planned_start": "2027-02-08", "planned_end": "2027-07-07"}
    amendment = {"document": "pok-2", "hours_per_week": 32, "reason": "late_confirmation"}
    event = engine.fire(sid, "amend_agreement", actor=OFFICE, data={**amendment, **plan})
    assert event.to_state == "agreement_pending"
    facts = engine.stream(sid).facts
    assert facts["agreement_version"] == 2
    assert not facts["signatures"]
    assert facts["agreement_confirmed_on"] is None
    assert {k: facts["details"][k] for k in plan} == plan
    assert facts["details"]["planned_hours"] == 400  # left out: as planned
    trip.sign(sid)
    trip.confirm(sid)
    assert trip.start(sid)
    assert engine.stream(sid).state == "active"
    assert engine.replay(sid) == engine.stream(sid)
    assert engine.verify().ok


def test_an_amendment_without_new_dates_is_as_before(engine: Engine, clock: FakeClock) -> None:
    trip = journey(engine, clock)
    sid = trip.open()
    trip.to_ready_to_start(sid)
    engine.fire(
        sid, "amend_agreement", actor=OFFICE, data={"document": "pok-2", "hours_per_week": 32}
    )
    assert engine.stream(sid).facts["details"]["planned_start"] == "2027-02-01"


def test_a_reschedule_before_the_agreement_moves_the_deadlines(db: str, clock: FakeClock) -> None:
    """Deadlines counted from the planned dates follow the new ones."""
    with Engine(db, plugins=[Steps(SIGNATURES)], clock=clock) as engine:
        trip = journey(engine, clock)
        sid = trip.open()
        trip.search(sid)
        (before,) = engine.store.deadlines(sid)
        assert before.due_at[:10] == "2027-01-25"  # 5 working days before 1 February
        engine.record(sid, "reschedule", actor=COACH,
                      data={"reason": "employer_request", "planned_start": "2027-03-01",
                            "planned_end": "2027-07-30"})  # fmt: skip
        live = [d for d in engine.store.deadlines(sid) if d.status == "open"]
        assert [d.due_at[:10] for d in live] == ["2027-02-22"]  # 5 before 1 March
        assert engine.stream(sid).facts["details"]["planned_start"] == "2027-03-01"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": "employer_request"}, "data.planned_start"),
        ({"planned_start": "2027-03-01"}, "data.reason"),
        ({"reason": "other", "planned_start": "2027-03-01"}, "data.reason"),
        ({"reason": "employer_request", "planned_start": "2027-07-01"}, "data.planned_start"),
        ({"reason": "employer_request", "planned_end": "2027-01-31"}, "data.planned_end"),
        ({"reason": "employer_request", "planned_hours": 0}, "data.planned_hours"),
        ({"reason": "replacement", "planned_hours": 300, "hours_credited": -1},
         "data.hours_credited"),
    ],
)  # fmt: skip
def test_a_reschedule_that_makes_no_plan_names_its_field(
    engine: Engine, clock: FakeClock, data: dict[str, object], field: str
) -> None:
    """A reason without a change, a change without a reason, a plan ending before it
    starts (judged against what stays as planned): invalid input, nothing written."""
    trip = journey(engine, clock)
    sid = trip.open()
    version = engine.stream(sid).version
    with pytest.raises(InvalidInput) as info:
        engine.record(sid, "reschedule", actor=COACH, data=data)
    assert info.value.field == field
    assert engine.stream(sid).version == version


def test_an_amendment_with_dates_needs_its_reason(engine: Engine, clock: FakeClock) -> None:
    trip = journey(engine, clock)
    sid = trip.open()
    trip.to_ready_to_start(sid)
    data = {"document": "pok-2", "hours_per_week": 32, "planned_start": "2027-03-01"}
    with pytest.raises(InvalidInput) as info:
        engine.fire(sid, "amend_agreement", actor=OFFICE, data=data)
    assert info.value.field == "data.reason"


@pytest.mark.parametrize("where", ["agreement_pending", "ready_to_start", "active"])
def test_with_an_agreement_the_dates_change_only_by_amendment(
    engine: Engine, clock: FakeClock, where: str
) -> None:
    trip = journey(engine, clock)
    sid = trip.open()
    {"agreement_pending": trip.to_agreement_pending, "ready_to_start": trip.to_ready_to_start,
     "active": trip.to_active}[where](sid)  # fmt: skip
    with pytest.raises(InvalidInput) as info:
        engine.record(sid, "reschedule", actor=OFFICE,
                      data={"reason": "employer_request", "planned_hours": 300})  # fmt: skip
    assert info.value.field == "fact"


def test_the_replacement_after_a_termination_is_rescheduled_credited_and_starts(
    engine: Engine, clock: FakeClock
) -> None:
    """Hours worked stay on record and count for the replacement (all of them by default,
    or what the coach decides); the replacement placement starts on its new dates."""
    trip = journey(engine, clock)
    sid = trip.open()
    trip.to_active(sid)
    engine.record(sid, "hours", actor=COACH, data={"hours": 120})
    engine.fire(sid, "terminate", actor=COACH, data={"reason": "mismatch"})
    assert engine.stream(sid).state == "terminated"  # mismatch: the coach decides
    plan = {"reason": "replacement", "planned_start": "2027-04-05", "planned_end": "2027-08-27"}
    engine.record(sid, "reschedule", actor=COACH, data=plan)
    facts = engine.stream(sid).facts
    assert (facts["hours"], facts["hours_credited"]) == (120, 120)
    engine.record(sid, "reschedule", actor=COACH,
                  data={**plan, "planned_hours": 320, "hours_credited": 80})  # fmt: skip
    facts = engine.stream(sid).facts
    assert (facts["hours_credited"], facts["details"]["planned_hours"]) == (80, 320)
    engine.record(sid, "reschedule", actor=COACH,
                  data={"reason": "replacement", "planned_end": "2027-09-03"})  # fmt: skip
    assert engine.stream(sid).facts["hours_credited"] == 80  # the coach's credit stays
    for credit, problem in ((121, "worked"), (90, "planned")):
        changes = {"hours_credited": credit, "planned_hours": 85}
        with pytest.raises(InvalidInput, match=problem) as info:
            engine.record(sid, "reschedule", actor=COACH,
                          data={"reason": "replacement", **changes})  # fmt: skip
        assert info.value.field == "data.hours_credited"
    engine.record(sid, "reschedule", actor=COACH, data={"reason": "replacement",
                                                        "hours_credited": 100})  # fmt: skip
    assert engine.stream(sid).facts["hours_credited"] == 100  # a credit alone
    engine.fire(sid, "seek_replacement", actor=COACH)
    assert trip.place(sid, "emp-2")
    assert trip.draft(sid, "pok-2")
    assert trip.sign(sid)
    assert trip.confirm(sid)
    assert trip.start(sid)
    stream = engine.stream(sid)
    assert (stream.state, stream.facts["employer"]) == ("active", "emp-2")
    assert stream.facts["hours_credited"] == 100
    assert engine.replay(sid) == stream
    assert engine.verify().ok


def test_the_proof_refuses_a_reschedule_that_would_keep_the_old_signatures() -> None:
    """A definition letting ``reschedule`` be recorded in ``ready_to_start`` would start on
    signatures given for another plan: the proof names that path."""
    import attrs

    from stageborging import UnguardedPath
    from stageborging.lifecycles import mbo_bpv

    definition = mbo_bpv()
    facts = tuple(
        attrs.evolve(f, states=[*f.states, "ready_to_start"]) if f.name == "reschedule" else f
        for f in definition.facts
    )
    with pytest.raises(UnguardedPath) as info:
        attrs.evolve(definition, facts=facts)
    assert "ready_to_start -reschedule-> ready_to_start -start-> active" in str(info.value)
