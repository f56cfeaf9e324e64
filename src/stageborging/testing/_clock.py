"""The kit's clock: time that moves only when a test moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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

    def set(self, day: str) -> None:
        """Jump to 09:00 UTC on *day* (``YYYY-MM-DD``)."""
        self.now = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
