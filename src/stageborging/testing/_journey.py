"""The journey: internships driven along their lifecycles, in small steps or as a story.

This module does not need pytest: the command line's demo drives its cohort
with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from attrs import frozen

from .. import Actor, Engine, Event, InvalidInput, Refused, hookimpl
from ._clock import FakeClock

__all__ = ["Cast", "Journey", "KitRegister", "Step"]

START = "2027-02-01"
#: Opening data of an adult MBO student (18 since 2025-09-01) starting on 2027-02-01
#: (the student comes from the cast); a definition gets the fields it has. The
#: agreement's hours a week (``hours_per_week``) are drafted, not opened.
_DETAILS: dict[str, Any] = {
    "programme": "kit-ict", "qualification": "25604", "level": 4, "track": "BOL",
    "planned_start": START, "planned_end": "2027-06-30", "planned_hours": 400,
    "turns_18_on": "2025-09-01", "hours_per_week": 32,
}  # fmt: skip


#: The kit's own actors (the contract's personal-data check knows their ids).
_KIT = {
    "office": Actor("kit-po", "placement_office"),
    "student": Actor("kit-student", "student"),
    "employer": Actor("kit-employer", "employer"),
    "coach": Actor("kit-coach", "coach"),
    "guardian": Actor("kit-guardian", "guardian"),
    "exam": Actor("kit-exam", "exam_committee"),
    "assessor": Actor("kit-assessor", "assessor"),
    "advisor": Actor("kit-advisor", "confidential_advisor"),
    "handler": Actor("kit-handler", "case_handler"),
    "team_lead": Actor("kit-team-lead", "team_lead"),
}


@frozen
class Cast:
    """Who plays which part in a journey: one pseudonymous actor per role.

    Replace some with :func:`attrs.evolve` (``evolve(Cast(), student=...)``).
    """

    office: Actor = _KIT["office"]
    student: Actor = _KIT["student"]
    employer: Actor = _KIT["employer"]
    coach: Actor = _KIT["coach"]
    guardian: Actor = _KIT["guardian"]
    exam: Actor = _KIT["exam"]
    assessor: Actor = _KIT["assessor"]
    advisor: Actor = _KIT["advisor"]
    handler: Actor = _KIT["handler"]
    team_lead: Actor = _KIT["team_lead"]

    def signer(self, party: str) -> Actor:
        """The actor who signs an agreement for *party* (``student``, ``school`` …)."""
        return {
            "student": self.student,
            "employer": self.employer,
            "school": self.office,
            "guardian": self.guardian,
        }[party]


class Step(NamedTuple):
    """One command of a journey: run it with ``engine.fire`` or ``engine.record``."""

    stream_id: str
    kind: str  #: ``"fire"`` or ``"record"``
    name: str
    actor: Actor
    data: dict[str, Any] | None


class KitRegister:
    """A recognition verifier for journeys: every employer except ``kit-unrecognised``."""

    name = "stageborging.testing.register"

    @hookimpl
    def stageborging_verify_recognition(self, employer: str) -> bool:
        return employer != "kit-unrecognised"


class Journey:
    """Drives internships (MBO and HBO) and a case along their lifecycles.

    **Small steps**, each on one internship, from where the previous one left
    it: :meth:`open`, :meth:`search`, :meth:`place`, :meth:`draft`,
    :meth:`sign`, :meth:`confirm` and :meth:`start`, and the shortcuts
    :meth:`to_agreement_pending`, :meth:`to_ready_to_start` and
    :meth:`to_active` from a newly opened internship. A step returns ``True``
    when its commands went ahead. A refusal raises
    :class:`~stageborging.Refused`; with ``keep_going=True`` the step stops
    there instead and returns ``False`` (the engine has recorded the refusal).

    **Safeguarding**: :meth:`report` opens a case about an employer and takes it
    with or without consent (to ``founded``, or registered only), and
    :meth:`flag_employer` gives an employer a flag the way a school does (a block
    through a founded case and the confidential advisor's recommendation).

    **The story**: :meth:`steps` yields the commands of a complete internship,
    a terminated one and a case with consent, and :meth:`run` runs them all.

    Args:
        engine: The engine to drive.
        clock: The engine's :class:`FakeClock`, moved forward to the planned
            start before an internship starts; without one, time is the
            caller's business.
        cast: The actors (:class:`Cast`).
        details: Opening data that replaces the kit's (``programme``,
            ``planned_start`` …) in every :meth:`open`.
        employer: The employer :meth:`place` proposes unless told otherwise.
        document: The agreement document :meth:`draft` drafts.
        keep_going: Return ``False`` from a refused step instead of raising.
        text: A free text the story writes into its notes (a guidance contact, a
            suspension) and its report (the description, an evidence note, with a
            sealed ground): for an engine with a master key, to see that it stays
            sealed (:meth:`PluginContract.test_never_sees_free_text`).
    """

    def __init__(
        self,
        engine: Engine,
        clock: FakeClock | None = None,
        *,
        cast: Cast | None = None,
        details: Mapping[str, Any] | None = None,
        employer: str = "kit-employer-1",
        document: str = "d1",
        keep_going: bool = False,
        text: str | None = None,
    ) -> None:
        self.engine = engine
        self.text = text
        self.clock = clock
        self.cast = cast or Cast()
        self.employer = employer
        self.document = document
        self.keep_going = keep_going
        self._details = dict(details or {})

    # -- one command -----------------------------------------------------------

    def fire(
        self, stream_id: str, trigger: str, actor: Actor, data: Mapping[str, Any] | None = None
    ) -> Event | None:
        """Fire *trigger*; the event, or ``None`` when refused and ``keep_going``."""
        return self._run(self.engine.fire, stream_id, trigger, actor, data)

    def record(
        self, stream_id: str, fact: str, actor: Actor, data: Mapping[str, Any] | None = None
    ) -> Event | None:
        """Record *fact*; the event, or ``None`` when refused and ``keep_going``."""
        return self._run(self.engine.record, stream_id, fact, actor, data)

    def _run(
        self,
        command: Callable[..., Event],
        stream_id: str,
        name: str,
        actor: Actor,
        data: Mapping[str, Any] | None,
    ) -> Event | None:
        try:
            return command(stream_id, name, actor=actor, data=data)
        except Refused:
            if self.keep_going:
                return None
            raise

    def _go(self, steps: Iterator[Step]) -> bool:
        for step in steps:
            command = self.fire if step.kind == "fire" else self.record
            if command(step.stream_id, step.name, step.actor, step.data) is None:
                return False
        return True

    # -- safeguarding ------------------------------------------------------------

    def report(
        self,
        employer: str | None = None,
        *,
        consent: bool = True,
        founded: bool = False,
        internship: str | None = None,
    ) -> str:
        """Report discrimination by the cast's student about *employer* (the journey's
        by default), acknowledged and taken in; with *consent* the case is
        investigating (*founded*: the employer heard and the outcome ``founded``), else
        registered only. Returns the case's stream id."""
        cast = self.cast
        case = self.engine.report(actor=cast.student, phase="search" if internship is None
                                  else "internship", internship=internship,
                                  employer=employer or self.employer).stream_id  # fmt: skip
        self.fire(case, "acknowledge", cast.advisor)
        self.fire(case, "hold_intake", cast.advisor, {"signposted": ["sbb_meldpunt"]})
        if not consent:
            self.fire(case, "register_only", cast.advisor)
            return case
        self.fire(case, "give_consent", cast.advisor,
                  {"form": "written", "given_by": "affected_student"})  # fmt: skip
        if founded:
            self.record(case, "employer_hearing", cast.handler, {"held_on": self._today()})
            self.fire(case, "record_outcome", cast.handler, {"outcome": "founded"})
        return case

    def flag_employer(
        self,
        employer: str | None = None,
        flag: str = "block",
        *,
        days: int = 365,
    ) -> Event:
        """Give *employer* (the journey's by default) *flag* as a school does, for *days*:
        a ``block`` through a founded case and the confidential advisor's
        recommendation, the milder flags on the school's own observation. Returns the
        ``raise_flag`` event."""
        employer = employer or self.employer
        cast = self.cast
        day = date.fromisoformat(self._today())
        review, expiry = day + timedelta(days=days // 2), day + timedelta(days=days)
        if flag != "block":
            return self.engine.raise_flag(employer, flag, actor=cast.office,
                                          reason="discrimination", basis="school_observation",
                                          review_on=review, expires_on=expiry)  # fmt: skip
        case = self.report(employer, founded=True)
        recommended = self.engine.recommend_flag(case, "block", actor=cast.advisor)
        return self.engine.raise_flag(employer, "block", actor=cast.office,
                                      reason="discrimination", basis="recommendation",
                                      recommendation=recommended.seq, review_on=review,
                                      expires_on=expiry)  # fmt: skip

    # -- small steps -----------------------------------------------------------

    def open(
        self, lifecycle: str = "mbo_bpv", *, actor: Actor | None = None, **details: Any
    ) -> str:
        """Open an internship and return its stream id.

        The opening data is the kit's (a student of the cast who turned 18 on
        2025-09-01, planned from 2027-02-01 to 2027-06-30, 400 hours; for
        ``mbo_bpv`` also qualification 25604, level 4, BOL), limited to the fields the
        definition has, then the journey's *details*, then these *details*.
        The placement office opens it unless *actor* is given.
        """
        return self.engine.open(
            lifecycle, actor=actor or self.cast.office, data=self._opening(lifecycle, details)
        ).stream_id

    def _opening(self, lifecycle: str, details: Mapping[str, Any]) -> dict[str, Any]:
        fields = {spec.name for spec in self.engine.lifecycle(lifecycle).open_fields}
        base = {"student": self.cast.student.id, **_DETAILS, **self._details}
        return {**{k: v for k, v in base.items() if k in fields}, **details}

    def search(self, stream_id: str) -> bool:
        """The student begins the search (``begin_search``)."""
        return self._go(self._searching(stream_id))

    def place(self, stream_id: str, employer: str | None = None) -> bool:
        """The student proposes *employer* and the office verifies it.

        Where the definition asks for an approved assignment (``hbo_stage``),
        the coach approves it in between.
        """
        return self._go(self._placing(stream_id, employer or self.employer))

    def draft(
        self, stream_id: str, document: str | None = None, *, allowance: str = "expenses"
    ) -> bool:
        """The office drafts the agreement, with every field the definition asks for.

        The hours a week are the journey's ``hours_per_week`` detail (32 unless given);
        the *allowance* is recorded where the definition has the field.
        """
        return self._go(self._drafting(stream_id, document or self.document, allowance))

    def sign(self, stream_id: str, *parties: str, version: int | None = None) -> bool:
        """Record the signatures of *parties* on agreement *version*.

        By default: every party that must sign (student, employer, school, and
        the guardian of a student who is under 18 today, taken as the day the
        agreement is confirmed), on the current version.
        """
        return self._go(self._signing(stream_id, parties, version))

    def confirm(self, stream_id: str) -> bool:
        """The office confirms the signatures (``confirm_signatures``)."""
        return self._go(self._confirming(stream_id))

    def start(self, stream_id: str) -> bool:
        """Move the clock to the planned start (if it is earlier), then the coach starts."""
        return self._go(self._starting(stream_id))

    def to_agreement_pending(self, stream_id: str, employer: str | None = None) -> bool:
        """From a newly opened internship: search, place and draft."""
        return self.search(stream_id) and self.place(stream_id, employer) and self.draft(stream_id)

    def to_ready_to_start(self, stream_id: str, employer: str | None = None) -> bool:
        """From a newly opened internship: to ``agreement_pending``, sign and confirm."""
        return (
            self.to_agreement_pending(stream_id, employer)
            and self.sign(stream_id)
            and self.confirm(stream_id)
        )

    def to_active(self, stream_id: str, employer: str | None = None) -> bool:
        """From a newly opened internship: to ``ready_to_start``, then start on time."""
        return self.to_ready_to_start(stream_id, employer) and self.start(stream_id)

    # -- the steps' commands ---------------------------------------------------

    def _searching(self, sid: str) -> Iterator[Step]:
        yield Step(sid, "fire", "begin_search", self.cast.student, None)

    def _placing(self, sid: str, employer: str) -> Iterator[Step]:
        yield Step(sid, "fire", "propose_placement", self.cast.student, {"employer": employer})
        lifecycle = self.engine.lifecycle(self.engine.stream(sid).lifecycle)
        if any(fact.name == "assignment_decision" for fact in lifecycle.facts):
            outcome = {"outcome": "approved"}
            yield Step(sid, "record", "assignment_decision", self.cast.coach, outcome)
        yield Step(sid, "fire", "verify_employer", self.cast.office, None)

    def _drafting(self, sid: str, document: str, allowance: str = "expenses") -> Iterator[Step]:
        lifecycle = self.engine.lifecycle(self.engine.stream(sid).lifecycle)
        (draft,) = (t for t in lifecycle.transitions if t.trigger == "draft_agreement")
        (present,) = (spec for spec in draft.fields if spec.name == "fields_present")
        data = {
            "document": document,
            "fields_present": list(present.codes),
            "hours_per_week": {**_DETAILS, **self._details}["hours_per_week"],
        }
        if any(spec.name == "allowance" for spec in draft.fields):
            data["allowance"] = allowance
        yield Step(sid, "fire", "draft_agreement", self.cast.office, data)

    def _signing(self, sid: str, parties: tuple[str, ...], version: int | None) -> Iterator[Step]:
        facts = self.engine.stream(sid).facts
        if not parties:
            # the guardian signs for a student under 18 on the day of confirmation (today)
            turns_18 = facts["details"].get("turns_18_on")
            minor = turns_18 is not None and turns_18 > self._today()
            parties = ("student", "employer", "school", *(["guardian"] if minor else []))
        current = facts.get("agreement_version", 0) if version is None else version
        for party in parties:
            data = {"party": party, "agreement_version": current}
            yield Step(sid, "record", "signature", self.cast.signer(party), data)

    def _today(self) -> str:
        now = self.clock() if self.clock is not None else datetime.now(UTC)
        return now.date().isoformat()

    def _confirming(self, sid: str) -> Iterator[Step]:
        yield Step(sid, "fire", "confirm_signatures", self.cast.office, None)

    def _starting(self, sid: str) -> Iterator[Step]:
        start = self.engine.stream(sid).facts["details"].get("planned_start")
        if self.clock is not None and start is not None and self.clock().date().isoformat() < start:
            self.clock.set(start)
        yield Step(sid, "fire", "start", self.cast.coach, None)

    # -- the story -------------------------------------------------------------

    def steps(self) -> Iterator[Step]:
        """Yield the steps of a complete internship, a terminated one and a case.

        Each :class:`Step` is ``(stream id, kind, name, actor, data)``; the
        caller runs it (``engine.fire`` or ``engine.record``) before asking
        for the next, so a test can check, dry-run or time each one. The
        first MBO internship goes from ``begin_search`` to ``complete``
        (applications, signatures, a suspension, hours, a midterm review, the
        assessment); a second, planned from today, goes through assisted
        search to a termination and a replacement search; a discrimination
        case goes from report to ``close`` with consent. The clock is moved
        as the story needs (the start waits for the planned start date).
        """
        cast = self.cast
        student, office, coach = cast.student, cast.office, cast.coach
        sid = self.open()
        yield from self._searching(sid)
        application = {"application": "a1", "employer": "e1"}
        yield Step(sid, "record", "application_sent", student, application)
        yield from self._placing(sid, self.employer)
        yield from self._drafting(sid, self.document)
        yield from self._signing(sid, (), None)
        yield from self._confirming(sid)
        yield from self._starting(sid)
        yield Step(sid, "record", "guidance_contact", coach, {"moment": "begin", **self._note()})
        yield Step(sid, "fire", "suspend", coach, {"reason": "illness", **self._note()})
        yield Step(sid, "fire", "resume", coach, None)
        yield Step(sid, "record", "hours", student, {"hours": 400})
        yield Step(sid, "record", "midterm_review", coach, {"social_safety": "safe"})
        yield Step(sid, "fire", "finish", coach, None)
        yield Step(sid, "record", "assessment_decision", cast.assessor, {"outcome": "passed"})
        yield Step(sid, "fire", "complete", cast.assessor, None)
        # a second internship, planned from today: assisted search, then a termination
        # and a replacement search
        dates: dict[str, Any] = {}
        if self.clock is not None:
            today = self.clock().date()
            dates["planned_start"] = today.isoformat()
            dates["planned_end"] = (today + timedelta(days=150)).isoformat()
        other = self.open(**dates)
        yield from self._searching(other)
        yield Step(other, "fire", "request_assistance", student, None)
        yield Step(other, "fire", "propose_placement", office, {"employer": "kit-employer-2"})
        yield Step(other, "fire", "verify_employer", office, None)
        yield from self._drafting(other, self.document)
        yield from self._signing(other, (), None)
        yield from self._confirming(other)
        yield from self._starting(other)
        yield Step(other, "fire", "terminate", coach, {"reason": "mismatch"})
        yield Step(other, "fire", "seek_replacement", coach, None)
        advisor = cast.advisor
        report: dict[str, Any] = {"phase": "search"}
        if self.text is not None:
            report.update(description=self.text, ground="religion")
        case = self.engine.open("case", actor=student, data=report).stream_id
        yield Step(case, "fire", "acknowledge", advisor, None)
        if self.text is not None:
            yield Step(case, "record", "evidence", advisor, {"kind": "statement", **self._note()})
        yield Step(case, "fire", "hold_intake", advisor, {"signposted": ["sbb_meldpunt"]})
        yield Step(case, "fire", "give_consent", advisor,
                   {"form": "written", "given_by": "affected_student"})  # fmt: skip
        handler = cast.handler
        yield Step(case, "record", "employer_hearing", handler, {"held_on": "2027-02-01"})
        yield Step(case, "fire", "record_outcome", handler, {"outcome": "founded"})
        yield Step(case, "record", "reporter_feedback", advisor, {"channel": "written"})
        yield Step(case, "fire", "close", advisor, None)

    def _note(self) -> dict[str, str]:
        """The story's note, when it writes one."""
        return {} if self.text is None else {"note": self.text}

    def run(self) -> list[Event]:
        """Run every step of :meth:`steps` and return the events that went ahead.

        A step a plugin refuses is recorded as a refusal, and the steps that
        needed it are then invalid from the state the stream is in: both are
        skipped, so the rest of the story still runs.
        """
        done = []
        for sid, kind, name, actor, data in self.steps():
            command = self.engine.fire if kind == "fire" else self.engine.record
            try:
                done.append(command(sid, name, actor=actor, data=data))
            except (Refused, InvalidInput):
                continue
        return done
