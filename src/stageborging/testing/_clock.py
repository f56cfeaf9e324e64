"""The kit's clock: time that moves only when a test moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..core import InvalidInput

__all__ = ["FakeClock"]

_UNITS = ("weeks", "days", "hours", "minutes", "seconds")


def _aware(field: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(field, value, "must be a timezone-aware datetime")
    return value


class FakeClock:
    """A clock that moves only when told to; pass it as ``Engine(clock=...)``.

    Args:
        now: Where it starts (an aware datetime); 2027-01-10 09:00 UTC by default.

    Raises:
        InvalidInput: *now* is no aware datetime.
    """

    def __init__(self, now: datetime | None = None) -> None:
        self.now = datetime(2027, 1, 10, 9, 0, tzinfo=UTC) if now is None else _aware("now", now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move forward, e.g. ``advance(days=14)`` (``weeks``, ``days``, ``hours``,
        ``minutes``, ``seconds``).

        Raises:
            InvalidInput: a unit it does not know, or an amount that is no number or
                would leave the calendar.
        """
        for unit, amount in delta.items():
            if unit not in _UNITS:
                raise InvalidInput(unit, amount, f"is no unit; known: {', '.join(_UNITS)}")
            if isinstance(amount, bool) or not isinstance(amount, int | float) or amount != amount:
                raise InvalidInput(unit, amount, "must be a number")
        try:
            self.now += timedelta(**delta)
        except OverflowError:
            raise InvalidInput("delta", delta, "would move the clock off the calendar") from None

    def set(self, day: str | datetime) -> None:
        """Jump to 09:00 UTC on *day* (``YYYY-MM-DD``), or to the aware datetime *day*.

        Raises:
            InvalidInput: *day* is no date string and no aware datetime.
        """
        if isinstance(day, datetime):
            self.now = _aware("day", day)
            return
        try:
            self.now = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
        except (TypeError, ValueError):
            raise InvalidInput(
                "day", day, "must be a date (YYYY-MM-DD) or an aware datetime"
            ) from None
