"""The rejection-pattern alert: computed from the applications recorded, raised on an
employer's stream for a person to review (a ``watch`` accepted, or dismissed), never a
block by itself. :meth:`tick` runs it once a day; ``stageborging alerts --refresh`` and
:meth:`refresh_alerts` whenever asked."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen

from ..core import Actor, EventType, InvalidInput, Role, get_logger
from ..employers import PatternSettings, PatternTest, find_patterns
from ..lifecycles import employer_stream_id
from ..store import Store, Transaction, check_moment
from ._pipeline import Outcome, Pipeline

__all__ = ["PatternRun", "Patterns"]

#: The actor that records pattern alerts (never a flag: a person decides).
PATTERNS = Actor("patterns", Role.SYSTEM)


@frozen
class PatternRun:
    """One run of the rejection-pattern statistics.

    Attributes:
        day: The day it ran for (the window ends on it).
        since: The first day of the window.
        tested: Every employer tested, with its figures (see
            :class:`~stageborging.employers.PatternTest`).
        raised: The new alerts: (employer, the seq of its ``pattern_alert`` event).
        known: Flagged employers already alerted for the same programme and level within
            the window (open, or reviewed by a person): not raised again.
    """

    day: str
    since: str
    tested: tuple[PatternTest, ...]
    raised: tuple[tuple[str, int], ...]
    known: tuple[str, ...]


class Patterns:
    """The rejection-pattern alert of :class:`~stageborging.Engine`."""

    _pipeline: Pipeline
    store: Store
    _patterns: PatternSettings
    _owner: Callable[[str | None], str]
    _run: Callable[[str, str, Callable[[Transaction], Outcome], float], Outcome]

    def refresh_alerts(
        self,
        now: datetime | None = None,
        *,
        settings: PatternSettings | None = None,
        institution: str | None = None,
    ) -> PatternRun:
        """Test every employer of the institution against the rest of each programme and
        level over the window ending on *now*'s day, and raise a ``pattern_alert`` on each
        one flagged that has none for that group within the window: an item for the
        placement office to review (accept it by raising a ``watch`` on it, or dismiss
        it). The statistics are in :doc:`/safeguarding`.

        Args:
            now: The moment to run for (default: the engine's clock).
            settings: The window, minimum and level (default: the engine's).
            institution: Whose streams (a bound engine: its own; else none by default).

        Raises:
            InvalidInput: an argument is off, naming it.
        """
        pipeline = self._pipeline
        moment = pipeline.moment()
        now = moment.utc if now is None else now
        check_moment("now", now)
        settings = self._patterns if settings is None else settings
        if not isinstance(settings, PatternSettings):
            raise InvalidInput("settings", settings, "must be a PatternSettings")
        owner = self._owner(institution)
        day = now.astimezone(pipeline.scheduler.tz).date()
        since = day - timedelta(days=settings.window_days - 1)
        counts = self.store.application_counts(since.isoformat(), day.isoformat(), owner)
        tests = find_patterns(
            ((c.programme, c.level, c.employer, c.applications, c.invited) for c in counts),
            settings,
        )
        raised, known = [], []
        for test in tests:
            if not test.flagged:
                continue
            event = self._alert(test, len(tests), settings, owner, day.isoformat(),
                                since.isoformat())  # fmt: skip
            if event is None:
                known.append(test.employer)
            else:
                raised.append((test.employer, event))
        get_logger().info("patterns", tested=len(tests), raised=len(raised), known=len(known))
        return PatternRun(day.isoformat(), since.isoformat(), tuple(tests), tuple(raised),
                          tuple(known))  # fmt: skip

    def _alert(
        self,
        test: PatternTest,
        tested: int,
        settings: PatternSettings,
        owner: str,
        day: str,
        since: str,
    ) -> int | None:
        """Raise the alert of a flagged *test* on its employer's stream; the seq, or None
        when one for the same group is open or was raised within the window."""
        pipeline = self._pipeline
        started = time.perf_counter()
        data: dict[str, Any] = {
            "programme": test.programme or "-",
            "window_days": settings.window_days,
            "applications": test.applications,
            "invited": test.invited,
            "others_applications": test.others_applications,
            "others_invited": test.others_invited,
            "tested": tested,
            "p_value": f"{test.p_value:.3e}",
            "adjusted_p": f"{test.adjusted_p:.3e}",
        }
        if test.level is not None:
            data["level"] = test.level
        found: list[int] = []

        def work(tx: Transaction) -> Outcome:
            row = pipeline.employer_stream(tx, test.employer, owner, pipeline.moment())
            if row is None:
                raise LookupError("no employer lifecycle")
            for alert in pipeline.facts.facts(row).get("alerts", {}).values():
                same = (alert["programme"], alert.get("level")) == (data["programme"],
                                                                    test.level)  # fmt: skip
                if same and (alert["status"] == "open" or alert["raised_on"] >= since):
                    raise _Known
            outcome = pipeline.command(tx, row.id, EventType.RECORDED, "pattern_alert", PATTERNS,
                                       data, None, None)  # fmt: skip
            found.append(outcome.event.seq)
            return outcome

        try:
            self._run(employer_stream_id(test.employer, owner), "pattern_alert", work, started)
        except (_Known, LookupError):
            return None
        return found[0]


class _Known(Exception):
    """The employer has an alert for the group already: nothing is written."""
