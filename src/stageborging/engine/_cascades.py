"""What an employer's event does to the placements there, in bounded transactions.

A revocation of a recognition, a closure, a block or a suspension is recorded on the
employer's stream with a **job** in the same transaction (the store's ``jobs`` table),
due the day it takes effect. Running a job walks the placements at the employer (for
the qualification concerned) page by page, each page in one transaction, and gives each
placement its due: a revocation or closure cancels a placement that has not started
(reason ``recognition_revoked`` or ``employer_closed``, then assisted search) and
terminates a running one (the replacement search starts in the same command); a block
or a suspension records an ``employer_notice`` and leaves the coach a proposal to
decide on (terminate or cancel, or dismiss with a reason): the student must not be the
victim of the employer's standing.

Every command of a job carries the job's command id, so a job resumed after a crash (its
lease ended) repeats nothing; the job is marked done after its last page. Before it
runs, a job checks that the employer's facts still call for it (a block lifted, a
recognition reinstated: nothing happens).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from functools import partial

from attrs import asdict, astuple, frozen

from ..core import Actor, DefinitionMismatch, EventType, Role, get_logger
from ..lifecycles import NOTICE_STATES, Kind, LifecycleDefinition, cascade_holds
from ..store import (
    DeadlineRow,
    JobRow,
    Store,
    StreamQuery,
    StreamRow,
    Transaction,
    check_moment,
)
from ._pipeline import Outcome, Pipeline

__all__ = ["CASCADE", "CascadeReport", "Cascades"]

#: The actor of a cascade's commands.
CASCADE = Actor("cascade", Role.SYSTEM)
#: How long a worker holds a job before another may take it over (a dead worker's).
LEASE = timedelta(minutes=10)
#: Placements per transaction: a revocation may touch hundreds.
BATCH = 50
_RUNNING = ("active", "suspended")
_BEFORE_START = tuple(s for s in NOTICE_STATES if s not in _RUNNING)
#: The reason an ending action gives, and the notice a deciding one records.
_REASONS = {"revoked": "recognition_revoked", "closed": "employer_closed"}
_NOTICES = {"blocked": "blocked", "suspended": "recognition_suspended"}


@frozen
class CascadeReport:
    """What running the due cascades did.

    Attributes:
        jobs: Jobs run to the end (marked done).
        cancelled: Placements cancelled before their start (then assisted search).
        terminated: Running placements terminated (the replacement search started).
        notified: Placements given a notice and their coach a proposal to decide on.
        skipped: Placements that had moved on, or whose lifecycle version cannot take
            the command (migrate them), or that a repeat found done already.
        refused: Commands a check refused (recorded on the stream): the coach gets a
            proposal to decide on instead.
        void: Jobs the employer's facts no longer call for (lifted, reinstated).
    """

    jobs: int = 0
    cancelled: int = 0
    terminated: int = 0
    notified: int = 0
    skipped: int = 0
    refused: int = 0
    void: int = 0

    def __add__(self, other: CascadeReport) -> CascadeReport:
        return CascadeReport(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


def _command_id(job: JobRow) -> str:
    """The command id of a job's commands: readable while short enough."""
    readable = f"cascade:{job.key}"
    if len(readable) <= 128:
        return readable
    return "cascade:" + hashlib.sha256(job.key.encode()).hexdigest()[:40]


class Cascades:
    """Running employers' cascades (:class:`~stageborging.Engine`)."""

    _pipeline: Pipeline
    store: Store

    def run_cascades(self, now: datetime | None = None) -> CascadeReport:
        """Run every employer cascade due at *now* (default: the engine's clock) to its
        end; :meth:`tick` runs them too, and so does the command that queued one due at
        once. Safe to run from several processes: each job is leased by one.

        Raises:
            InvalidInput: *now* is no aware datetime.
        """
        pipeline = self._pipeline
        if now is None:
            now = pipeline.moment().utc
        check_moment("now", now)
        total = CascadeReport()
        while True:
            jobs = pipeline.run(
                lambda tx: tx.claim_jobs("cascade", now, now + LEASE, 10, pipeline.institution)
            )
            for job in jobs:
                total += self._run_job(job, now)
            if not jobs:
                break
        if total != CascadeReport():
            get_logger().info("cascades", **asdict(total))
        return total

    def _run_job(self, job: JobRow, now: datetime) -> CascadeReport:
        pipeline = self._pipeline
        settings = job.settings
        employer = pipeline.visible(self.store.read_stream(job.stream_id))
        report = CascadeReport()
        facts = None if employer is None else pipeline.facts.facts(employer)
        day = now.astimezone(pipeline.scheduler.tz).date().isoformat()
        if facts is None or not cascade_holds(facts, settings, max(day, settings["since"])):
            report = CascadeReport(void=1)
        else:
            query = StreamQuery(
                institution=job.institution,
                employer=facts["details"]["employer"],
                qualification=settings.get("qualification"),
                states=NOTICE_STATES,  # every placement there, proposed to running
            )
            after: str | None = None
            while True:
                page = self.store.streams(query, after, BATCH)
                if not page:
                    break
                report += pipeline.run(partial(self._cascade_page, job=job, page=page,
                                               query=query))  # fmt: skip
                after = page[-1].id
                if len(page) < BATCH:
                    break
            report += CascadeReport(jobs=1)
        pipeline.run(lambda tx: tx.finish_job(job.key, pipeline.moment().utc))
        return report

    def _cascade_page(
        self, tx: Transaction, *, job: JobRow, page: list[StreamRow], query: StreamQuery
    ) -> CascadeReport:
        pipeline = self._pipeline
        tx.lock([row.id for row in page])  # in id order: cascades never deadlock
        report = CascadeReport()
        for listed in page:
            row = pipeline.visible(tx.load(listed.id))
            if row is None or row.kind != Kind.INTERNSHIP or row.state not in query.states:
                report += CascadeReport(skipped=1)
                continue
            if pipeline.facts.facts(row).get("employer") != query.employer:
                report += CascadeReport(skipped=1)  # moved on to another employer
                continue
            report += self._cascade_one(tx, row, job)
        return report

    def _cascade_one(self, tx: Transaction, row: StreamRow, job: JobRow) -> CascadeReport:
        """Give one placement its due from the job, in *tx*."""
        pipeline = self._pipeline
        settings = job.settings
        action = settings["action"]
        try:
            definition = pipeline.definition_of(row)
        except DefinitionMismatch:  # a version this release refuses: migrate it first
            return CascadeReport(skipped=1)
        running = row.state in _RUNNING
        command_id = _command_id(job)
        if action in _REASONS:
            trigger = "terminate" if running else "cancel_placement"
            if not _may(definition, trigger, row.state):
                return CascadeReport(skipped=1)
            outcome = pipeline.command(tx, row.id, EventType.TRANSITIONED, trigger, CASCADE,
                                       {"reason": _REASONS[action]}, None, command_id)  # fmt: skip
            if outcome.repeated:
                return CascadeReport(skipped=1)
            if outcome.refused:  # a plugin's check refused it: a person decides, as after a
                # refused guidance step (the refusal is recorded, the coach is asked)
                notice = _REASONS[action]
                tx.schedule([self._decision(row, job, notice, outcome, running)])
                return CascadeReport(refused=1)
            if running:
                return CascadeReport(terminated=1)
            self._assist(tx, row.id, definition, command_id)
            return CascadeReport(cancelled=1)
        fact = definition.facts_by_name.get("employer_notice")
        if fact is None or row.state not in definition.fact_states(fact):
            return CascadeReport(skipped=1)
        data = {"notice": _NOTICES[action], "since": settings["since"]}
        outcome = pipeline.command(tx, row.id, EventType.RECORDED, "employer_notice", CASCADE,
                                   data, None, command_id)  # fmt: skip
        if outcome.repeated:
            return CascadeReport(skipped=1)
        if outcome.refused:
            return CascadeReport(refused=1)
        tx.schedule([self._decision(row, job, _NOTICES[action], outcome, running)])
        return CascadeReport(notified=1)

    def _assist(
        self, tx: Transaction, stream_id: str, definition: LifecycleDefinition, command_id: str
    ) -> None:
        """After a cancellation for the employer's sake: assisted search, where the
        system may start it (the student is never the one left without help)."""
        pipeline = self._pipeline
        row = pipeline.load(tx, stream_id, None)
        if pipeline.auto_replacement and _may(definition, "request_assistance", row.state):
            pipeline.command(tx, stream_id, EventType.TRANSITIONED, "request_assistance",
                             CASCADE, None, None, f"{command_id}:assist"[:128])  # fmt: skip

    def _decision(
        self, row: StreamRow, job: JobRow, notice: str, outcome: Outcome, running: bool
    ) -> DeadlineRow:
        """The coach's proposal after a notice: end the placement, or dismiss it with a
        reason (a person decides; the student must not be the victim)."""
        trigger = "terminate" if running else "cancel_placement"
        states = _RUNNING if running else _BEFORE_START
        settings = {"step": f"employer_{notice}", "trigger": trigger, "states": list(states),
                    "escalate_to": str(Role.COACH), "role": str(Role.COACH),
                    "notice": notice, "since": job.settings["since"]}  # fmt: skip
        at = outcome.event.occurred_at
        return DeadlineRow.make(
            f"{row.id}:{outcome.event.seq}:decide",
            row.id,
            f"employer_{notice}",
            at,
            at,
            json.dumps(settings, sort_keys=True),
            kind="proposal",
            role=str(Role.COACH),
            institution=row.institution,
        )


def _may(definition: LifecycleDefinition, trigger: str, state: str) -> bool:
    """Whether the system may fire *trigger* from *state* under *definition*."""
    transition = definition.transitions_by_trigger.get(trigger)
    return (
        transition is not None and state in transition.sources and Role.SYSTEM in (transition.roles)
    )
