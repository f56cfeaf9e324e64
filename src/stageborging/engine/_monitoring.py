"""The monitor of :class:`~stageborging.Engine`: one pass over the streams in scope and
the events the measures read, in the log's order, then the suppressed release."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ..core import get_logger, parse_date, utc_now
from ..lifecycles import Kind
from ..monitoring import (
    Collector,
    MonitorSettings,
    Period,
    Release,
    check_day,
    load_groups,
    measure,
)
from ..store import Store, StreamQuery
from ._pipeline import Pipeline
from ._queries import scope

__all__ = ["Monitoring"]

#: The event types and fact names the measures read (see monitoring._collect).
_TYPES = ("opened", "transitioned", "escalated")
_NAMES = ("reschedule", "guidance_contact", "hours", "application_outcome", "pattern_alert",
          "dismiss_alert", "raise_flag")  # fmt: skip
_PAGE = 2000


def _text(value: object) -> str:
    """A dimension's value; ``n/a`` where the lifecycle has no such field (HBO's level)."""
    return "n/a" if value is None else str(value)


class Monitoring:
    """Monitoring with small-cell suppression (see :doc:`/monitoring`)."""

    _pipeline: Pipeline
    store: Store

    def monitor(
        self,
        at: date | str | None = None,
        *,
        min_cell: int = 5,
        by: str | tuple[str, ...] | list[str] | None = None,
        period: str | Period | None = None,
        groups: Mapping[str, str] | str | os.PathLike[str] | None = None,
        institution: str | None = None,
    ) -> Release:
        """The monitoring release: every measure of :doc:`/monitoring` at the end of the
        day *at*, every count from 1 to ``min_cell - 1`` suppressed, and as many more
        cells as keep those from being recomputed from the rest.

        Args:
            at: The reference date: the log is read as it stood at that day's end
                (default: today on the engine's clock, or the day of the log's last
                event where that is later, as in a demo's simulated year).
            min_cell: The threshold, 3 to 10.
            by: The dimensions of the rows (``"programme,level"`` or a list; see
                :data:`~stageborging.monitoring.DIMENSIONS`); default: each measure's own.
            period: Planned starts ``FROM..TO`` or a study year ``2026-2027``.
            groups: The host's consented classifications by student id (a mapping, or
                the path of a ``student,group`` CSV file): read now, never stored.
            institution: Whose streams (a bound engine: its own; unbound: all unless
                one is named).

        Raises:
            InvalidInput: an argument is off, naming it; nothing is written.
        """
        started = time.perf_counter()
        moment = self._pipeline.moment()
        day = None if at is None else check_day("at", date.fromisoformat(parse_date("at", at)))
        if isinstance(groups, (str, os.PathLike)):
            groups = load_groups(groups)
        settings = MonitorSettings(min_cell=min_cell, by=by, period=period, groups=groups)
        owner = scope(self._pipeline.institution, institution)
        collector = Collector(day)
        self._scope(collector, settings.period, owner)
        self._read_events(collector, owner)
        if day is None:  # today, or the log's last day where it runs ahead (a demo's year)
            today = moment.local.date()
            collector.at = max(today, collector.last or today)
        calendar = self._pipeline.scheduler.calendar
        release = measure(collector, settings, calendar.between, generated_at=utc_now(),
                          institution=owner)  # fmt: skip
        get_logger().info(
            "monitor",
            tables=len(release.tables),
            streams=len(collector.internships) + len(collector.cases) + len(collector.employers),
            suppressed=release.hidden,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return release

    def _scope(self, collector: Collector, period: Period, owner: str | None) -> None:
        """Register the streams in scope: internships whose planned start (as recorded
        now) lies in *period*, every report and employer."""
        after: str | None = None
        while True:
            rows = self.store.streams(StreamQuery(institution=owner), after, _PAGE)
            for row in rows:
                if row.kind == Kind.CASE:
                    collector.case(row.id)
                elif row.kind == Kind.EMPLOYER:
                    collector.employer(row.id)
                elif row.kind == Kind.INTERNSHIP:
                    facts = json.loads(row.facts)
                    details = facts.get("details", {})
                    start = details.get("planned_start")
                    if period != Period() and (
                        not isinstance(start, str) or date.fromisoformat(start) not in period
                    ):
                        continue
                    dimensions = {
                        "programme": _text(details.get("programme")),
                        "level": _text(details.get("level")),
                        "track": _text(details.get("track")),
                        "lifecycle": row.lifecycle,
                        "institution": row.institution or "(none)",
                    }
                    student = details.get("student")
                    collector.internship(row.id, dimensions,
                                         student if isinstance(student, str) else None,
                                         _text(details.get("track")))  # fmt: skip
            if len(rows) < _PAGE:
                return
            after = rows[-1].id

    def _read_events(self, collector: Collector, owner: str | None) -> None:
        """Feed the collector every event the measures read, in the global order."""
        tz = self._pipeline.scheduler.tz
        versions = self._pipeline.versions
        phases: dict[str, Mapping[str, str]] = {}

        def phase(digest: str, state: str) -> str:
            if digest not in phases:
                definition = versions.get(digest)
                phases[digest] = {} if definition is None else definition.phase_of
            return phases[digest].get(state, state)

        position = 0
        while True:
            page = self.store.events_of(_TYPES, _NAMES, position, _PAGE, owner)
            for _, sealed in page:
                body: dict[str, Any] = json.loads(sealed.body) if sealed.body is not None else {}
                data = body.get("data", {})
                when = datetime.fromisoformat(sealed.occurred_at).astimezone(tz).date()
                collector.event(
                    sealed.stream_id,
                    sealed.seq,
                    sealed.type,
                    sealed.name,
                    when,
                    phase(sealed.definition, sealed.from_state),
                    phase(sealed.definition, sealed.to_state),
                    data if isinstance(data, dict) else {},
                )
            if len(page) < _PAGE:
                return
            position = page[-1][0]
