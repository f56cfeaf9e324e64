"""Reports that lead somewhere and employers with a memory: the engine's safeguarding
commands and reads (see :doc:`/safeguarding`).

Each command here is one of the engine's ordinary commands on a case, an internship or
an employer's stream, with the stream found for you: an employer's stream is opened on
its first reference, in the command's own transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from attrs import frozen

from ..core import (
    Actor,
    Alert,
    EmployerRecord,
    Event,
    EventType,
    Flag,
    HistoryItem,
    InvalidInput,
    Recognition,
    Role,
    StreamNotFound,
    StreamPage,
    check_identifier,
    parse_date,
)
from ..employers import Register
from ..lifecycles import Kind, active_flags, employer_stream_id
from ..rules import check_actor
from ..store import Store, Transaction
from ._pipeline import Outcome, Pipeline
from ._records import event_from_sealed

__all__ = ["RegisterImport", "Safeguarding"]

#: The actor that records SBB's decisions when no person does (a register import).
REGISTER = Actor("register", Role.SYSTEM)
#: The data of a history item that may be shown: codes, dates and counts only.
_SHOWN = frozenset({"flag", "reason", "basis", "review_on", "expires_on", "recommendation",
                    "alert", "qualification", "effective_on", "source", "programme", "level",
                    "applications", "invited", "p_value", "adjusted_p", "employer"})  # fmt: skip


@frozen
class RegisterImport:
    """What one register import recorded on the employers' streams.

    Attributes:
        employers: The employers known here whose listing was compared.
        listed: Recognitions newly listed (qualification and employer).
        revoked: Recognitions the previous import listed and this one does not (or
            marks revoked): recorded as revoked as of the import's day, and cascaded.
        suspended: Recognitions the register marks suspended.
        reinstated: Recognitions listed again after a revocation or suspension.
    """

    employers: int = 0
    listed: tuple[tuple[str, str], ...] = ()
    revoked: tuple[tuple[str, str], ...] = ()
    suspended: tuple[tuple[str, str], ...] = ()
    reinstated: tuple[tuple[str, str], ...] = ()


class Safeguarding:
    """The safeguarding commands and reads of :class:`~stageborging.Engine`."""

    _pipeline: Pipeline
    store: Store
    _run: Callable[[str, str, Callable[[Transaction], Outcome], float], Outcome]
    _owner: Callable[[str | None], str]
    open: Callable[..., Event]
    fire: Callable[..., Event]
    streams: Callable[..., StreamPage]

    # -- reports -------------------------------------------------------------

    def report(
        self,
        *,
        actor: Actor,
        phase: str,
        internship: str | None = None,
        employer: str | None = None,
        student: str | None = None,
        reporter: str | None = None,
        ground: str | None = None,
        description: str | None = None,
        institution: str | None = None,
        command_id: str | None = None,
    ) -> Event:
        """Report discrimination: open a ``case``, linked to an internship and an employer
        when given.

        A linked *internship* must be one this engine knows in the institution; its
        employer and student are taken over when not given (a coach reporting about a
        student's placement names the placement only). The employer's stream is opened
        on this first reference.

        Args:
            actor: Who reports (a student, a witness, a member of staff, or the
                confidential advisor for someone who stays anonymous).
            phase: ``search`` or ``internship``.
            internship: The internship it happened in or for.
            employer: The employer (leerbedrijf) it is about.
            student: The student it is about, when the reporter is someone else.
            reporter: ``student``, ``witness``, ``staff`` or ``anonymous`` (registered
                only); by default the opener, in their own name.
            ground: A self-reported ground code (sealed: special-category data).
            description: What happened, in the reporter's words (sealed for the
                confidential advisor).
            institution: As for :meth:`open`.
            command_id: As for :meth:`open`.

        Returns:
            The case's ``opened`` event.

        Raises:
            InvalidInput: naming the field that is off (an unknown internship …).
            Refused: the actor's role may not report.
        """
        data: dict[str, Any] = {"phase": phase}
        if internship is not None:
            linked = self._pipeline.visible(self.store.read_stream(check_identifier(
                "internship", internship)))  # fmt: skip
            if (
                linked is None
                or linked.kind != Kind.INTERNSHIP
                or (linked.institution != self._owner(institution))
            ):
                raise InvalidInput("internship", internship, "no internship with this id here")
            facts = self._pipeline.facts.facts(linked)
            data["internship"] = internship
            if employer is None and isinstance(facts.get("employer"), str):
                employer = facts["employer"]
            subject = facts["details"].get("student")
            if student is None and isinstance(subject, str) and subject != check_actor(actor).id:
                student = subject
        given = {"employer": employer, "student": student, "reporter": reporter,
                 "ground": ground, "description": description}  # fmt: skip
        data.update({k: v for k, v in given.items() if v is not None})
        return self.open(
            "case", actor=actor, data=data, institution=institution, command_id=command_id
        )

    def suspend_for_case(self, case: str, *, actor: Actor, note: str | None = None) -> Event:
        """Suspend the running internship a report is linked to, during its investigation
        (on the reporter's request): ``suspend`` with reason ``investigation`` and the case
        as an opaque link that only the confidential advisor can read back.

        Raises:
            InvalidInput: the case is unknown, or links no internship (naming ``case``).
            InvalidTransition: the internship is not running (``active``).
            Refused: the actor's role may not suspend.
        """
        row = self._pipeline.visible(self.store.read_stream(check_identifier("case", case)))
        if row is None or row.kind != Kind.CASE:
            raise InvalidInput("case", case, "no case with this id here")
        internship = self._pipeline.facts.facts(row)["details"].get("internship")
        if internship is None:
            raise InvalidInput("case", case, "the report links no internship")
        data = {"reason": "investigation", "case": case}
        if note is not None:
            data["note"] = note
        return self.fire(internship, "suspend", actor=actor, data=data)

    # -- employers -----------------------------------------------------------

    def employer(self, employer: str, *, institution: str | None = None) -> EmployerRecord:
        """What the institution knows of *employer*: its flags (which count today), the
        confidential advisor's open recommendations, its pattern alerts, SBB's decisions
        on its recognitions, and its history; never a case's details.

        Raises:
            StreamNotFound: nothing was ever recorded about it here.
        """
        owner = self._owner(institution)
        stream_id = employer_stream_id(check_identifier("employer", employer), owner)
        row = self._pipeline.visible(self.store.read_stream(stream_id))
        facts = None if row is None else self._pipeline.facts.facts(row)
        if row is None or facts is None or row.kind != Kind.EMPLOYER or (
            row.institution, facts["details"].get("employer")) != (owner, employer):  # fmt: skip
            raise StreamNotFound(stream_id)
        today = self._pipeline.moment().day
        counting = active_flags(facts, today)
        flags = tuple(
            Flag(flag=name, active=name in counting, **kept)
            for name, kept in sorted(facts.get("flags", {}).items())
        )
        history = []
        alert_data: dict[int, Mapping[str, Any]] = {}
        for event in self.store.read_events(stream_id):
            body = json.loads(event.body) if event.body is not None else {}
            data = body.get("data", {})
            shown = {k: v for k, v in data.items() if k in _SHOWN}
            at = datetime.fromisoformat(event.occurred_at)
            history.append(HistoryItem(event.seq, at, event.type, event.name, event.actor_role,
                                       shown))  # fmt: skip
            if event.name == "pattern_alert" and event.type == EventType.RECORDED:
                alert_data[event.seq] = data
        alerts = tuple(
            Alert(int(seq), kept["status"], kept["raised_on"], alert_data.get(int(seq), {}))
            for seq, kept in sorted(facts.get("alerts", {}).items(), key=lambda i: int(i[0]))
        )
        return EmployerRecord(
            employer=employer,
            stream_id=stream_id,
            state=row.state,
            flags=flags,
            recommendations=tuple(facts.get("recommendations", ())),
            alerts=alerts,
            recognitions=facts.get("recognitions", {}),
            closed_on=facts.get("closed_on"),
            history=tuple(history),
        )

    def open_alerts(self, *, institution: str | None = None) -> tuple[tuple[str, Alert], ...]:
        """Every rejection-pattern alert waiting for a person's review: (employer, alert),
        by employer.

        Args:
            institution: Whose employers (a bound engine: its own; unbound: every
                institution's, unless one is named).
        """
        found: list[tuple[str, Alert]] = []
        after = None
        while True:
            page = self.streams(lifecycle="employer", institution=institution, limit=500,
                                after=after)  # fmt: skip
            for stream in page.streams:
                if not any(a["status"] == "open" for a in stream.facts.get("alerts", {}).values()):
                    continue
                employer = stream.facts["details"]["employer"]
                record = self.employer(employer, institution=stream.institution or None)
                found += [(employer, alert) for alert in record.open_alerts]
            if page.next is None:
                return tuple(found)
            after = page.next

    def raise_flag(
        self,
        employer: str,
        flag: str,
        *,
        actor: Actor,
        reason: str,
        basis: str,
        review_on: date | str,
        expires_on: date | str,
        recommendation: int | None = None,
        alert: int | None = None,
        institution: str | None = None,
    ) -> Event:
        """Raise *flag* (``watch``, ``review_before_new_placement``, ``block``) on the
        employer: a person's decision, with a reason, a basis, a review date and an expiry.
        A block rests on the confidential advisor's *recommendation* (its seq) or an
        ``external_decision``; a watch may answer a pattern *alert* (its seq: accepting
        it). A block leaves the coach of each placement there a decision to take.

        Raises:
            InvalidInput: a field is off, naming it.
            Refused: the role may not, or the flag's basis does not hold (recorded).
        """
        data: dict[str, Any] = {"flag": flag, "reason": reason, "basis": basis,
                                "review_on": review_on, "expires_on": expires_on}  # fmt: skip
        if recommendation is not None:
            data["recommendation"] = recommendation
        if alert is not None:
            data["alert"] = alert
        return self._employer_command(employer, "raise_flag", actor, data, institution)

    def lift_flag(
        self,
        employer: str,
        flag: str,
        *,
        actor: Actor,
        reason: str,
        institution: str | None = None,
    ) -> Event:
        """Lift *flag* from the employer, with a reason code (``review_passed`` …)."""
        data = {"flag": flag, "reason": reason}
        return self._employer_command(employer, "lift_flag", actor, data, institution)

    def recommend_flag(self, case: str, flag: str, *, actor: Actor) -> Event:
        """Recommend *flag* on the employer a case names: the confidential advisor's
        ``recommend_flag``, with the case as a sealed link (the placement office, told,
        decides). A block is recommended only on a founded case.

        Raises:
            InvalidInput: the case is unknown or names no employer (naming ``case``).
            Refused: the role may not, or the case does not allow it (recorded).
        """
        row = self._pipeline.visible(self.store.read_stream(check_identifier("case", case)))
        if row is None or row.kind != Kind.CASE:
            raise InvalidInput("case", case, "no case with this id here")
        employer = self._pipeline.facts.facts(row)["details"].get("employer")
        if employer is None:
            raise InvalidInput("case", case, "the report names no employer")
        data = {"flag": flag, "case": case}
        return self._employer_command(employer, "recommend_flag", actor, data, row.institution)

    def dismiss_alert(
        self,
        employer: str,
        alert: int,
        *,
        actor: Actor,
        reason: str,
        institution: str | None = None,
    ) -> Event:
        """Dismiss the pattern *alert* (its seq) on the employer, with a reason code;
        accepting one is raising a ``watch`` on it (:meth:`raise_flag`)."""
        data = {"alert": alert, "reason": reason}
        return self._employer_command(employer, "dismiss_alert", actor, data, institution)

    def revoke_recognition(
        self,
        employer: str,
        qualification: str,
        on: date | str,
        *,
        actor: Actor = REGISTER,
        source: str = "sbb",
        institution: str | None = None,
    ) -> Event:
        """Record SBB's revocation of the employer's recognition for *qualification* (a
        crebo) as of *on*, and cascade: from that day every placement there for that
        qualification that has not started is cancelled (reason ``recognition_revoked``,
        then assisted search) and every running one terminated (the replacement search
        starts in the same command), in bounded transactions. Repeating it records
        nothing twice; a cascade cut short resumes (:meth:`run_cascades`, :meth:`tick`).
        """
        return self._recognition("recognition_revoked", employer, qualification, on, actor,
                                 source, institution)  # fmt: skip

    def suspend_recognition(
        self,
        employer: str,
        qualification: str,
        on: date | str,
        *,
        actor: Actor = REGISTER,
        source: str = "sbb",
        institution: str | None = None,
    ) -> Event:
        """Record SBB's suspension (schorsing) of the recognition as of *on*: no new
        placement there for the qualification is verified, and the coach of each one
        there is asked to decide (a notice and a proposal), until it is reinstated."""
        return self._recognition("recognition_suspended", employer, qualification, on, actor,
                                 source, institution)  # fmt: skip

    def reinstate_recognition(
        self,
        employer: str,
        qualification: str,
        on: date | str,
        *,
        actor: Actor = REGISTER,
        source: str = "sbb",
        institution: str | None = None,
    ) -> Event:
        """Record that the recognition was reinstated (after an objection) as of *on*: new
        placements are verified again; what a revocation ended stays ended."""
        return self._recognition("recognition_reinstated", employer, qualification, on, actor,
                                 source, institution)  # fmt: skip

    def import_register(
        self,
        register: Register,
        *,
        on: date | str | None = None,
        institution: str | None = None,
    ) -> RegisterImport:
        """Compare a newly imported SBB register (:func:`~stageborging.employers.load_register`)
        with what the last import listed, for every employer known here, and record what
        changed as of *on* (default: today): a recognition no longer listed is revoked
        (and cascades), one marked suspended is suspended, one listed again after a
        revocation or suspension is reinstated, one listed for the first time is noted
        for the next comparison. Importing the same register again records nothing.
        """
        if not isinstance(register, Register):
            raise InvalidInput("register", register, "must be a Register (load_register(path))")
        day = self._pipeline.moment().day if on is None else parse_date("on", on)
        when = date.fromisoformat(day)
        owner = self._owner(institution)
        found: dict[str, list[tuple[str, str]]] = {
            "listed": [], "revoked": [], "suspended": [], "reinstated": []}  # fmt: skip
        employers = 0
        after = None
        while True:
            page = self.streams(lifecycle="employer", institution=owner, limit=500, after=after)
            for stream in page.streams:
                employers += 1
                employer = stream.facts["details"]["employer"]
                changes = _register_changes(register, employer, stream.facts, when)
                for change, qualification in changes:
                    if change == "listed":
                        listing = {"qualification": qualification}
                        once = f"listed:{qualification}:{day}"[:128]
                        self._employer_command(employer, "recognition_listed", REGISTER,
                                               listing, owner, command_id=once)  # fmt: skip
                    else:
                        fact = f"recognition_{change}"
                        self._recognition(fact, employer, qualification, day, REGISTER,
                                          "register_import", owner)  # fmt: skip
                    found[change].append((employer, qualification))
            if page.next is None:
                break
            after = page.next
        kinds = ("listed", "revoked", "suspended", "reinstated")
        return RegisterImport(employers, *(tuple(found[k]) for k in kinds))

    def close_employer(
        self,
        employer: str,
        on: date | str,
        *,
        actor: Actor,
        reason: str = "closed",
        institution: str | None = None,
    ) -> Event:
        """Record that the employer closed down as of *on*, and cascade as a revocation
        does, for every qualification (reason ``employer_closed``)."""
        day = parse_date("on", on)

        def recorded(facts: Mapping[str, Any]) -> bool:
            return facts.get("closed_on") is not None

        return self._employer_command(
            employer, "close", actor, {"reason": reason, "effective_on": day}, institution,
            type=EventType.TRANSITIONED, already=recorded,
        )  # fmt: skip

    def _recognition(
        self,
        fact: str,
        employer: str,
        qualification: str,
        on: date | str,
        actor: Actor,
        source: str,
        institution: str | None,
    ) -> Event:
        day = parse_date("on", on)
        check_identifier("qualification", qualification)
        data = {"qualification": qualification, "effective_on": day, "source": source}
        status = fact.removeprefix("recognition_")

        def recorded(facts: Mapping[str, Any]) -> bool:
            # the same decision, taking effect on the same day, is the last one recorded:
            # by whoever, it is returned and nothing is recorded twice
            kept = facts.get("recognitions", {}).get(qualification, {})
            if status == "reinstated" and kept.get("status") not in ("revoked", "suspended",
                                                                      "reinstated"):  # fmt: skip
                raise InvalidInput(
                    "qualification",
                    qualification,
                    "no revocation or suspension of it is recorded to reinstate",
                )
            return (kept.get("status"), kept.get("effective_on")) == (status, day)

        return self._employer_command(employer, fact, actor, data, institution,
                                      already=recorded)  # fmt: skip

    def _employer_command(
        self,
        employer: str,
        name: str,
        actor: Actor,
        data: Mapping[str, Any],
        institution: str | None,
        *,
        type: EventType = EventType.RECORDED,
        command_id: str | None = None,
        already: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> Event:
        """Record *name* (or fire it, *type*) on the employer's stream, opened on this first
        reference in the same transaction; its cascade runs after the commit. When
        *already* says the employer's facts hold it, the event that recorded it is
        returned and nothing is written."""
        started = time.perf_counter()
        check_identifier("employer", employer)
        actor = check_actor(actor)
        owner = self._owner(institution)
        stream_id = employer_stream_id(employer, owner)
        pipeline = self._pipeline

        def work(tx: Transaction) -> Outcome:
            row = pipeline.employer_stream(tx, employer, owner, pipeline.moment())
            if row is not None and already is not None and already(pipeline.facts.facts(row)):
                recorded = [e for e in tx.read_events(stream_id)
                            if e.name == name and e.type == type]  # fmt: skip
                if recorded:
                    return Outcome(event_from_sealed(recorded[-1]), repeated=True)
            return pipeline.command(tx, stream_id, type, name, actor, data, None, command_id)

        return self._run(stream_id, name, work, started).event


def _register_changes(
    register: Register, employer: str, facts: Mapping[str, Any], day: date
) -> list[tuple[str, str]]:
    """What the register says changed for *employer* since its last import, as (change,
    qualification): ``listed``, ``revoked``, ``suspended`` or ``reinstated``."""
    listed = set(facts.get("listed", ()))
    decisions = facts.get("recognitions", {})
    recognised = register.recognised_on(employer, day)
    changes = []
    for qualification in sorted(recognised - listed):
        if decisions.get(qualification, {}).get("status") in ("revoked", "suspended"):
            changes.append(("reinstated", qualification))
        changes.append(("listed", qualification))
    named = {crebo for who, crebo in register.entries if who == employer}
    for qualification in sorted((listed | named) - recognised):
        answer = register.answer(employer, qualification, day)
        if answer is Recognition.PENDING or (qualification not in listed and answer not in (
            Recognition.SUSPENDED, Recognition.NOT_RECOGNISED)):  # fmt: skip
            continue  # not decided, or never listed here and no decision against it
        change = "suspended" if answer is Recognition.SUSPENDED else "revoked"
        if decisions.get(qualification, {}).get("status") != change:
            changes.append((change, qualification))
    return changes
