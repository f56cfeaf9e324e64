"""What an engine does when the clock ticks: every missed guidance deadline, once.

``tick(now)`` claims the open deadlines due at *now* in batches, each batch in one
transaction with the events it causes: a claimed deadline is recorded as a guidance gap
(an ``escalated`` event on its stream) and escalated as its step said when it was
scheduled, then marked missed. Two ticks at once never take the same deadline (the
store's claim), and a tick that fails leaves its batch due for the next one.
"""

from __future__ import annotations

from datetime import datetime

from attrs import asdict, astuple, frozen

from ..core import Actor, EventType, Role, get_logger
from ..guidance import escalation, notice, proposal, settings_of
from ..store import DeadlineRow, Transaction, check_moment
from ._pipeline import Pipeline

__all__ = ["TickReport", "Ticks"]

#: Deadlines claimed per transaction: enough to amortise a commit, small enough that
#: a tick holds its locks briefly.
BATCH = 100


@frozen
class TickReport:
    """What one :meth:`Engine.tick <stageborging.Engine.tick>` did.

    Attributes:
        missed: Deadlines found missed: each a guidance gap recorded on its stream.
        notified: Of those, escalated by a notification only.
        proposed: Escalated by a proposed transition (an item in ``due``).
        fired: Escalated by a transition the ``system`` actor fired.
        refused: Fired transitions the rules refused (recorded, and proposed instead).
        cancelled: Deadlines claimed whose step no longer applies (closed, no gap).
    """

    missed: int = 0
    notified: int = 0
    proposed: int = 0
    fired: int = 0
    refused: int = 0
    cancelled: int = 0

    def __add__(self, other: TickReport) -> TickReport:
        return TickReport(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


class Ticks:
    """The tick command of :class:`~stageborging.Engine`."""

    _pipeline: Pipeline

    def tick(self, now: datetime | None = None) -> TickReport:
        """Escalate every guidance deadline due at *now* (default: the engine's clock),
        each exactly once, however many ticks run at once or again.

        Each missed deadline becomes an ``escalated`` event on its stream (a guidance
        gap: who it escalates to, how, and when it was due), with a notification to the
        step's escalation role; then, as its step said: nothing more (``notify``), an
        item in :meth:`due` (``propose``), or the step's trigger fired by the ``system``
        actor (``fire``; refused by the rules, it is proposed instead). A repeating
        step's next deadline is scheduled. The cost grows with the deadlines due, not
        with the streams.

        Raises:
            InvalidInput: *now* is no aware datetime.
        """
        if now is None:
            now = self._pipeline.moment().utc
        check_moment("now", now)
        total = TickReport()
        while True:
            claimed, done = self._pipeline.run(lambda tx: self._tick_batch(tx, now))
            total += done
            if not claimed:  # a repeat missed in this batch may be due already: claim again
                break
        get_logger().info("tick", **asdict(total))
        return total

    def _tick_batch(self, tx: Transaction, now: datetime) -> tuple[int, TickReport]:
        """Claim and escalate up to a batch of deadlines due at *now*, in *tx*."""
        rows = tx.claim_due(now, BATCH, self._pipeline.institution)
        tx.lock(sorted({row.stream_id for row in rows}))  # in id order: ticks never deadlock
        return len(rows), sum((self._escalate(tx, row) for row in rows), TickReport())

    def _escalate(self, tx: Transaction, deadline: DeadlineRow) -> TickReport:
        """Record *deadline* as a guidance gap and escalate it, in *tx*."""
        pipeline = self._pipeline
        moment = pipeline.moment()
        row = pipeline.visible(tx.load(deadline.stream_id))
        settings = settings_of(deadline)
        if row is None or row.state not in settings["states"]:
            tx.close_deadlines([deadline.key], "cancelled", moment.utc)
            return TickReport(cancelled=1)
        action = settings["action"]
        definition = pipeline.definition_of(row)
        if action == "fire":
            transition = definition.transitions_by_trigger.get(settings["trigger"])
            if transition is None or row.state not in transition.sources:
                action = "propose"  # the version changed: a person decides
        facts = pipeline.facts.facts(row)
        data = escalation(deadline, facts, action)
        outbox = [notice(row, row.version + 1, deadline, data, moment.stamp)]
        pipeline.note(tx, row, EventType.ESCALATED, deadline.step, _system(), data, moment,
                      outbox)  # fmt: skip
        tx.close_deadlines([deadline.key], "missed", moment.utc)
        report = TickReport(missed=1)
        if action == "fire":
            outcome = pipeline.command(
                tx, row.id, EventType.TRANSITIONED, settings["trigger"], _system(), {}, None
            )
            report += TickReport(refused=1) if outcome.refused else TickReport(fired=1)
            action = "propose" if outcome.refused else "fire"
        after = pipeline.load(tx, row.id, None)
        if action == "propose":
            tx.schedule([proposal(deadline, after, moment.utc)])
            report += TickReport(proposed=1)
        elif action == "notify":
            report += TickReport(notified=1)
        if after.state in settings["states"]:
            tx.schedule(pipeline.scheduler.next_of(deadline, after, moment.utc))
        return report


def _system() -> Actor:
    """The actor of escalations: the system, as guidance."""
    return Actor("guidance", Role.SYSTEM)
