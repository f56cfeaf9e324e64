"""The engine's clock: aware times, and their one RFC 3339 form in the log."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import NamedTuple

from ._errors import InvalidInput, StageborgingError

__all__ = ["Clock", "Moment", "parse_date", "rfc3339", "utc_now"]

#: The one written form of a date the library accepts (``date.fromisoformat`` of
#: Python 3.11 also takes ``20270201`` and week dates such as ``2027-W05-1``).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: Returns the current time, timezone-aware (``Engine(clock=...)``; tests pass a fake).
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC: the default clock."""
    return datetime.now(UTC)


def parse_date(field_name: str, value: object) -> str:
    """*value* (a ``datetime.date`` or ``YYYY-MM-DD``) as ``YYYY-MM-DD``, else InvalidInput.

    A ``datetime`` is refused: a date field holds a calendar day, not an instant.
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE.fullmatch(value) is not None:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise InvalidInput(field_name, value, "must be a date (YYYY-MM-DD)")


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
        if not isinstance(raw, datetime):
            raise StageborgingError(
                f"the engine clock returned {type(raw).__name__}, not a datetime"
            )
        try:
            stamp = rfc3339(raw)  # checks awareness before astimezone() would guess a zone
            return cls(raw.astimezone(tz), raw.astimezone(UTC), stamp)
        except OverflowError:
            raise StageborgingError(
                "the engine clock returned a time at the edge of the calendar (years 1 and "
                "9999): no date can be judged there"
            ) from None

    @property
    def day(self) -> str:
        """The local calendar date, ISO (``2027-02-01``)."""
        return self.local.date().isoformat()
