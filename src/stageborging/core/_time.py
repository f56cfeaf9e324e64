"""The engine's clock: aware times, and their one RFC 3339 form in the log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import NamedTuple

from ._errors import StageborgingError

__all__ = ["Clock", "Moment", "rfc3339", "utc_now"]

#: Returns the current time, timezone-aware (``Engine(clock=...)``; tests pass a fake).
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC: the default clock."""
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """*moment* in UTC with microseconds, as the log writes it: ``2027-02-01T08:00:00.000000Z``.

    Raises:
        StageborgingError: *moment* is naive (a clock must return aware times).
    """
    offset = moment.utcoffset()
    if offset is None:
        raise StageborgingError("the engine clock returned a naive datetime; make it aware")
    if offset:
        moment = moment - offset
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class Moment(NamedTuple):
    """One reading of the clock: local time for date rules, and the log's UTC stamp.

    Attributes:
        local: The time in the engine's timezone (``now.date()`` is the calendar day).
        utc: The same instant in UTC (an event's ``occurred_at``).
        stamp: The same instant in RFC 3339 UTC, as sealed into the event header.
    """

    local: datetime
    utc: datetime
    stamp: str

    @classmethod
    def read(cls, clock: Clock, tz: tzinfo) -> Moment:
        """Read *clock* once; raise :class:`StageborgingError` when it returns a naive time."""
        raw = clock()
        stamp = rfc3339(raw)  # checks awareness before astimezone() would guess a zone
        return cls(raw.astimezone(tz), raw.astimezone(UTC), stamp)

    @property
    def day(self) -> str:
        """The local calendar date, ISO (``2027-02-01``)."""
        return self.local.date().isoformat()
