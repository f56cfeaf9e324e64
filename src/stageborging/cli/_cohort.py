"""The demo cohort: seeded students driven through the lifecycle by the public API.

Each student follows a *journey*: a generator that runs the commands of one
phase of the school year, then yields until the next phase. The driver moves
the clock from phase to phase, so that the log's times run forward like a real
year: orientation in September, placements in October, signatures in January,
start in February, assessment in July. With guidance steps installed (the
``mbo-defaults`` plugin) the driver ticks every day between the phases, so that
what a student or the school leaves undone is escalated on its day.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Generator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from attrs import define, evolve, field

from .. import Actor, Engine, hookimpl
from ..testing import Cast, Journey

__all__ = [
    "GUIDANCE_PLUGIN",
    "GUIDANCE_SETTINGS",
    "PHASES",
    "DemoClock",
    "DemoRegister",
    "holds_only_demo_data",
    "remove_database",
    "scenarios",
]

#: (label, first day) of each phase of the demo year.
PHASES = (
    ("orientation", date(2026, 9, 1)),
    ("search", date(2026, 10, 1)),
    ("check-in", date(2026, 10, 14)),
    ("placement", date(2026, 10, 26)),
    ("agreement", date(2027, 1, 11)),
    ("start", date(2027, 2, 1)),
    ("midterm", date(2027, 3, 15)),
    ("spring", date(2027, 4, 12)),
    ("finish", date(2027, 6, 28)),
    ("assessment", date(2027, 7, 12)),
)
PLANNED_START = "2027-02-01"
#: The first Friday of the placements: students log hours every other Friday from then.
FIRST_FRIDAY = date(2027, 2, 12)
PLANNED_END = "2027-06-30"
PLANNED_HOURS = 640
#: The allowances the demo's agreements record, by student number: most at least the
#: expenses (the Stagepact norm), some less.
ALLOWANCES = ("expenses", "stipend", "expenses", "partial", "stipend", "expenses", "expenses",
              "none", "stipend")  # fmt: skip

OFFICE = Actor("demo-po-1", "placement_office")
COACH = Actor("demo-coach-1", "coach")
EXAM = Actor("demo-exam-1", "exam_committee")
ASSESSOR = Actor("demo-assessor-1", "assessor")
ADVISOR = Actor("demo-vp-1", "confidential_advisor")
HANDLER = Actor("demo-meldpunt-1", "case_handler")
SYSTEM = Actor("demo-sis", "system")
PRIVACY_OFFICER = Actor("demo-dpo-1", "privacy_officer")
#: The free text of the demo: sealed under its subject's key, never stored in the clear.
SUSPENSION_NOTE = "Ill for two weeks; back after the spring break, as agreed with the employer."
REPORT = "At the interview the manager asked where my parents come from, then ended it."
EMPLOYER = Actor("demo-employer-1", "employer")
GUARDIAN = Actor("demo-guardian-1", "guardian")
#: Who signs and fires the journey's steps (the student is each student's own).
CAST = Cast(
    office=OFFICE, student=Actor("demo-student", "student"), employer=EMPLOYER, coach=COACH,
    guardian=GUARDIAN, exam=EXAM, assessor=ASSESSOR, advisor=ADVISOR,
)  # fmt: skip

#: Every scenario appears at least once, in this order, before random ones.
SPECIAL = (
    "unrecognised_employer",
    "missing_signature",
    "amended_not_resigned",
    "minor",
    "suspension",
    "termination",
    "withdrawal",
    "no_placement",
    "bbl",
    "failed_assessment",
)
WEIGHTS = {
    "normal": 70,
    "unrecognised_employer": 6,
    "missing_signature": 6,
    "amended_not_resigned": 5,
    "minor": 5,
    "suspension": 3,
    "termination": 2,
    "withdrawal": 2,
    "no_placement": 1,
    "bbl": 4,
    "failed_assessment": 2,
}

#: The institution facts the guided story records (the mbo-defaults plugin declares them).
#: The employers of the safeguarding stories: one whose recognition SBB revokes, one
#: that keeps rejecting students (a pattern alert), and one a report is registered
#: about without consent.
REVOKED, PATTERN, QUIET = "demo-lb-revoked", "demo-lb-pattern", "demo-lb-quiet"
GUIDED_FACTS = frozenset({"application_training", "three_way_talk", "vog_received"})
#: The installed plugin whose guidance steps the demo runs with, and its demo settings.
GUIDANCE_PLUGIN = "mbo-defaults"
GUIDANCE_SETTINGS = {"vog_programmes": ["demo-programme-care"]}

#: One student's (or case's) year: a phase's commands, then a yield until the next phase.
Year = Generator[None, None, None]


class DemoClock:
    """The demo's clock: the current phase's day, a minute later at every call."""

    def __init__(self) -> None:
        self._now = datetime.combine(PHASES[0][1], datetime.min.time(), UTC)

    def __call__(self) -> datetime:
        self._now += timedelta(seconds=7)
        return self._now

    def enter(self, day: date) -> None:
        self._now = max(self._now, datetime.combine(day, datetime.min.time(), UTC)) + timedelta(
            hours=8
        )


class DemoRegister:
    """A recognition verifier over an in-memory register: the demo's stand-in for SBB."""

    name = "demo-register"

    @hookimpl
    def stageborging_verify_recognition(self, employer: str) -> bool:
        return not employer.startswith("demo-unrecognised")


def scenarios(students: int, seed: int) -> list[tuple[str, str]]:
    """(scenario, lifecycle) for each student: every special scenario once, then drawn."""
    rng = random.Random(seed)
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    picked = [*SPECIAL[:students], *rng.choices(names, weights, k=max(0, students - len(SPECIAL)))]
    # a BBL student is MBO by definition
    return [(s, "hbo_stage" if rng.random() < 0.25 and s != "bbl" else "mbo_bpv") for s in picked]


@define
class _Student:
    engine: Engine
    rng: random.Random
    number: int
    lifecycle: str
    scenario: str
    #: Whether the guidance steps' facts exist (the mbo-defaults plugin is installed).
    guided: bool = False
    sid: str = ""
    actor: Actor = field(init=False)
    steps: Journey = field(init=False)

    def __attrs_post_init__(self) -> None:
        self.actor = Actor(f"demo-student-{self.number:04d}", "student")
        # A refusal is part of the story (the engine records it), so the steps go on.
        cast = evolve(CAST, student=self.actor)
        self.steps = Journey(self.engine, cast=cast, keep_going=True)

    # helpers ---------------------------------------------------------------

    def fire(self, trigger: str, actor: Actor, **data: Any) -> bool:
        """Fire; a refusal is part of the story (it is recorded), so it returns False."""
        return self.steps.fire(self.sid, trigger, actor, data or None) is not None

    def record(self, fact: str, actor: Actor, **data: Any) -> bool:
        return self.steps.record(self.sid, fact, actor, data) is not None

    def misses(self, step: str) -> bool:
        """Whether this student (or their coach) leaves *step* undone: a few, by number."""
        every = {"orientation_training": 9, "search_check_in": 7, "start_intake": 11}[step]
        return self.number % every == every // 2

    @property
    def late(self) -> bool:
        """The student whose agreement is confirmed after the planned start."""
        return self.guided and self.scenario == "normal" and self.number % 17 == 0

    def guide(self, fact: str, actor: Actor = COACH, **data: Any) -> None:
        """Record an institution fact of the guidance steps (when they are installed)."""
        if self.guided and self.steps.engine.stream(self.sid).lifecycle == "mbo_bpv":
            self.record(fact, actor, **data)

    def log_phase_hours(self, hours: int) -> None:
        """Half the planned hours at a time, without the guidance steps; with them the
        student logs hours every other Friday (:meth:`log_fortnight`)."""
        if not self.guided:
            self.record("hours", self.actor, hours=hours)

    def log_remaining_hours(self) -> None:
        """At the end: the hours still to make up the planned hours."""
        done = self.steps.engine.stream(self.sid).facts.get("hours", 0)
        if done < PLANNED_HOURS:
            self.record("hours", self.actor, hours=PLANNED_HOURS - done)

    def log_fortnight(self) -> None:
        """Two weeks of hours while active; a few students log too few (behind)."""
        if self.sid and self.steps.engine.stream(self.sid).state == "active":
            self.record("hours", self.actor, hours=30 if self.number % 31 == 7 else 64)

    def stalled(self) -> bool:
        """Whether a missed stalled-search step proposes assisted search for the student."""
        return any(
            d.kind == "proposal" and d.step.startswith("search_stalled")
            for d in self.steps.engine.store.deadlines(self.sid)
        )

    def place(self, employer: str) -> None:
        """Propose, verify and draft; an unrecognised employer is refused and replaced."""
        if not self.steps.place(self.sid, employer):
            self.fire("cancel_placement", OFFICE, reason="not_recognised")
            self.steps.place(self.sid, f"demo-employer-{self.number}b")
        self.steps.draft(self.sid, f"doc-{self.number}", allowance=ALLOWANCES[self.number % 9])

    # the year ----------------------------------------------------------------

    def journey(self) -> Year:
        data: dict[str, Any] = {
            "student": self.actor.id,
            "programme": "demo-programme-ict" if self.number % 2 else "demo-programme-care",
            "planned_start": "2027-01-25" if self.late else PLANNED_START,
            "planned_end": PLANNED_END,
            "planned_hours": PLANNED_HOURS,
            "turns_18_on": "2026-03-02",  # an adult by the agreement in January
        }
        if self.lifecycle == "mbo_bpv":
            track = "BBL" if self.scenario == "bbl" else "BOL"
            data.update(qualification="25604", level=self.rng.choice((2, 3, 4)), track=track)
        if self.scenario == "minor":
            data["turns_18_on"] = "2027-05-20"
        self.sid = self.steps.open(self.lifecycle, actor=COACH, **data)
        yield  # search
        self.steps.search(self.sid)
        if not self.misses("orientation_training"):
            self.guide("application_training")
        for n in range(self.rng.randint(2, 6)):
            application = f"app-{self.number}-{n}"
            self.record("application_sent", self.actor, application=application, employer=f"e-{n}")
            outcome = self.rng.choice(("invited", "rejected", "no_response"))
            self.record("application_outcome", self.actor, application=application, outcome=outcome)
        for vacancy in ("p1", "p2") if data.get("level") == 4 else ():
            # one employer never invites them (two vacancies each): a pattern alert
            application = f"app-{self.number}-{vacancy}"
            self.record("application_sent", self.actor, application=application, employer=PATTERN)
            self.record("application_outcome", self.actor, application=application,
                        outcome="rejected")  # fmt: skip
        if self.scenario == "no_placement":
            self.fire("request_assistance", SYSTEM)
            return
        if self.scenario == "withdrawal":
            self.fire("withdraw", SYSTEM)
            return
        yield  # check-in
        if self.guided and self.stalled():  # four applications, no invitation: help
            self.fire("request_assistance", COACH)
        elif not self.misses("search_check_in"):
            self.record("guidance_contact", COACH, moment="other")
        yield  # placement
        first = "demo-unrecognised-1" if self.scenario == "unrecognised_employer" else None
        self.place(first or f"demo-employer-{self.number}")
        yield  # agreement
        self._agreement()
        yield  # start
        if self.late:
            self._late_confirmation()
            yield  # midterm: the rescheduled start has come
        elif self.scenario == "bbl" and not self.steps.start(self.sid):
            # refused: a BBL student is an employee; the contract is recorded, then the start
            employer = self.steps.engine.stream(self.sid).facts["employer"]
            self.record("employment_contract", EMPLOYER, employer=employer)
        if not self.steps.start(self.sid) and self.guided and self.number % 26 == 0:
            # refused: a care programme needs a certificate of conduct (VOG) first
            self.guide("vog_received", OFFICE, issued_on="2027-01-28")
            self.steps.start(self.sid)
        self.record("guidance_contact", COACH, moment="begin")
        if not self.misses("start_intake"):
            self.guide("three_way_talk")
        if self.late:
            yield from self._late_year()
            return
        yield  # midterm
        self.log_phase_hours(PLANNED_HOURS // 2)
        self.record("midterm_review", COACH, social_safety="safe")
        # a few coaches meet online instead of on site (the Stagepact norm missed)
        where = "online" if self.number % 11 == 5 else "on_site"
        self.record("guidance_contact", COACH, moment="middle", location=where)
        if self.scenario == "suspension":  # the note is sealed under the student's key
            self.fire("suspend", COACH, reason="illness", note=SUSPENSION_NOTE)
        if self.scenario == "termination":
            # the system starts the replacement search in the same command
            self.fire("terminate", COACH, reason="discrimination")
            if self.guided:  # the replacement's dates at once; the hours worked count
                self.record("reschedule", COACH, reason="replacement", planned_start="2027-05-03",
                            planned_end="2027-09-24")  # fmt: skip
            yield  # spring: a new placement on the new dates
            self.place(f"demo-employer-{self.number}c")
            return
        yield  # spring
        if self.scenario == "suspension":
            self.fire("resume", COACH)
        yield  # finish
        self.log_remaining_hours()
        if self.number % 13 != 7:  # and a few skip the closing contact
            self.record("guidance_contact", COACH, moment="end")
        self.fire("finish", COACH)
        yield  # assessment
        if self.scenario == "failed_assessment":
            self.record("assessment_decision", ASSESSOR, outcome="failed")
            self.fire("complete", ASSESSOR)  # refused: a failed assessment never completes
            self.fire(
                "repeat_placement", COACH, reason="work_processes_not_shown",
                document=f"doc-{self.number}-repeat", hours_per_week=32,
                planned_start="2027-09-06", planned_end="2027-12-17",
            )  # fmt: skip
            return
        self.record("assessment_decision", ASSESSOR, outcome="passed")
        self.fire("complete", ASSESSOR)

    def _late_confirmation(self) -> None:
        """Confirmed a week after the planned start: the start is refused as retroactive;
        the agreement is amended with new dates, signed again, confirmed."""
        sid = self.sid
        self.steps.confirm(sid)
        self.steps.start(sid)  # refused: start.retroactive
        self.fire("amend_agreement", OFFICE, document=f"doc-{self.number}-v2", hours_per_week=32,
                  reason="late_confirmation", planned_start="2027-02-15",
                  planned_end=PLANNED_END)  # fmt: skip
        self.steps.sign(sid, "student", "school", "employer", version=2)
        self.steps.confirm(sid)

    def _late_year(self) -> Year:
        """The rest of the late student's year: it started in the midterm phase."""
        yield  # spring
        self.log_phase_hours(PLANNED_HOURS // 2)
        self.record("midterm_review", COACH, social_safety="safe")
        self.record("guidance_contact", COACH, moment="middle", location="on_site")
        yield  # finish
        self.log_remaining_hours()
        if self.number % 13 != 7:  # and a few skip the closing contact
            self.record("guidance_contact", COACH, moment="end")
        self.fire("finish", COACH)
        yield  # assessment
        self.record("assessment_decision", ASSESSOR, outcome="passed")
        self.fire("complete", ASSESSOR)

    def _agreement(self) -> None:
        sid, sign, confirm = self.sid, self.steps.sign, self.steps.confirm
        if self.guided and self.number % 2 == 0 and self.number % 26:
            self.guide("vog_received", OFFICE, issued_on="2027-01-08")  # a care programme
        if self.late:
            sign(sid, "student", "school", "employer", version=1)
            return  # not confirmed before the start
        if self.scenario == "missing_signature":
            sign(sid, "student", "school", version=1)
            confirm(sid)  # refused: the employer has not signed
            sign(sid, "employer", version=1)
        else:
            sign(sid, "student", "school", "employer", version=1)
            if self.scenario == "minor":
                sign(sid, "guardian", version=1)
        confirm(sid)
        if self.scenario == "amended_not_resigned":
            self.fire(
                "amend_agreement", OFFICE, document=f"doc-{self.number}-v2", hours_per_week=32
            )
            sign(sid, "student", version=1)  # refused: version 1 is no longer current
            sign(sid, "school", version=2)
            confirm(sid)  # refused: student and employer missing
            sign(sid, "student", "employer", version=2)
            confirm(sid)


def holds_only_demo_data(path: Path) -> bool:
    """True when *path* is empty or holds only demo data (every actor id starts with
    ``demo-``, but the system's own: guidance escalations, replacement searches, employers'
    streams opened, cascades and pattern alerts)."""
    if path.stat().st_size == 0:
        return True
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            (foreign,) = conn.execute(
                "SELECT count(*) FROM events WHERE actor_id NOT LIKE 'demo-%' AND NOT "
                "(actor_role = 'system' AND actor_id IN ('guidance', 'replacement', 'employers',"
                " 'cascade', 'patterns'))"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False  # not a stageborging database: never ours to delete
    return int(foreign) == 0


def remove_database(path: Path) -> None:
    """Delete a SQLite database file and its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
