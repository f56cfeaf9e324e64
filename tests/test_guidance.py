"""Guidance steps and deadlines: scheduled with the event that starts them, met by what
completes them, escalated by tick exactly once, listed in due and as gaps."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import (
    Engine,
    EventType,
    GuidanceStep,
    InvalidInput,
    PluginError,
    Recognition,
    Refused,
    WorkingDays,
    hookimpl,
)
from stageborging.core import rfc3339
from stageborging.testing import FakeClock
from support import ASSESSOR, COACH, EMPLOYER, PLACEMENT_OFFICE, STUDENT, Recognises, journey
from support.guidance import (
    CHECK_IN,
    ESCALATION,
    SIGNATURES,
    VERIFICATION,
    Steps,
    steps,
)

_CONTEXT = multiprocessing.get_context("spawn")
MONDAY = datetime(2027, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


def _engine(db: str, clock: FakeClock, *plugins: object, **kwargs: Any) -> Engine:
    return Engine(db, plugins=[Recognises("emp-unrecognised"), *plugins], clock=clock, **kwargs)


def _searching(engine: Engine, clock: FakeClock, **details: Any) -> str:
    trip = journey(engine, clock)
    sid = trip.open(**details)
    trip.search(sid)
    return sid


def _live(engine: Engine, sid: str) -> dict[str, tuple[str, str]]:
    """The stream's live deadlines: step -> (status, due date in UTC)."""
    return {d.step: (d.status, d.due_at[:10]) for d in engine.store.deadlines(sid)}


def _types(engine: Engine, sid: str) -> list[str]:
    return [f"{e.type}:{e.name}" for e in engine.history(sid)]


# -- the step itself -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"unit": "fortnights"}, "unit"),
        ({"action": "shout"}, "action"),
        ({"action": "fire", "trigger": "withdraw"}, "trigger"),
        ({"action": "fire", "trigger": "terminate"}, "trigger"),
        ({"action": "fire", "trigger": "cancel_placement"}, "trigger"),
        ({"action": "propose"}, "trigger"),
        ({"trigger": "request_assistance"}, "trigger"),
        ({"percent": 40}, "percent"),
        ({"offset": "14"}, "offset"),
        ({"offset": True}, "offset"),
        ({"every": 0}, "every"),
        ({"count": 0}, "count"),
        ({"count": 3, "done_by": ()}, "count"),
        ({"role": "janitor"}, "role"),
        ({"escalate_to": "mother"}, "escalate_to"),
        ({"anchor": "someday"}, "anchor"),
        ({"anchor": "planned_start"}, "states"),
        ({"anchor": "planned_hours", "states": ("active",)}, "percent"),
        ({"anchor": "planned_hours", "states": ("active",), "percent": 140}, "percent"),
        ({"name": "two words"}, "name"),
        ({"done_by": 7}, "done_by"),
        ({"channel": ""}, "channel"),
        ({"anchor": "applications:0", "states": ("searching",)}, "anchor"),
        ({"anchor": "applications:101", "states": ("searching",)}, "anchor"),
        ({"anchor": "applications:four", "states": ("searching",)}, "anchor"),
        ({"anchor": "applications:4"}, "states"),
        ({"programmes": ("zorg",), "excluded_programmes": ("zorg",)}, "excluded_programmes"),
        ({"programmes": 7}, "programmes"),
        ({"hours_below": 0}, "hours_below"),
        ({"hours_below": 80, "done_by": "guidance_contact"}, "hours_below"),
        ({"done_with": {"location": "on_site"}}, "done_with"),
        ({"done_by": "guidance_contact", "done_with": ["on_site"]}, "done_with"),
        ({"done_by": "guidance_contact", "done_with": {"location": "two words"}}, "done_with"),
        ({"role": "system"}, "role"),
        ({"escalate_to": "auditor"}, "escalate_to"),
        ({"done_by": {"guidance_contact": 1}}, "done_by"),
        ({"states": ("assisted_search",)}, "states"),
        ({"anchor": "planned_hours", "states": ("active",), "percent": 0}, "percent"),
    ],
)
def test_a_malformed_step_names_its_field(changes: dict[str, Any], field: str) -> None:
    """A step is checked as it is made: the error names the field; a missed step can
    never fire withdraw, terminate or cancel_placement by itself."""
    values = {"name": "x", "anchor": "entered:searching", "role": "coach", **changes}
    with pytest.raises(InvalidInput) as info:
        GuidanceStep(**values)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        (GuidanceStep(name="x", anchor="entered:looking", role="coach"), "no state 'looking'"),
        (
            GuidanceStep(name="x", anchor="entered:searching", role="coach", done_by="coffee"),
            "no trigger or fact 'coffee'",
        ),
        (
            GuidanceStep(name="x", anchor="entered:searching", role="coach", lifecycles="nope"),
            "unknown lifecycle 'nope'",
        ),
        (
            GuidanceStep(
                name="x", anchor="planned_start", role="coach", states="received", lifecycles="case"
            ),
            "no planned dates",
        ),
        (
            GuidanceStep(
                name="x",
                anchor="entered:active",
                role="coach",
                action="fire",
                trigger="request_assistance",
            ),
            "no transition 'request_assistance' from the states",
        ),
    ],
)
def test_a_step_that_does_not_fit_the_lifecycles_stops_start_up(
    db: str, step: GuidanceStep, problem: str
) -> None:
    """Steps are checked against the lifecycles when the engine starts, naming the plugin."""
    with pytest.raises(PluginError) as info:
        Engine(db, plugins=[Steps(step)])
    assert info.value.plugin == "roc-steps"
    assert problem in str(info.value)


def test_step_names_are_unique_across_plugins(db: str) -> None:
    other = Steps(CHECK_IN)
    other.name = "other-steps"
    with pytest.raises(PluginError, match="a guidance step named 'search_check_in' exists"):
        Engine(db, plugins=[Steps(CHECK_IN), other])


def test_the_engine_calendar_must_be_working_days(db: str) -> None:
    with pytest.raises(InvalidInput) as info:
        Engine(db, calendar="NL")  # type: ignore[arg-type]
    assert info.value.field == "calendar"


# -- scheduling ------------------------------------------------------------------


@pytest.mark.hook("stageborging_guidance_steps")
def test_entering_a_state_schedules_its_steps_in_the_same_transaction(
    db: str, clock: FakeClock
) -> None:
    """begin_search on Monday 1 March: the check-in falls at the end of Monday 15 March
    (Amsterdam time: 22:59:59 UTC in winter), the escalation six weeks on; counted from
    the planned start, the signatures fall five working days before it."""
    with _engine(db, clock, Steps(CHECK_IN, ESCALATION, SIGNATURES)) as engine:
        sid = _searching(engine, clock, planned_start="2027-05-03", planned_end="2027-09-30")
        rows = {d.step: d for d in engine.store.deadlines(sid)}
        assert rows["search_check_in"].due_at == "2027-03-15T22:59:59.999999Z"
        assert rows["search_escalation"].due_at == "2027-04-12T21:59:59.999999Z"  # summer time
        # 3 May 2027 minus 5 working days: 30, 29, 28, 26 April; 27 April is King's Day
        assert rows["all_signatures"].due_at == "2027-04-23T21:59:59.999999Z"
        assert {d.role for d in rows.values()} == {"coach", "placement_office"}


def test_a_refused_command_schedules_nothing(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Steps()) as engine:
        trip = journey(engine, clock)
        sid = trip.open()
        with pytest.raises(Refused):
            engine.fire(sid, "begin_search", actor=EMPLOYER)
        assert _types(engine, sid)[-1] == "refused:begin_search"
        assert engine.store.deadlines(sid) == []


def test_closure_days_move_a_working_day_deadline(db: str, clock: FakeClock) -> None:
    """An institution's closure days do not count: a study day pushes the deadline on."""
    step = evolve(VERIFICATION, action="notify", trigger=None)
    closed = WorkingDays(closures=[datetime(2027, 3, 3).date()])
    with _engine(db, clock, Steps(step), calendar=closed) as engine:
        sid = _searching(engine, clock)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
        # Monday 1 March + 5 working days, Wednesday 3 March closed: Tuesday 9 March
        assert engine.store.deadlines(sid)[0].due_at == "2027-03-09T22:59:59.999999Z"


def test_leaving_the_state_cancels_and_the_completing_fact_closes(
    db: str, clock: FakeClock
) -> None:
    with _engine(db, clock, Steps(VERIFICATION)) as engine:
        sid = _searching(engine, clock)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
        engine.fire(sid, "cancel_placement", actor=STUDENT, data={"reason": "student_choice"})
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-2"})
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
        statuses = [d.status for d in engine.store.deadlines(sid, open_only=False)]
        assert statuses == ["cancelled", "done"]  # one per entry into placement_proposed
        assert engine.store.deadlines(sid) == []


def test_a_count_closes_on_the_last_one(db: str, clock: FakeClock) -> None:
    """Three guidance contacts while searching complete a step that asks for three."""
    three = GuidanceStep(name="contacts", anchor="entered:searching", role="coach", offset=60,
                         done_by="guidance_contact", count=3)  # fmt: skip
    with _engine(db, clock, Steps(three)) as engine:
        sid = _searching(engine, clock)
        for seen in range(3):
            assert _live(engine, sid) == {"contacts": ("open", "2027-04-30")}, seen
            engine.record(sid, "guidance_contact", actor=COACH, data={"moment": "other"})
        assert _live(engine, sid) == {}


def test_no_deadline_falls_before_the_stream_was_opened(db: str, clock: FakeClock) -> None:
    """A student enrolled after the step's day gets no deadline for it, and a repeating
    step starts at its first occurrence after the opening."""
    early = GuidanceStep(name="orientation", anchor="planned_start", role="coach", offset=-16,
                         unit="weeks", states=("orientation", "searching"))  # fmt: skip
    with _engine(db, clock, Steps(early)) as engine:
        sid = journey(engine, clock).open(planned_start="2027-04-01", planned_end="2027-09-30")
        assert _live(engine, sid) == {}  # 16 weeks before 1 April is December 2026


def test_a_deadline_past_when_scheduled_is_due_at_the_next_tick(db: str, clock: FakeClock) -> None:
    """Opened on 1 March for a start on 15 March, the student begins searching on the
    10th: the signatures step (due on the 8th, after the opening) is scheduled anyway,
    and the next tick escalates it."""
    with _engine(db, clock, Steps(SIGNATURES)) as engine:
        trip = journey(engine, clock)
        sid = trip.open(planned_start="2027-03-15", planned_end="2027-06-30")
        clock.set("2027-03-10")
        trip.search(sid)
        assert _live(engine, sid) == {"all_signatures": ("open", "2027-03-08")}
        assert engine.tick().missed == 1


# -- tick --------------------------------------------------------------------------


def test_tick_escalates_each_missed_deadline_exactly_once(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Steps()) as engine:
        sid = _searching(engine, clock)
        clock.set("2027-03-15")
        assert engine.tick().missed == 0  # due at the end of the day, not yet
        clock.set("2027-03-16")
        report = engine.tick()
        assert (report.missed, report.notified) == (1, 1)
        assert engine.tick().missed == 0
        assert _types(engine, sid)[-1] == "escalated:search_check_in"
        (gap,) = engine.guidance_gaps()
        assert (gap.step, gap.action, gap.role, gap.programme) == (
            "search_check_in", "notify", "coach", "prog-ict")  # fmt: skip
        assert gap.due_at == datetime(2027, 3, 15, 22, 59, 59, 999999, tzinfo=UTC)
        (sent,) = engine.notifications(sid)
        assert (sent.notification.template, sent.notification.recipient_role) == (
            "guidance.missed", "coach")  # fmt: skip
        assert dict(sent.notification.params) == {"step": "search_check_in", "due": "2027-03-15"}
        # the missed check-in stays overdue; the next one is two weeks after it
        check_ins = [
            (d.key.rsplit(":", 1)[1], d.status, d.due_at[:10])
            for d in engine.store.deadlines(sid)
            if d.step == "search_check_in"
        ]
        assert check_ins == [("0", "missed", "2027-03-15"), ("1", "open", "2027-03-29")]
        assert engine.verify().ok


def test_a_missed_step_never_blocks_the_student(db: str, clock: FakeClock) -> None:
    """A gap is recorded, and the student's own moves go on as before."""
    with _engine(db, clock, Steps()) as engine:
        sid = _searching(engine, clock)
        clock.set("2027-03-20")
        engine.tick()
        event = engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "e-1"})
        assert event.to_state == "placement_proposed"
        assert _live(engine, sid) == {}  # the search steps no longer apply


def test_a_fired_escalation_moves_the_student_to_assisted_search(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Steps()) as engine:
        sid = _searching(engine, clock)
        engine.record(sid, "guidance_contact", actor=COACH, data={"moment": "other"})
        clock.set("2027-04-13")
        report = engine.tick()
        assert report.fired == 1
        assert engine.stream(sid).state == "assisted_search"
        fired = engine.history(sid)[-1]
        assert (fired.type, fired.name, fired.actor.role) == (
            EventType.TRANSITIONED, "request_assistance", "system")  # fmt: skip
        assert engine.tick() == type(report)()
        assert engine.verify().ok


def test_deadlines_due_together_are_all_gaps_before_a_fire_moves_the_stream(
    db: str, clock: FakeClock
) -> None:
    """The fire of one step takes the stream out of the other's states: the other's miss
    is still recorded (a gap), never cancelled unseen."""
    from attrs import evolve

    review = evolve(ESCALATION, name="a_search_review", action="notify", trigger=None)
    with _engine(db, clock, Steps(ESCALATION, review)) as engine:
        sid = _searching(engine, clock)
        clock.set("2027-04-13")
        report = engine.tick()
        assert (report.missed, report.fired, report.notified, report.cancelled) == (2, 1, 1, 0)
        types = _types(engine, sid)
        assert types[-3:] == ["escalated:a_search_review", "escalated:search_escalation",
                              "transitioned:request_assistance"]  # fmt: skip
        assert {g.step for g in engine.guidance_gaps()} == {"a_search_review", "search_escalation"}
        assert engine.verify().ok


def test_a_deadline_past_the_calendar_is_never_scheduled(db: str, clock: FakeClock) -> None:
    """Planned dates at the end of the calendar: the command goes on, no deadline is made."""
    late = GuidanceStep(name="wrap_up", anchor="planned_end", role="coach", offset=7,
                        states=("searching",))  # fmt: skip
    with _engine(db, clock, Steps(late)) as engine:
        trip = journey(engine, clock)
        sid = trip.open(planned_start="9999-12-01", planned_end="9999-12-30")
        trip.search(sid)
        assert engine.stream(sid).state == "searching"
        assert _live(engine, sid) == {}


def test_deadlines_wait_while_the_recognition_is_pending(db: str, clock: FakeClock) -> None:
    """SBB decides, not the school: while the latest verification was refused as pending,
    a due deadline is not escalated; once the answer changes it escalates or is met."""

    class Register:
        name = "register"
        answer = Recognition.PENDING

        @hookimpl
        def stageborging_verify_recognition(self) -> Recognition:
            return self.answer

    register = Register()
    with _engine(db, clock, Steps(VERIFICATION), register) as engine:
        waiting, refused = _searching(engine, clock), _searching(engine, clock)
        for sid in (waiting, refused):
            engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
            with pytest.raises(Refused):
                engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
        clock.set("2027-03-12")  # the five working days have passed
        report = engine.tick()
        assert (report.paused, report.missed) == (2, 0)
        assert engine.tick().paused == 0  # due again tomorrow, not in this tick
        register.answer = Recognition.NOT_LISTED
        with pytest.raises(Refused):
            engine.fire(refused, "verify_employer", actor=PLACEMENT_OFFICE)
        clock.set("2027-03-14")
        report = engine.tick()
        assert (report.paused, report.missed) == (1, 1)
        assert [g.stream_id for g in engine.guidance_gaps()] == [refused]
        register.answer = Recognition.RECOGNISED
        engine.fire(waiting, "verify_employer", actor=PLACEMENT_OFFICE)
        assert _live(engine, waiting) == {}  # met at last, never a gap
        assert engine.verify().ok


def test_a_step_may_serve_some_programmes_only(db: str, clock: FakeClock) -> None:
    """A VOG programme's earlier deadline, the others' later one: two steps."""
    from attrs import evolve

    early = evolve(ESCALATION, name="early_escalation", offset=4, programmes=("zorg",))
    late = evolve(ESCALATION, excluded_programmes=("zorg",))
    with _engine(db, clock, Steps(early, late)) as engine:
        zorg, ict = _searching(engine, clock, programme="zorg"), _searching(engine, clock)
        assert set(_live(engine, zorg)) == {"early_escalation"}
        assert set(_live(engine, ict)) == {"search_escalation"}


def test_the_nth_application_without_an_invitation_stalls_the_search(
    db: str, clock: FakeClock
) -> None:
    """The fourth application sent while none brought an invitation schedules the stalled
    search step that day; an invitation before it, or fewer, schedule nothing."""
    stalled = GuidanceStep(name="search_stalled", anchor="applications:4", role="coach",
                           states=("searching",), action="propose",
                           trigger="request_assistance", done_by="guidance_contact")  # fmt: skip
    with _engine(db, clock, Steps(stalled)) as engine:
        stuck, invited = _searching(engine, clock), _searching(engine, clock)
        for sid in (stuck, invited):
            for n in range(3):
                engine.record(sid, "application_sent", actor=STUDENT,
                              data={"application": f"a-{n}", "employer": f"emp-{n}"})  # fmt: skip
        engine.record(invited, "application_outcome", actor=STUDENT,
                      data={"application": "a-0", "outcome": "invited"})  # fmt: skip
        assert _live(engine, stuck) == {}
        for sid in (stuck, invited):
            engine.record(sid, "application_sent", actor=STUDENT,
                          data={"application": "a-3", "employer": "emp-3"})  # fmt: skip
        assert _live(engine, stuck) == {"search_stalled": ("open", "2027-03-01")}
        assert _live(engine, invited) == {}
        engine.record(stuck, "application_sent", actor=STUDENT,
                      data={"application": "a-4", "employer": "emp-4"})  # fmt: skip
        assert len(engine.store.deadlines(stuck)) == 1  # the fifth schedules no other
        clock.set("2027-03-02")
        assert engine.tick().proposed == 1
        due = {(i.kind, i.trigger) for i in engine.due(role="coach")}
        assert due == {("deadline", None), ("proposal", "request_assistance")}


def test_a_step_may_ask_for_a_value_of_what_completes_it(db: str, clock: FakeClock) -> None:
    """One contact on site (Stagepact): an online one does not count, an on-site one does."""
    visit = GuidanceStep(name="on_site_contact", anchor="entered:searching", role="coach",
                         offset=14, done_by="guidance_contact",
                         done_with={"location": "on_site"})  # fmt: skip
    with _engine(db, clock, Steps(visit)) as engine:
        sid = _searching(engine, clock)
        engine.record(sid, "guidance_contact", actor=COACH, data={"moment": "begin"})
        engine.record(sid, "guidance_contact", actor=COACH,
                      data={"moment": "begin", "location": "online"})  # fmt: skip
        assert set(_live(engine, sid)) == {"on_site_contact"}
        engine.record(sid, "guidance_contact", actor=COACH,
                      data={"moment": "middle", "location": "on_site"})  # fmt: skip
        assert _live(engine, sid) == {}
        assert engine.stream(sid).facts["on_site_contacts"] == 1


def test_a_step_asking_for_a_field_its_fact_lacks_stops_the_engine(
    db: str, clock: FakeClock
) -> None:
    visit = GuidanceStep(name="visit", anchor="entered:searching", role="coach",
                         done_by="guidance_contact", done_with={"room": "b12"})  # fmt: skip
    with pytest.raises(PluginError, match="takes no field 'room'"):
        _engine(db, clock, Steps(visit))


def test_an_hours_check_leaves_out_the_days_suspended(db: str, clock: FakeClock) -> None:
    """400 hours planned over 150 days; 80% of the hours due for the days active so far.
    Days suspended do not count: a student who was ill is not behind for it."""
    check = GuidanceStep(name="hours_check", anchor="entered:active", role="coach",
                         offset=2, every=2, unit="weeks", hours_below=80)  # fmt: skip
    with _engine(db, clock, Steps(check)) as engine:
        trip = journey(engine, clock)
        sid = trip.open(planned_start="2027-03-15", planned_end="2027-08-11")
        trip.to_active(sid)  # 15 March
        engine.record(sid, "hours", actor=STUDENT, data={"hours": 35})
        clock.set("2027-03-30")  # 15 days active: 40 due, 32 enough
        assert engine.tick().met == 1
        clock.set("2027-04-13")  # 29 days: 77 due, 62 enough; 35 recorded
        report = engine.tick()
        assert (report.met, report.missed) == (0, 1)
        engine.fire(sid, "suspend", actor=COACH, data={"reason": "illness"})
        clock.set("2027-05-03")
        engine.fire(sid, "resume", actor=COACH)
        engine.record(sid, "hours", actor=STUDENT, data={"hours": 60})
        clock.set("2027-05-18")  # 29 + 15 days active: 117 due, 94 enough; 95 recorded
        assert engine.tick().met == 1  # counting the 20 days ill, 137 would be needed
        assert [g.due_at.date().isoformat() for g in engine.guidance_gaps()] == ["2027-04-12"]


def test_a_tick_after_a_long_outage_records_one_gap_per_step(db: str, clock: FakeClock) -> None:
    """A check-in every two weeks, no tick for a year: one gap, and the next deadline is
    the first still ahead (no backlog of a gap per period)."""
    with _engine(db, clock, Steps(CHECK_IN)) as engine:
        sid = _searching(engine, clock)
        clock.set("2028-03-01")
        assert engine.tick().missed == 1
        live = engine.store.deadlines(sid)
        assert sorted(d.status for d in live) == ["missed", "open"]
        (ahead,) = [d for d in live if d.status == "open"]
        assert "2028-03-01" <= ahead.due_at[:10] <= "2028-03-14"
        assert engine.tick().missed == 0


def test_an_hours_check_met_again_closes_the_ones_fallen_short_of(
    db: str, clock: FakeClock
) -> None:
    """Caught up: the overdue checks leave due with the next check met."""
    check = GuidanceStep(name="hours_check", anchor="entered:active", role="coach",
                         offset=2, every=2, unit="weeks", hours_below=80)  # fmt: skip
    with _engine(db, clock, Steps(check)) as engine:
        trip = journey(engine, clock)
        sid = trip.open(planned_start="2027-03-15", planned_end="2027-08-11")
        trip.to_active(sid)
        clock.set("2027-03-30")
        assert engine.tick().missed == 1  # nothing recorded yet
        engine.record(sid, "hours", actor=STUDENT, data={"hours": 80})
        clock.set("2027-04-13")
        assert engine.tick().met == 1
        assert [d.status for d in engine.store.deadlines(sid)] == ["open"]  # the next one


def test_a_tick_never_runs_ahead_of_the_engine_clock(db: str, clock: FakeClock) -> None:
    """Escalations are recorded at the clock's time: none may come before it is due."""
    with _engine(db, clock, Steps()) as engine:
        _searching(engine, clock)
        with pytest.raises(InvalidInput) as info:
            engine.tick(datetime(2027, 4, 13, tzinfo=UTC))
        assert info.value.field == "now"
        assert engine.tick(MONDAY - timedelta(days=1)).missed == 0  # looking back is fine
        assert list(engine.guidance_gaps()) == []  # the refused tick wrote nothing


def test_a_refused_fire_becomes_a_proposal(db: str, clock: FakeClock) -> None:
    """When the rules refuse the fired trigger, the refusal is recorded and a person
    gets the decision in due."""

    class NoAssistance:
        name = "no-assistance"

        from stageborging import hookimpl

        @hookimpl
        def stageborging_check_transition(self, transition: Any) -> Any:
            from stageborging import Finding

            if transition.trigger == "request_assistance":
                return [Finding(code="roc.busy", severity="block", message="Full.")]
            return None

    with _engine(db, clock, Steps(ESCALATION), NoAssistance()) as engine:
        sid = _searching(engine, clock)
        clock.set("2027-04-13")
        report = engine.tick()
        assert (report.missed, report.refused, report.proposed, report.fired) == (1, 1, 1, 0)
        assert _types(engine, sid)[-2:] == [
            "escalated:search_escalation", "refused:request_assistance"]  # fmt: skip
        (item,) = [i for i in engine.due() if i.kind == "proposal"]
        assert (item.trigger, item.role, item.overdue) == (
            "request_assistance", "placement_office", True)  # fmt: skip


def test_a_proposal_waits_in_due_until_fired_or_dismissed(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Steps(VERIFICATION)) as engine:
        sid = _searching(engine, clock)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
        clock.set("2027-03-10")
        assert engine.tick().proposed == 1
        kinds = [(i.kind, i.step, i.trigger) for i in engine.due(role="placement_office")]
        assert kinds == [
            ("deadline", "employer_verification", None),  # missed, still to do
            ("proposal", "employer_verification", "cancel_placement"),
        ]
        with pytest.raises(Refused) as refused:
            engine.dismiss(sid, "employer_verification", actor=STUDENT, reason="other")
        assert refused.value.event is None
        with pytest.raises(InvalidInput) as info:
            engine.dismiss(sid, "employer_verification", actor=PLACEMENT_OFFICE, reason="meh")
        assert info.value.field == "reason"
        with pytest.raises(InvalidInput) as info:
            engine.dismiss(sid, "no_such_step", actor=PLACEMENT_OFFICE, reason="other")
        assert info.value.field == "step"
        event = engine.dismiss(sid, "employer_verification", actor=PLACEMENT_OFFICE,
                               reason="arranged_otherwise")  # fmt: skip
        assert (event.type, dict(event.data)["reason"]) == ("dismissed", "arranged_otherwise")
        assert [i.kind for i in engine.due(role="placement_office")] == ["deadline"]
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
        assert engine.due(role="placement_office") == []
        assert engine.verify().ok


def test_firing_the_proposed_trigger_closes_the_proposal(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Steps(VERIFICATION)) as engine:
        sid = _searching(engine, clock)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
        clock.set("2027-03-10")
        engine.tick()
        engine.fire(sid, "cancel_placement", actor=PLACEMENT_OFFICE,
                    data={"reason": "employer_withdrew"})  # fmt: skip
        statuses = {(d.kind, d.status) for d in engine.store.deadlines(sid, open_only=False)}
        assert statuses == {("deadline", "cancelled"), ("proposal", "done")}


def test_a_deadline_keeps_the_settings_it_was_scheduled_under(db: str, clock: FakeClock) -> None:
    """New settings mid-year apply to new deadlines: the open one escalates as scheduled."""
    with _engine(db, clock, Steps()) as engine:
        old = _searching(engine, clock)
    with _engine(db, clock, steps(offset=1, escalate_to="team_lead")) as engine:
        new = _searching(engine, clock)
        assert _live(engine, old)["search_check_in"] == ("open", "2027-03-15")
        assert _live(engine, new)["search_check_in"] == ("open", "2027-03-08")
        clock.set("2027-03-16")
        engine.tick()
        roles = {g.stream_id: str(g.role) for g in engine.guidance_gaps()}
        assert roles == {old: "coach", new: "team_lead"}


# -- due and gaps --------------------------------------------------------------------


class Coaches:
    name = "coaches"

    from stageborging import hookimpl

    @hookimpl
    def stageborging_recipients(self, role: str, stream: Any) -> list[str] | None:
        if role == "coach":
            return [f"coach-of-{stream.facts['details']['student']}"]
        return None


def test_due_lists_per_role_and_person_most_urgent_first(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Steps(CHECK_IN, SIGNATURES), Coaches()) as engine:
        trip = journey(engine, clock)
        first = trip.open(student="stu-a", planned_start="2027-05-03", planned_end="2027-09-01")
        trip.search(first)
        second = trip.open(student="stu-b", planned_start="2027-05-03", planned_end="2027-09-01")
        clock.advance(days=2)
        trip.search(second)
        assert engine.due() == []  # nothing due today
        horizon = engine.due(within=60)
        assert [(i.stream_id, i.step) for i in horizon] == [
            (first, "search_check_in"), (second, "search_check_in"),
            (first, "all_signatures"), (second, "all_signatures")]  # fmt: skip
        assert [i.stream_id for i in engine.due(within=60, person="coach-of-stu-b")] == [second]
        assert {i.step for i in engine.due(within=60, role="placement_office")} == {
            "all_signatures"}  # fmt: skip
        clock.set("2027-03-16")
        engine.tick()
        (overdue,) = engine.due()
        assert (overdue.stream_id, overdue.overdue) == (first, True)
        assert engine.due(within=60, limit=1) == [overdue]
        for bad in ({"role": "mother"}, {"within": -1}, {"limit": 0}, {"now": "today"},
                    {"person": "two words"}):  # fmt: skip
            with pytest.raises(InvalidInput) as info:
                engine.due(**bad)
            assert info.value.field == next(iter(bad))


def test_gaps_by_programme_step_and_institution(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Steps(), institution="roc-a") as engine:
        sid = _searching(engine, clock, programme="zorg")
    with _engine(db, clock, Steps(), institution="roc-b") as other:
        _searching(other, clock, programme="ict")
        clock.set("2027-03-16")
        other.tick()  # a bound engine ticks its own institution's deadlines only
        assert [g.programme for g in other.guidance_gaps()] == ["ict"]
    with _engine(db, clock, Steps(), institution="roc-a") as engine:
        assert list(engine.guidance_gaps()) == []
        engine.tick()
        (gap,) = engine.guidance_gaps()
        assert (gap.stream_id, gap.institution) == (sid, "roc-a")
    with _engine(db, clock, Steps()) as everyone:
        assert len(list(everyone.guidance_gaps())) == 2
        assert [g.programme for g in everyone.guidance_gaps(programme="zorg")] == ["zorg"]
        assert list(everyone.guidance_gaps(step="search_escalation")) == []
        assert [g.institution for g in everyone.guidance_gaps(institution="roc-b")] == ["roc-b"]


# -- at once -------------------------------------------------------------------------


def _tick_in_a_process(db: str, barrier: Barrier, results: Queue[int]) -> None:
    from support.guidance import Steps

    later = datetime(2027, 3, 16, 9, tzinfo=UTC)
    with Engine(db, plugins=[Steps()], clock=lambda: later) as engine:
        barrier.wait()
        results.put(engine.tick().missed)


def test_two_processes_ticking_at_once_escalate_each_deadline_once(
    db: str, clock: FakeClock
) -> None:
    with _engine(db, clock, Steps()) as engine:
        trip = journey(engine, clock)
        streams = []
        for n in range(30):
            sid = trip.open(student=f"stu-{n}")
            trip.search(sid)
            streams.append(sid)
    barrier = _CONTEXT.Barrier(2)
    results: Queue[int] = _CONTEXT.Queue()
    workers = [
        _CONTEXT.Process(target=_tick_in_a_process, args=(db, barrier, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert sum(results.get(timeout=10) for _ in workers) == 30
    with _engine(db, clock, Steps()) as engine:
        for sid in streams:
            assert _types(engine, sid).count("escalated:search_check_in") == 1
        assert engine.verify().ok


def test_schema_8_adds_the_guidance_columns(db_path: Path, clock: FakeClock) -> None:
    with _engine(str(db_path), clock, Steps()):
        pass
    with sqlite3.connect(db_path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(deadlines)")}
    assert {"kind", "role", "institution"} <= columns


def test_tick_needs_an_aware_now(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Steps()) as engine, pytest.raises(InvalidInput) as info:
        engine.tick(datetime(2027, 3, 1))
    assert info.value.field == "now"


# -- the command line --------------------------------------------------------------

INSTALLED_STEPS = """
from support.guidance import CHECK_IN, ESCALATION, VERIFICATION
from stageborging import hookimpl


@hookimpl
def stageborging_guidance_steps():
    return [CHECK_IN, ESCALATION, VERIFICATION]
"""


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The steps installed as a distribution (the command line loads entry points)."""
    from test_plugin_loading import install

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("STAGEBORGING_CONFIG", raising=False)
    install(site, "roc-steps", "roc_steps", INSTALLED_STEPS)


#: A Monday before any day these tests run on: the command line ticks by the real clock.
PAST_MONDAY = datetime(2025, 3, 3, 9, tzinfo=UTC)


def test_the_command_line_ticks_lists_due_counts_gaps_and_dismisses(
    db: str, installed: None, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from stageborging.cli import main

    clock = FakeClock(PAST_MONDAY)
    with _engine(db, clock, Steps(CHECK_IN, ESCALATION, VERIFICATION)) as engine:
        sid = _searching(engine, clock, programme="zorg")
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, [*args, "--db", db])
        assert result.exit_code == 0, result.output
        return result.output

    listed = json.loads(run("due", "--now", "2025-03-03T12:00:00Z", "--within", "30",
                            "--format", "json"))  # fmt: skip
    assert [(i["step"], i["overdue"]) for i in listed] == [("employer_verification", False)]
    assert run("tick", "--now", "2025-03-12T09:00:00+01:00").startswith("missed 1: ")
    assert run("tick", "--now", "2025-03-12T09:00:00+01:00").startswith("missed 0: ")
    table = run("due", "--role", "placement_office")  # the proposal is due from the tick on
    assert "overdue" in table
    assert "proposal" in table
    assert "employer_verification -> cancel_placement" in table
    counts = json.loads(run("guidance", "gaps", "--format", "json"))
    assert counts == [{"programme": "zorg", "step": "employer_verification", "gaps": 1}]
    assert "zorg" in run("guidance", "gaps", "--list")
    assert "dismissed employer_verification" in run(
        "guidance", "dismiss", sid, "employer_verification", "--actor", "placement_office:po-1",
        "--reason", "arranged_otherwise")  # fmt: skip
    assert "proposal" not in run("due")
    for args, needle in (
        (["tick", "--now", "2025-03-12"], "offset"),
        (["tick", "--now", "tomorrow"], "ISO time"),
        (["tick", "--now", "9999-12-31T23:00:00-05:00"], "now"),
        (["due", "--now", "9999-12-30T12:00:00Z", "--within", "5"], "within"),
        (["due", "--role", "mother"], "role"),
        (["guidance", "dismiss", sid, "nothing", "--actor", "placement_office:po-1",
          "--reason", "other"], "no open proposal"),
    ):  # fmt: skip
        result = runner.invoke(main, [*args, "--db", db])
        assert result.exit_code == 2, result.output
        assert needle in result.output


def test_the_calendar_comes_from_the_config_file(
    db: str, clock: FakeClock, installed: None, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from stageborging.cli import main

    config = tmp_path / "settings.toml"
    config.write_text("[calendar]\nclosures = [2027-03-03]\n", encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text('[calendar]\nclosures = ["someday"]\n', encoding="utf-8")
    with _engine(db, clock, Steps(VERIFICATION)) as engine:
        sid = _searching(engine, clock)
    runner = CliRunner()
    args = ["guidance", "dismiss", sid, "employer_verification", "--actor",
            "placement_office:po-1", "--reason", "other", "--db", db]  # fmt: skip
    result = runner.invoke(main, [*args, "--config", str(bad)])
    assert result.exit_code == 2
    assert "[calendar] closures must be a list of dates" in result.output
    result = runner.invoke(main, ["tick", "--db", db, "--config", str(config)])
    assert result.exit_code == 0, result.output


def test_a_wrong_database_path_or_config_table_is_a_usage_error(
    db: str, installed: None, tmp_path: Path
) -> None:
    """A cron job with a wrong path must not tick an empty new file, nor a misspelled
    table leave a plugin's settings silently unset."""
    from click.testing import CliRunner

    from stageborging.cli import main

    Engine(db).close()  # the database exists
    runner = CliRunner()
    missing = tmp_path / "nowhere.db"
    for args in (["tick"], ["guidance", "dismiss", "s-1", "x", "--actor", "coach:c-1",
                            "--reason", "other"]):  # fmt: skip
        result = runner.invoke(main, [*args, "--db", str(missing)])
        assert result.exit_code == 2, result.output
        assert "no such database file" in result.output
        assert not missing.exists()
    typo = tmp_path / "typo.toml"
    typo.write_text('[roc-step]\nregister = "x.csv"\n', encoding="utf-8")
    calendar = tmp_path / "calendar.toml"
    calendar.write_text('[calendar]\ncountry = "XX"\n', encoding="utf-8")
    alone = runner.invoke(main, ["due", "--db", db, "--person", "coach-1"])
    assert alone.exit_code == 0, alone.output
    assert "needs a recipients plugin" in alone.stderr
    for config, needle in ((typo, "[roc-step] names no installed plugin"),
                           (calendar, "[calendar] country")):  # fmt: skip
        result = runner.invoke(main, ["tick", "--db", db, "--config", str(config)])
        assert result.exit_code == 2, result.output
        assert needle in result.output


# -- the replacement search ----------------------------------------------------------

#: A start after the fixture's clock (the journey starts on the planned day).
LATER = {"planned_start": "2027-04-01", "planned_end": "2027-09-30"}


@pytest.mark.parametrize("reason", ["discrimination", "recognition_revoked", "unsafe",
                                    "employer_closed"])  # fmt: skip
def test_a_termination_the_student_did_not_cause_starts_assisted_search_at_once(
    db: str, clock: FakeClock, reason: str
) -> None:
    """The student is never the one left without a place: in the same command."""
    with _engine(db, clock) as engine:
        trip = journey(engine, clock)
        sid = trip.open(**LATER)
        trip.to_active(sid)
        before = engine.stream(sid).version
        event = engine.fire(sid, "terminate", actor=COACH, data={"reason": reason})
        assert event.to_state == "terminated"
        assert engine.stream(sid).state == "assisted_search"
        fired = engine.history(sid)[before + 1]
        assert (fired.name, fired.actor.role, fired.seq) == (
            "seek_replacement", "system", before + 2)  # fmt: skip
        assert engine.verify().ok


def test_other_terminations_and_an_engine_that_turns_it_off_leave_it_to_the_coach(
    db: str, clock: FakeClock
) -> None:
    with _engine(db, clock) as engine:
        trip = journey(engine, clock)
        mismatch = trip.open(**LATER)
        trip.to_active(mismatch)
        engine.fire(mismatch, "terminate", actor=COACH, data={"reason": "mismatch"})
        assert engine.stream(mismatch).state == "terminated"
    with _engine(db, clock, auto_replacement=False) as engine:
        trip = journey(engine, clock)
        sid = trip.open(student="stu-2", **LATER)
        trip.to_active(sid)
        engine.fire(sid, "terminate", actor=COACH, data={"reason": "discrimination"})
        assert engine.stream(sid).state == "terminated"
    with pytest.raises(InvalidInput) as info:
        Engine(db, auto_replacement="yes")  # type: ignore[arg-type]
    assert info.value.field == "auto_replacement"


def test_a_batch_termination_starts_the_replacement_search_too(db: str, clock: FakeClock) -> None:
    with _engine(db, clock) as engine:
        trip = journey(engine, clock)
        sid = trip.open(**LATER)
        trip.to_active(sid)
        with engine.batch() as batch:
            batch.fire(sid, "terminate", actor=COACH, data={"reason": "unsafe"})
        assert engine.stream(sid).state == "assisted_search"


def test_the_kit_says_what_became_due_and_what_was_missed(db: str, clock: FakeClock) -> None:
    from stageborging.testing import assert_escalated, due_steps

    with _engine(db, clock, Steps()) as engine:
        sid = _searching(engine, clock)
        other = _searching(engine, clock, student="stu-other")
        clock.set("2027-03-15")
        assert due_steps(engine, sid) == ["search_check_in"]
        assert due_steps(engine) == ["search_check_in", "search_check_in"]
        with pytest.raises(AssertionError, match=r"no gap of step 'search_check_in'.*gaps: \[\]"):
            assert_escalated(engine, sid, "search_check_in")
        clock.set("2027-03-16")
        engine.tick()
        assert assert_escalated(engine, other, "search_check_in").actor.role == "system"
        assert due_steps(engine, sid, within=30) == ["search_check_in", "search_check_in",
                                                     "search_escalation"]  # fmt: skip


def test_a_deadline_follows_the_planned_dates_when_they_change(db: str, clock: FakeClock) -> None:
    """A repeated placement period brings new planned dates: the deadlines counted from
    them move (a new row from the event that changed the plan), the others stay."""
    states = ("active", "suspended", "assessment", "agreement_pending")
    end = GuidanceStep(name="final_assessment", anchor="planned_end", role="assessor",
                       offset=10, unit="working_days", states=states)  # fmt: skip
    with _engine(db, clock, Steps(end)) as engine:
        trip = journey(engine, clock)
        sid = trip.open(planned_start="2027-03-08", planned_end="2027-05-28")
        trip.to_active(sid)
        engine.record(sid, "hours", actor=STUDENT, data={"hours": 400})
        engine.fire(sid, "finish", actor=COACH)
        assert _live(engine, sid) == {"final_assessment": ("open", "2027-06-11")}
        engine.record(sid, "assessment_decision", actor=ASSESSOR, data={"outcome": "failed"})
        engine.fire(sid, "repeat_placement", actor=COACH, data={
            "reason": "hours_not_met", "document": "pok-2", "hours_per_week": 32,
            "planned_start": "2027-06-07", "planned_end": "2027-07-30"})  # fmt: skip
        moved = engine.store.deadlines(sid, open_only=False)[-2:]
        assert [(d.status, d.due_at[:10]) for d in moved] == [
            ("cancelled", "2027-06-11"), ("open", "2027-08-13")]  # fmt: skip
        assert moved[1].key.split(":")[2] == str(engine.stream(sid).version)


# -- properties ----------------------------------------------------------------------


#: What a random walk does: a command on the stream, a move of the clock, or a tick.
MOVES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                ("fire", "begin_search", STUDENT, None),
                ("fire", "request_assistance", STUDENT, None),
                ("fire", "return_to_own_search", STUDENT, None),
                ("fire", "propose_placement", STUDENT, {"employer": "emp-1"}),
                ("fire", "verify_employer", PLACEMENT_OFFICE, None),
                ("fire", "cancel_placement", STUDENT, {"reason": "student_choice"}),
                ("record", "guidance_contact", COACH, {"moment": "other"}),
                ("dismiss",),
            ]
        ),
        st.tuples(st.just("wait"), st.integers(1, 20)),
        st.just(("tick",)),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(moves=MOVES)
def test_deadlines_keep_in_step_with_any_walk(tmp_path: Path, moves: list[Any]) -> None:
    """Whatever is done in whatever order, with ticks in between: no deadline is
    escalated twice, every live one applies in the stream's state, each gap is a
    deadline the tick marked missed, and the log verifies."""
    clock = FakeClock(MONDAY)
    path = tmp_path / f"walk-{uuid.uuid4().hex}.db"
    with _engine(str(path), clock, Steps(CHECK_IN, ESCALATION, SIGNATURES, VERIFICATION)) as engine:
        sid = journey(engine, clock).open(planned_start="2027-05-03", planned_end="2027-09-30")
        for move in moves:
            if move[0] == "wait":
                clock.advance(days=move[1])
            elif move[0] == "tick":
                engine.tick()
            elif move[0] == "dismiss":
                with contextlib.suppress(InvalidInput):
                    engine.dismiss(sid, "employer_verification", actor=PLACEMENT_OFFICE,
                                   reason="other")  # fmt: skip
            else:
                kind, name, actor, data = move
                command = engine.fire if kind == "fire" else engine.record
                with contextlib.suppress(InvalidInput, Refused):
                    command(sid, name, actor=actor, data=data)
        engine.tick()
        state = engine.stream(sid).state
        rows = engine.store.deadlines(sid, open_only=False)
        for row in rows:
            if row.status in ("open", "missed"):
                assert state in json.loads(row.data)["states"], (row.step, state)
        gaps = [json.loads(e.body or b"{}")["data"]["deadline"]
                for e in engine.store.read_events(sid) if e.type == "escalated"]  # fmt: skip
        assert len(gaps) == len(set(gaps)), "a deadline escalated twice"
        marked = {r.key for r in rows if r.kind == "deadline" and r.closed_at is not None}
        assert set(gaps) <= marked
        now = rfc3339(clock.now)
        overdue_open = [r.key for r in rows if r.status == "open" and r.kind == "deadline"
                        and r.due_at <= now]  # fmt: skip
        assert overdue_open == [], "a tick left a due deadline open"
        assert engine.verify().ok
