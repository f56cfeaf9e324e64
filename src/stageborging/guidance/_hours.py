"""The hours check: are the hours recorded on track with the hours planned?

An internship plans ``planned_hours`` between ``planned_start`` and ``planned_end``; hours
are taken to accrue evenly over that period, on the days it is ``active``. By a day, the
hours expected are the planned hours times the share of the planned period the internship
has been active up to that day: days suspended (illness, an investigation, a closure) are
left out, so a student who was ill is not behind for it. A check is met when the hours
recorded reach its share (``hours_below``, 80% by default in the MBO defaults) of that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from ..audit import SealedEvent

__all__ = ["active_days", "hours_on_track"]

_ACTIVE = "active"


def active_days(events: Iterable[SealedEvent], until: date, tz: tzinfo) -> int:
    """How many days up to and including *until* the stream was ``active`` (the day it
    starts counts; a day it is suspended or ends does not)."""
    days, since = 0, None
    for event in events:
        day = datetime.fromisoformat(event.occurred_at).astimezone(tz).date()
        if day > until:
            break
        if event.to_state == _ACTIVE and event.from_state != _ACTIVE:
            since = day
        elif event.from_state == _ACTIVE and event.to_state != _ACTIVE and since is not None:
            days += (day - since).days
            since = None
    if since is not None:
        days += (until - since).days + 1
    return days


def hours_on_track(
    settings: Mapping[str, Any],
    facts: Mapping[str, Any],
    events: Iterable[SealedEvent],
    until: date,
    tz: tzinfo,
) -> bool:
    """Whether the hours recorded by *until* reach ``settings["hours_below"]`` percent of
    the hours planned for the days the stream was active (True without a plan to judge)."""
    details = facts.get("details", {})
    try:
        start = date.fromisoformat(details["planned_start"])
        end = date.fromisoformat(details["planned_end"])
        planned = int(details["planned_hours"])
    except (KeyError, TypeError, ValueError):
        return True  # nothing to measure against: no gap for it
    period = (end - start + timedelta(days=1)).days
    expected = planned * min(active_days(events, until, tz), period) / max(period, 1)
    recorded: int = facts.get("hours", 0)
    share: int = settings["hours_below"]
    return recorded * 100 >= share * expected
