"""Scheduling: which deadlines an event opens, meets or cancels, in its own transaction.

A deadline row keeps the settings of the step it was scheduled under (``data``): it is
met, cancelled, escalated and repeated by those, whatever the step says later. New
settings apply to the deadlines scheduled after them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from ..core import EventType, GuidanceStep, InvalidInput, Moment
from ..lifecycles import LifecycleDefinition
from ..store import DeadlineRow, StreamRow, Transaction
from ._calendar import WorkingDays, end_of_day

__all__ = ["Happened", "Scheduler", "due_day", "settings_of"]

#: The event types after which live deadlines may be met or cancelled.
_CHANGES = frozenset({EventType.OPENED, EventType.IMPORTED, EventType.TRANSITIONED,
                      EventType.RECORDED, EventType.NOTED, EventType.MIGRATED})  # fmt: skip
#: The event types that may complete a step (a trigger, a fact, an institution fact).
_COMPLETING = frozenset({EventType.TRANSITIONED, EventType.RECORDED, EventType.NOTED})
#: The anchors that fall on the day of the event that schedules them.
_ON_THE_DAY = ("entered:", "applications:")
#: The fact that counts towards a stalled search (``applications:N``).
_APPLICATION = "application_sent"
#: The event types that enter a state (a transition enters one when it changes it).
_ENTERS = frozenset({EventType.OPENED, EventType.IMPORTED})


class Happened(NamedTuple):
    """What the scheduler is told of an event just written."""

    type: EventType
    name: str
    seq: int
    #: The state before it (None for a stream just opened or imported).
    before: str | None
    #: When it was recorded: its UTC time and the institution's date of it.
    at: datetime
    day: date
    #: Its data (what a step's ``done_with`` reads).
    data: Mapping[str, Any] = {}

    @classmethod
    def of(
        cls,
        type: EventType,
        name: str,
        seq: int,
        before: str | None,
        moment: Moment,
        data: Mapping[str, Any] | None = None,
    ) -> Happened:
        """What happened at the clock reading *moment*, with *data*."""
        return cls(type, name, seq, before, moment.utc, moment.local.date(), data or {})


def _completes(settings: Mapping[str, Any], type: str, name: str, data: Mapping[str, Any]) -> bool:
    """Whether an event of *type* and *name* with *data* completes a step of *settings*:
    one of its ``done_by``, with the values its ``done_with`` asks for."""
    if type not in _COMPLETING or name not in settings["done_by"]:
        return False
    wanted = settings.get("done_with", {})
    return all(data.get(key) == value for key, value in wanted.items())


def _data(body: bytes | str | None) -> Mapping[str, Any]:
    """The data of an event body (none when it holds none)."""
    if body is None:
        return {}
    data: Mapping[str, Any] = json.loads(body)["data"]
    return data


def settings_of(row: DeadlineRow) -> dict[str, Any]:
    """The settings a deadline row was scheduled under."""
    kept: dict[str, Any] = json.loads(row.data)
    return kept


def due_day(settings: Mapping[str, Any], anchor: date, calendar: WorkingDays) -> date:
    """The day occurrence ``settings["occurrence"]`` of a step falls on, from its *anchor*
    day (day 0)."""
    offset = settings["offset"] + settings["occurrence"] * (settings["every"] or 0)
    unit = settings["unit"]
    if unit == "working_days":
        return calendar.add(anchor, offset)
    return anchor + timedelta(days=offset * (7 if unit == "weeks" else 1))


def _anchor_day(
    anchor: str, percent: int | None, facts: Mapping[str, Any], day: date
) -> date | None:
    """The day *anchor* falls on for a stream with *facts* entering a state on *day*."""
    if anchor.startswith(_ON_THE_DAY):
        return day
    details = facts.get("details", {})
    try:
        start = date.fromisoformat(details["planned_start"])
        end = date.fromisoformat(details["planned_end"])
    except (KeyError, TypeError, ValueError):
        return None  # no planned dates: the step cannot be timed
    if anchor == "planned_start":
        return start
    if anchor == "planned_end":
        return end
    assert percent is not None  # checked by GuidanceStep
    return start + timedelta(days=(end - start).days * percent // 100)


class Scheduler:
    """The deadlines of an engine's guidance steps, kept in step with each stream.

    Args:
        steps: The engine's guidance steps.
        calendar: The working days deadlines count in.
        tz: Where a deadline's day ends.
    """

    def __init__(self, steps: Sequence[GuidanceStep], calendar: WorkingDays, tz: tzinfo) -> None:
        self.steps = tuple(steps)
        self.calendar = calendar
        self.tz = tz
        self._of: dict[str, tuple[GuidanceStep, ...]] = {}

    def steps_of(self, definition: LifecycleDefinition) -> tuple[GuidanceStep, ...]:
        """The steps that apply to streams of *definition*."""
        found = self._of.get(definition.name)
        if found is None:
            found = self._of[definition.name] = tuple(
                step for step in self.steps if step.applies_to(definition.name, definition.kind)
            )
        return found

    def after(
        self,
        tx: Transaction,
        definition: LifecycleDefinition,
        row: StreamRow,
        facts: Mapping[str, Any],
        happened: Happened,
    ) -> None:
        """Schedule, meet and cancel the deadlines of the stream of *row* (as it is after
        the event) in *tx*: the command's own transaction."""
        if happened.type not in _CHANGES:
            return
        opened = happened.type in _ENTERS
        live = [] if opened else tx.live_deadlines(row.id)
        closing: dict[str, list[str]] = {"done": [], "cancelled": []}
        following: list[DeadlineRow] = []
        rescheduled: set[str] = set()
        for deadline in live:
            status = self._closing(tx, row, deadline, happened)
            settings = settings_of(deadline)
            if status is None:
                moved = self._moved(deadline, settings, facts, happened)
                if moved is not None:  # the plan changed: the deadline follows the new dates
                    closing["cancelled"].append(deadline.key)
                    following.extend(self._occurrence(row, moved, happened.at))
                    rescheduled.add(deadline.step)
                continue
            closing[status].append(deadline.key)
            if status == "done" and deadline.kind == "deadline" and settings["every"]:
                following.extend(self._next(settings, row, happened.at))
        for status, keys in closing.items():
            if keys:
                tx.close_deadlines(keys, status, happened.at)  # type: ignore[arg-type]
        closed = {*closing["done"], *closing["cancelled"]}
        kept = {d.step for d in live if d.key not in closed} | rescheduled
        if opened or happened.before != row.state:
            following.extend(self._entering(definition, row, facts, happened, kept))
        elif happened.type is EventType.RECORDED and happened.name == _APPLICATION:
            following.extend(self._stalled(definition, row, facts, happened, kept))
        if following:
            tx.schedule(following)

    @staticmethod
    def _moved(
        deadline: DeadlineRow,
        settings: dict[str, Any],
        facts: Mapping[str, Any],
        happened: Happened,
    ) -> dict[str, Any] | None:
        """The settings of *deadline* anchored anew, when the planned dates it counts from
        changed (a reschedule, a repeated period); None when it stays. An overdue one moves
        too: its gap is recorded, and the new plan has a deadline of its own."""
        if deadline.kind != "deadline":
            return None
        if settings["anchor"].startswith(_ON_THE_DAY):
            return None
        anchor = _anchor_day(settings["anchor"], settings["percent"], facts, happened.day)
        if anchor is None or anchor.isoformat() == settings["anchor_day"]:
            return None
        return settings | {"anchor_day": anchor.isoformat(), "since": happened.seq}

    def _closing(
        self, tx: Transaction, row: StreamRow, deadline: DeadlineRow, happened: Happened
    ) -> str | None:
        """How the event closes *deadline*: ``done``, ``cancelled`` or not at all (None)."""
        settings = settings_of(deadline)
        if deadline.kind == "proposal":
            if happened.type is EventType.TRANSITIONED and happened.name == settings["trigger"]:
                return "done"
            return None if row.state in settings["states"] else "cancelled"
        completing = _completes(settings, happened.type, happened.name, happened.data)
        if not completing:
            return None if row.state in settings["states"] else "cancelled"
        if settings["count"] > 1:
            since = settings["since"]
            done = sum(
                event.seq > since
                and _completes(settings, event.type, event.name, _data(event.body))
                for event in tx.read_events(row.id)
            )
            if done < settings["count"]:
                return None if row.state in settings["states"] else "cancelled"
        return "done"

    def _entering(
        self,
        definition: LifecycleDefinition,
        row: StreamRow,
        facts: Mapping[str, Any],
        happened: Happened,
        kept: set[str],
    ) -> list[DeadlineRow]:
        """The deadlines of the steps that begin as the stream enters its state."""
        rows = []
        for step in self._candidates(definition, row, facts, kept):
            if step.anchor.startswith("applications:"):
                continue
            if step.anchor.startswith("entered:"):
                if step.anchor != f"entered:{row.state}":
                    continue
            elif happened.before in step.applies_in:
                continue  # it applied before this event: its deadline was scheduled then
            anchor = _anchor_day(step.anchor, step.percent, facts, happened.day)
            if anchor is not None:
                rows.extend(self._first(row, step, happened, anchor))
        return rows

    def _candidates(
        self,
        definition: LifecycleDefinition,
        row: StreamRow,
        facts: Mapping[str, Any],
        kept: set[str],
    ) -> list[GuidanceStep]:
        """The steps that apply to the stream in its state and programme, but those with a
        live deadline (*kept*)."""
        programme = facts.get("details", {}).get("programme")
        return [
            step
            for step in self.steps_of(definition)
            if step.name not in kept and row.state in step.applies_in and step.serves(programme)
        ]

    def _first(
        self, row: StreamRow, step: GuidanceStep, happened: Happened, anchor: date
    ) -> list[DeadlineRow]:
        """The first deadline of *step*, counted from *anchor*, scheduled by *happened*."""
        settings = step.settings() | {
            "since": happened.seq,
            "anchor_day": anchor.isoformat(),
            "occurrence": 0,
        }
        return self._occurrence(row, settings, happened.at)

    def _stalled(
        self,
        definition: LifecycleDefinition,
        row: StreamRow,
        facts: Mapping[str, Any],
        happened: Happened,
        kept: set[str],
    ) -> list[DeadlineRow]:
        """The deadlines of the ``applications:N`` steps whose Nth application without an
        invitation this event recorded (the search stalls)."""
        outcomes = list(facts.get("applications", {}).values())
        if "invited" in outcomes:
            return []
        stalled = f"applications:{len(outcomes)}"
        return [
            deadline
            for step in self._candidates(definition, row, facts, kept)
            if step.anchor == stalled
            for deadline in self._first(row, step, happened, happened.day)
        ]

    def _next(self, settings: dict[str, Any], row: StreamRow, at: datetime) -> list[DeadlineRow]:
        """The next occurrence of a repeating deadline, under its own settings: the first
        after the one met or missed that is still ahead at *at* (a tick after a long
        outage records one gap per step, not one per period missed)."""
        following = settings | {"occurrence": settings["occurrence"] + 1}
        return self._occurrence(row, self._ahead(following, at), at)

    def _ahead(self, settings: dict[str, Any], at: datetime) -> dict[str, Any]:
        """*settings* moved on to the first occurrence not yet due at *at*."""
        anchor = date.fromisoformat(settings["anchor_day"])
        today = at.astimezone(self.tz).date()
        every, occurrence = settings["every"], settings["occurrence"]
        try:
            if settings["unit"] == "working_days":
                day = due_day(settings, anchor, self.calendar)
                while day < today:
                    day = self.calendar.add(day, every)
                    occurrence += 1
            else:
                length = 7 if settings["unit"] == "weeks" else 1
                behind = (today - anchor).days / length - settings["offset"]
                occurrence = max(occurrence, math.ceil(behind / every))
        except (OverflowError, InvalidInput):
            pass  # past the calendar: _occurrence schedules nothing
        return settings | {"occurrence": occurrence}

    def next_of(self, deadline: DeadlineRow, row: StreamRow, at: datetime) -> list[DeadlineRow]:
        """The next occurrence of *deadline* if it repeats (after a miss)."""
        settings = settings_of(deadline)
        return self._next(settings, row, at) if settings["every"] else []

    def _occurrence(
        self, row: StreamRow, settings: dict[str, Any], at: datetime
    ) -> list[DeadlineRow]:
        """The deadline row of one occurrence; none when it falls before the stream was
        opened (a student enrolled in March gets no September step)."""
        anchor = date.fromisoformat(settings["anchor_day"])
        opened = datetime.fromisoformat(row.opened_at).astimezone(self.tz).date()
        try:
            day = due_day(settings, anchor, self.calendar)
            while day < opened:
                if not settings["every"]:
                    return []
                settings = settings | {"occurrence": settings["occurrence"] + 1}
                day = due_day(settings, anchor, self.calendar)
            due = end_of_day(day, self.tz).astimezone(UTC)
        except (OverflowError, InvalidInput):
            return []  # past the year 9999, or beyond any count of days: never due
        key = f"{row.id}:{settings['step']}:{settings['since']}:{settings['occurrence']}"
        data = json.dumps(settings, sort_keys=True, separators=(",", ":"))
        return [
            DeadlineRow.make(
                key,
                row.id,
                settings["step"],
                due,
                at,
                data,
                role=settings["role"],
                institution=row.institution,
            )
        ]
