"""The kit's clock: time that moves only when a test moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..core import InvalidInput

__all__ = ["FakeClock"]


class FakeClock:
    """A clock that moves only when told to; pass it as ``Engine(clock=...)``."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2027, 1, 10, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move forward, e.g. ``advance(days=14)``."""
        self.now += timedelta(**delta)

    def set(self, day: str | datetime) -> None:
        """Jump to 09:00 UTC on *day* (``YYYY-MM-DD``), or to the aware datetime *day*.

        Raises:
            InvalidInput: *day* is no date string and no aware datetime.
        """
        if isinstance(day, datetime):
            if day.utcoffset() is None:
                raise InvalidInput("day", day, "must be a timezone-aware datetime")
            self.now = day
            return
        try:
            self.now = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
        except (TypeError, ValueError):
            raise InvalidInput(
                "day", day, "must be a date (YYYY-MM-DD) or an aware datetime"
            ) from None
