"""What an engine does when the clock ticks: every missed guidance deadline, once.

``tick(now)`` claims the open deadlines due at *now* in batches, each batch in one
transaction with the events it causes: a claimed deadline is recorded as a guidance gap
(an ``escalated`` event on its stream) and escalated as its step said when it was
scheduled, then marked missed. Two ticks at once never take the same deadline (the
store's claim), and a tick that fails leaves its batch due for the next one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from attrs import asdict, astuple, frozen

from ..core import Actor, EventType, InvalidInput, Role, get_logger, rfc3339
from ..guidance import end_of_day, escalation, hours_on_track, notice, proposal, settings_of
from ..lifecycles import Guard, LifecycleDefinition
from ..store import DeadlineRow, StreamRow, Transaction, check_moment
from ._cascades import Cascades
from ._patterns import Patterns
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
        paused: Deadlines of placements waiting for a pending recognition: not
            escalated, due again at the end of the next day.
        met: Hours checks found on track (closed as done, no gap; the earlier
            checks the student fell short of are then met too: caught up).
        cascaded: Placements an employer's cascade due by now reached (cancelled,
            terminated, or given a notice to decide on; see :meth:`run_cascades`).
        alerts: Rejection-pattern alerts raised by the day's run (the first tick of a
            day runs it; see :meth:`refresh_alerts`).
    """

    missed: int = 0
    notified: int = 0
    proposed: int = 0
    fired: int = 0
    refused: int = 0
    cancelled: int = 0
    paused: int = 0
    met: int = 0
    cascaded: int = 0
    alerts: int = 0

    def __add__(self, other: TickReport) -> TickReport:
        return TickReport(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


class Ticks(Cascades, Patterns):
    """The tick command of :class:`~stageborging.Engine` (and the cascades and the
    pattern run it starts)."""

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

        Then every employer cascade due by *now* runs (:meth:`run_cascades`), and the
        first tick of a day runs the rejection-pattern statistics (:meth:`refresh_alerts`).

        Several deadlines of one stream due in the same tick are all recorded as gaps
        before any of their steps fires: a fire that moves the stream on leaves the
        others' gaps on record (their own actions then no longer apply).

        *now* may look back (a tick as of an earlier moment escalates only what was due
        then) but never ahead of the engine's clock: escalations are recorded at the
        clock's time, and nothing may be escalated before it is due. To simulate a year,
        give the engine a clock (:class:`stageborging.testing.FakeClock`).

        Raises:
            InvalidInput: *now* is no aware datetime, or later than the engine's clock.
        """
        clock = self._pipeline.moment().utc
        if now is None:
            now = clock
        check_moment("now", now)
        if now > clock:
            raise InvalidInput(
                "now", now, f"is after the engine's clock ({rfc3339(clock)}): nothing is due yet"
            )
        total = TickReport()
        while True:
            claimed, done = self._pipeline.run(lambda tx: self._tick_batch(tx, now))
            total += done
            if not claimed:  # a repeat missed in this batch may be due already: claim again
                break
        cascades = self.run_cascades(now)
        total += TickReport(cascaded=cascades.cancelled + cascades.terminated + cascades.notified)
        total += self._daily_patterns(now)
        get_logger().info("tick", **asdict(total))
        return total

    def _daily_patterns(self, now: datetime) -> TickReport:
        """The rejection-pattern run of *now*'s day, by the first tick of the day (a job
        row is the day's token: two ticks at once run it once)."""
        pipeline = self._pipeline
        owner = pipeline.institution or ""
        day = now.astimezone(pipeline.scheduler.tz).date().isoformat()
        key = f"patterns:{owner}:{day}" if owner else f"patterns:{day}"
        first = pipeline.run(lambda tx: tx.add_job(key, "patterns", "patterns", owner, {}, now,
                                                   now))  # fmt: skip
        if not first:
            return TickReport()
        run = self.refresh_alerts(now)
        pipeline.run(lambda tx: tx.finish_job(key, now))
        return TickReport(alerts=len(run.raised))

    def _tick_batch(self, tx: Transaction, now: datetime) -> tuple[int, TickReport]:
        """Claim and escalate up to a batch of deadlines due at *now*, in *tx*."""
        rows = tx.claim_due(now, BATCH, self._pipeline.institution)
        by_stream: dict[str, list[DeadlineRow]] = {}
        for row in rows:
            by_stream.setdefault(row.stream_id, []).append(row)
        streams = sorted(by_stream)
        tx.lock(streams)  # in id order: ticks never deadlock
        report = TickReport()
        for stream_id in streams:
            report += self._escalate(tx, stream_id, by_stream[stream_id])
        return len(rows), report

    def _escalate(
        self, tx: Transaction, stream_id: str, deadlines: list[DeadlineRow]
    ) -> TickReport:
        """Record the missed *deadlines* of one stream as guidance gaps, then escalate
        each as its step said, in *tx*."""
        pipeline = self._pipeline
        report = TickReport()
        actions: list[tuple[DeadlineRow, str]] = []
        waiting: bool | None = None  # asked once, when a deadline of the stream applies
        for deadline in deadlines:  # every gap first: a fire must not hide the others
            moment = pipeline.moment()
            row = pipeline.visible(tx.load(stream_id))
            if row is None or row.state not in settings_of(deadline)["states"]:
                tx.close_deadlines([deadline.key], "cancelled", moment.utc)
                report += TickReport(cancelled=1)
                continue
            if waiting is None:
                waiting = _awaits_recognition(tx, row, pipeline.definition_of(row))
            if waiting:  # SBB decides, not the school: the deadline waits a day more
                tomorrow = moment.local.date() + timedelta(days=1)
                tx.postpone([deadline.key], end_of_day(tomorrow, moment.local.tzinfo or UTC))
                report += TickReport(paused=1)
                continue
            if self._on_track(tx, row, deadline):  # an hours check the hours meet
                caught_up = [d.key for d in tx.live_deadlines(stream_id)
                             if d.step == deadline.step and d.status == "missed"]  # fmt: skip
                tx.close_deadlines([deadline.key, *caught_up], "done", moment.utc)
                tx.schedule(pipeline.scheduler.next_of(deadline, row, moment.utc))
                report += TickReport(met=1)
                continue
            action = self._action(row, deadline)
            data = escalation(deadline, pipeline.facts.facts(row), action)
            outbox = [notice(row, row.version + 1, deadline, data, moment.stamp)]
            pipeline.note(tx, row, EventType.ESCALATED, deadline.step, _system(), data, moment,
                          outbox)  # fmt: skip
            tx.close_deadlines([deadline.key], "missed", moment.utc)
            report += TickReport(missed=1, notified=int(action == "notify"))
            actions.append((deadline, action))
        for deadline, action in actions:
            report += self._act(tx, stream_id, deadline, action)
        return report

    def _on_track(self, tx: Transaction, row: StreamRow, deadline: DeadlineRow) -> bool:
        """Whether *deadline* is an hours check the recorded hours meet on its day."""
        settings = settings_of(deadline)
        if settings.get("hours_below") is None:
            return False
        tz = self._pipeline.scheduler.tz
        day = datetime.fromisoformat(deadline.due_at).astimezone(tz).date()
        facts = self._pipeline.facts.facts(row)
        return hours_on_track(settings, facts, tx.read_events(row.id), day, tz)

    def _action(self, row: StreamRow, deadline: DeadlineRow) -> str:
        """What a miss of *deadline* does on the stream of *row*: its step's action, or
        ``propose`` for a fire the stream's definition cannot do from its state."""
        settings = settings_of(deadline)
        if settings["action"] != "fire":
            return str(settings["action"])
        definition = self._pipeline.definition_of(row)
        transition = definition.transitions_by_trigger.get(settings["trigger"])
        if transition is None or row.state not in transition.sources:
            return "propose"  # the version changed: a person decides
        return "fire"

    def _act(
        self, tx: Transaction, stream_id: str, deadline: DeadlineRow, action: str
    ) -> TickReport:
        """Do what the step of the missed *deadline* said, and schedule its next occurrence."""
        pipeline = self._pipeline
        settings = settings_of(deadline)
        row = pipeline.load(tx, stream_id, None)
        if row.state not in settings["states"]:
            return TickReport()  # an earlier fire moved the stream on: the gap stays recorded
        report = TickReport()
        if action == "fire":
            if self._action(row, deadline) == "fire":
                outcome = pipeline.command(
                    tx, stream_id, EventType.TRANSITIONED, settings["trigger"], _system(), {}, None
                )
                report += TickReport(refused=1) if outcome.refused else TickReport(fired=1)
                action = "propose" if outcome.refused else "fire"
            else:
                action = "propose"
            row = pipeline.load(tx, stream_id, None)
        moment = pipeline.moment()
        if action == "propose":
            tx.schedule([proposal(deadline, row, moment.utc)])
            report += TickReport(proposed=1)
        if row.state in settings["states"]:
            tx.schedule(pipeline.scheduler.next_of(deadline, row, moment.utc))
        return report


def _awaits_recognition(tx: Transaction, row: StreamRow, definition: LifecycleDefinition) -> bool:
    """Whether the stream's latest attempt at a transition it could take that checks
    recognition was refused because the recognition is pending."""
    triggers = {
        t.trigger
        for t in definition.transitions
        if Guard.RECOGNITION in t.guards and row.state in t.sources
    }
    if not triggers:
        return False
    for event in reversed(tx.read_events(row.id)):
        if event.name in triggers and event.type in ("transitioned", "refused"):
            if event.type != "refused" or event.body is None:
                return False
            findings = json.loads(event.body)["findings"]
            return any(f["code"] == "recognition.pending" for f in findings)
    return False


def _system() -> Actor:
    """The actor of escalations: the system, as guidance."""
    return Actor("guidance", Role.SYSTEM)
