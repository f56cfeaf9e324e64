"""The demo year: the driver that moves the clock from phase to phase and runs each
journey's step, the cohort's and the safeguarding stories' (reports, a revocation)."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import date, timedelta

from .. import Actor, Engine, Refused
from ._cohort import (
    ADVISOR,
    COACH,
    FIRST_FRIDAY,
    GUIDED_FACTS,
    HANDLER,
    OFFICE,
    PHASES,
    PLANNED_END,
    PLANNED_HOURS,
    PLANNED_START,
    PRIVACY_OFFICER,
    QUIET,
    REPORT,
    REVOKED,
    DemoClock,
    Year,
    _Student,
    scenarios,
)

__all__ = ["run_demo"]


#: What the student is told of at intake (needs no consent).
SIGNPOSTS = ["sbb_meldpunt", "student_union", "antidiscrimination_bureau"]


def _last_employer(engine: Engine, sid: str) -> str | None:
    """The employer the internship's last placement was proposed at."""
    proposals = [e for e in engine.history(sid) if e.name == "propose_placement"]
    return proposals[-1].data["employer"] if proposals else None


def _case_journeys(engine: Engine, internship: str | None) -> list[Year]:
    def with_consent() -> Year:
        employer = _last_employer(engine, internship) if internship else None
        sid = engine.report(
            actor=Actor("demo-student-case-1", "student"),
            phase="internship",
            internship=internship,
            employer=employer or "demo-employer-unknown",
            ground="origin",
            description=REPORT,
        ).stream_id
        engine.fire(sid, "acknowledge", actor=ADVISOR)
        engine.fire(sid, "hold_intake", actor=ADVISOR, data={"signposted": SIGNPOSTS})
        engine.fire(sid, "give_consent", actor=ADVISOR,
                    data={"form": "written", "given_by": "affected_student"})  # fmt: skip
        engine.reveal(sid, actor=ADVISOR)  # the advisor reads it: in the access log
        yield
        engine.record(sid, "employer_hearing", actor=HANDLER, data={"held_on": "2027-04-12"})
        engine.fire(sid, "refer", actor=HANDLER, data={"to": "sbb_meldpunt"})
        engine.fire(sid, "record_external_outcome", actor=HANDLER, data={"outcome": "founded"})
        engine.fire(sid, "record_outcome", actor=HANDLER, data={"outcome": "founded"})
        engine.record(sid, "reporter_feedback", actor=ADVISOR, data={"channel": "in_person"})
        engine.fire(sid, "close", actor=ADVISOR)
        # the advisor recommends a block (the case stays sealed); the office decides
        recommended = engine.recommend_flag(sid, "block", actor=ADVISOR)
        blocked = engine.stream(sid).facts["details"]["employer"]
        engine.raise_flag(blocked, "block", actor=OFFICE, reason="discrimination",
                          basis="recommendation", recommendation=recommended.seq,
                          review_on="2027-09-01", expires_on="2028-03-31")  # fmt: skip
        yield
        # a later placement proposed there is refused, saying why; another one goes ahead
        late = _Student(engine, random.Random(0), 9001, "mbo_bpv", "normal")
        late.sid = late.steps.open(actor=COACH, student=late.actor.id,
                                   programme="demo-programme-ict", qualification="25604",
                                   level=3, track="BOL", planned_start="2027-09-01",
                                   planned_end="2028-01-31", planned_hours=PLANNED_HOURS,
                                   turns_18_on="2026-03-02")  # fmt: skip
        late.steps.search(late.sid)
        if not late.steps.place(late.sid, blocked):  # refused: employer.blocked
            late.fire("cancel_placement", OFFICE, reason="employer_blocked")
            late.steps.place(late.sid, "demo-employer-9001")

    def without_consent() -> Year:
        sid = engine.report(
            actor=Actor("demo-student-case-2", "student"),
            phase="search",
            employer=QUIET,
            description="They said the position was filled.",
        ).stream_id
        engine.fire(sid, "acknowledge", actor=ADVISOR)
        engine.fire(sid, "hold_intake", actor=ADVISOR, data={"signposted": SIGNPOSTS})
        engine.fire(sid, "register_only", actor=ADVISOR)
        yield
        # refused: the reporter wants no action, so no hearing with the employer
        with contextlib.suppress(Refused):
            engine.record(sid, "employer_hearing", actor=HANDLER, data={"held_on": "2027-04-12"})
        engine.fire(sid, "record_outcome", actor=ADVISOR, data={"outcome": "undetermined"})
        engine.record(sid, "reporter_feedback", actor=ADVISOR, data={"channel": "written"})
        engine.fire(sid, "close", actor=ADVISOR)
        # the reporter asks to be forgotten: their key is destroyed, the log still verifies
        engine.erase("demo-student-case-2", actor=PRIVACY_OFFICER, basis="consent_withdrawn")

    return [with_consent(), without_consent()]


#: What a student reports of an application (sealed under the reporter's key).
SEARCH_REPORT = "Invited, then told the place was gone once they heard my name on the phone."


def more_reports(engine: Engine, count: int) -> Year:
    """*count* students report discrimination, most while searching (about three employers):
    most are acknowledged at once, a few only weeks later (a missed case deadline); two in
    five consent to handling, the others are registered only; each gets an outcome. The
    monitor then has reports enough to publish some of their counts."""
    cases = []
    for k in range(count):
        sid = engine.report(
            actor=Actor(f"demo-student-report-{k}", "student"),
            phase="internship" if k % 3 == 0 else "search",  # some during a placement
            employer=f"demo-lb-report-{k % 3}",
            description=SEARCH_REPORT,
        ).stream_id
        late = k % 4 == 3
        if not late:
            engine.fire(sid, "acknowledge", actor=ADVISOR)
            engine.fire(sid, "hold_intake", actor=ADVISOR, data={"signposted": SIGNPOSTS})
        cases.append((sid, late, k % 5 < 2))
    yield  # weeks later: the late ones are acknowledged, every intake held
    for sid, late, consents in cases:
        if late:
            engine.fire(sid, "acknowledge", actor=ADVISOR)
            engine.fire(sid, "hold_intake", actor=ADVISOR, data={"signposted": SIGNPOSTS})
        if consents:
            engine.fire(sid, "give_consent", actor=ADVISOR,
                        data={"form": "written", "given_by": "reporter"})  # fmt: skip
        else:
            engine.fire(sid, "register_only", actor=ADVISOR)
    yield  # the outcomes
    for n, (sid, _, consents) in enumerate(cases):
        if consents:
            engine.record(sid, "employer_hearing", actor=HANDLER, data={"held_on": "2027-01-11"})
            outcome = "unfounded" if n % 2 else "undetermined"
            engine.fire(sid, "record_outcome", actor=HANDLER, data={"outcome": outcome})
        else:
            engine.fire(sid, "record_outcome", actor=ADVISOR, data={"outcome": "undetermined"})
        engine.record(sid, "reporter_feedback", actor=ADVISOR, data={"channel": "written"})
        engine.fire(sid, "close", actor=ADVISOR)


def _revocation(engine: Engine, clock: DemoClock) -> Year:
    """Three placements at an employer whose recognition SBB revokes before they start:
    each is cancelled and the student helped to an assisted search, in one cascade."""
    students = [_Student(engine, random.Random(n), 9100 + n, "mbo_bpv", "normal")
                for n in range(3)]  # fmt: skip
    for student in students:
        student.sid = student.steps.open(actor=COACH, student=student.actor.id,
                                         programme="demo-programme-care",
                                         qualification="25604", level=2, track="BOL",
                                         planned_start=PLANNED_START, planned_end=PLANNED_END,
                                         planned_hours=PLANNED_HOURS,
                                         turns_18_on="2026-03-02")  # fmt: skip
        student.steps.search(student.sid)
        student.steps.place(student.sid, REVOKED)
    yield  # agreement: SBB's letter arrives
    engine.revoke_recognition(REVOKED, "25604", clock().date(), actor=OFFICE,
                              source="placement_office")  # fmt: skip


def run_demo(
    engine: Engine,
    clock: DemoClock,
    students: int,
    seed: int,
    progress: Callable[[str, int], None] = lambda phase, steps: None,
) -> None:
    """Drive *students* seeded students (and two cases) through the demo year.

    *progress* is called after each journey step with the phase's label and 1.
    """
    rng = random.Random(seed)
    guided = {fact.name for fact in engine.institution_facts} >= GUIDED_FACTS
    cohort = [
        _Student(engine, random.Random(rng.random()), n + 1, lifecycle, scenario, guided)
        for n, (scenario, lifecycle) in enumerate(scenarios(students, seed))
    ]
    journeys = [student.journey() for student in cohort]
    case_phase = next(i for i, (label, _) in enumerate(PHASES) if label == "midterm")
    previous: date | None = None

    def every_day(day: date) -> None:
        if guided and day.weekday() == 4 and (day - FIRST_FRIDAY).days % 14 == 0:
            for student in cohort:
                student.log_fortnight()

    for index, (label, day) in enumerate(PHASES):
        if previous is not None:  # nightly ticks: deadlines, cascades, the daily patterns
            _tick_until(engine, clock, previous, day, every_day)
        previous = day
        clock.enter(day)
        if label == "placement":
            journeys.append(_revocation(engine, clock))
            journeys.append(more_reports(engine, students // 10))
        if index == case_phase:
            terminated = next((s.sid for s in cohort if s.scenario == "termination"), None)
            journeys.extend(_case_journeys(engine, terminated))
        alive = []
        for journey in journeys:
            try:
                next(journey)
                alive.append(journey)
            except StopIteration:
                pass
            progress(label, 1)
        journeys = alive


def _tick_until(
    engine: Engine, clock: DemoClock, first: date, last: date, each: Callable[[date], None]
) -> None:
    """Every day after *first* up to and including *last*: *each* of that day, then the
    nightly tick."""
    day = first
    while day < last:
        day += timedelta(days=1)
        clock.enter(day)
        each(day)
        engine.tick()
