"""What the monitor keeps of each stream while it reads the log once, in order: a few
dates and counts per internship, report and employer, never a value it does not count."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

__all__ = ["CaseTrack", "Collector", "EmployerTrack", "InternshipTrack"]

#: Where an internship has no place yet (the "without a place" measure).
UNPLACED = ("orientation", "searching", "assisted_search", "placement_proposed")
#: Where a placement runs (its hours and guidance contacts count).
RUNNING = ("active", "suspended", "assessment")
#: The transitions that write an agreement (its allowance) or new planned dates.
AGREEMENTS = ("draft_agreement", "amend_agreement", "repeat_placement")


def _day(value: object) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


class InternshipTrack:
    """One internship as of the reference date."""

    __slots__ = (
        "active_from",
        "allowance",
        "applications",
        "contacts",
        "dimensions",
        "entered",
        "finished",
        "hours",
        "left_on",
        "on_site",
        "phase",
        "planned_start",
        "student",
        "track",
    )

    def __init__(self, dimensions: Mapping[str, str], student: str | None, track: str) -> None:
        self.dimensions = dict(dimensions)
        self.student = student
        self.track = track
        self.phase = ""
        self.entered: dict[str, date] = {}  # each phase's first entry
        self.planned_start: date | None = None
        self.allowance: str | None = None
        self.applications: dict[str, str] = {}
        self.contacts = self.on_site = 0  # of the placement started last
        self.finished = False  # that placement reached its assessment
        self.hours: list[tuple[date, int]] = []
        self.active_from: date | None = None
        self.left_on: date | None = None  # when the last running placement ended

    def take(
        self, kind: str, name: str, day: date, before: str, after: str, data: Mapping[str, Any]
    ) -> None:
        if after != self.phase:
            self.entered.setdefault(after, day)
            if after == "active" and before != "suspended":  # a (new) placement starts
                self.contacts = self.on_site = 0
                self.finished = False
                self.active_from = self.active_from or day
                self.left_on = None
            if after == "assessment":
                self.finished = True
            if before in RUNNING and after not in RUNNING:
                self.left_on = day
            self.phase = after
        if kind == "opened" or name in AGREEMENTS or name == "reschedule":
            self.planned_start = _day(data.get("planned_start")) or self.planned_start
        if name in AGREEMENTS:
            allowance = data.get("allowance")
            if isinstance(allowance, str):
                self.allowance = allowance
            elif name != "amend_agreement":  # an amendment keeps what it leaves out
                self.allowance = None
        if kind != "recorded":
            return
        if name == "guidance_contact" and before in RUNNING:
            self.contacts += 1
            self.on_site += data.get("location") == "on_site"
        elif name == "hours" and isinstance(data.get("hours"), int):
            self.hours.append((_day(data.get("until")) or day, data["hours"]))
        elif name == "application_outcome":
            application, outcome = data.get("application"), data.get("outcome")
            if isinstance(application, str) and isinstance(outcome, str):
                self.applications[application] = outcome


class CaseTrack:
    """One report as of the reference date."""

    __slots__ = ("acknowledged_on", "consent", "intake_on", "outcome", "phase", "received_on")

    def __init__(self) -> None:
        self.phase = "unknown"  # search or internship, as the report says
        self.received_on: date | None = None
        self.acknowledged_on: date | None = None
        self.intake_on: date | None = None
        self.consent: str = "not_given"  # given, withdrawn, not_given
        self.outcome: str = "open"

    def take(self, kind: str, name: str, day: date, data: Mapping[str, Any]) -> None:
        if kind == "opened":
            self.received_on = day
            phase = data.get("phase")
            self.phase = phase if isinstance(phase, str) else "unknown"
        elif kind == "transitioned":
            if name == "acknowledge":
                self.acknowledged_on = self.acknowledged_on or day
            elif name == "hold_intake":
                self.intake_on = self.intake_on or day
            elif name == "give_consent":
                self.consent = "given"
            elif name == "withdraw_consent":
                self.consent = "withdrawn"
            elif name == "record_outcome" and isinstance(data.get("outcome"), str):
                self.outcome = data["outcome"]


class EmployerTrack:
    """One employer's pattern alerts as of the reference date: by seq, the programme,
    level, the day raised and the review's outcome (open, flag_raised, dismissed)."""

    __slots__ = ("alerts",)

    def __init__(self) -> None:
        self.alerts: dict[int, list[Any]] = {}

    def take(self, name: str, seq: int, day: date, data: Mapping[str, Any]) -> None:
        if name == "pattern_alert":
            level = data.get("level")
            self.alerts[seq] = [
                str(data.get("programme")),
                "" if level is None else str(level),
                day,
                "open",
            ]
        elif name in ("dismiss_alert", "raise_flag"):
            alert = self.alerts.get(data.get("alert"))  # type: ignore[arg-type]
            if alert is not None and alert[3] == "open":
                alert[3] = "dismissed" if name == "dismiss_alert" else "flag_raised"


class Collector:
    """Reads the streams in scope, then every relevant event in the log's order, and
    keeps what the measures count; events after the reference date are left out.

    Args:
        at: The reference date (the release describes the log as it stood at its end);
            None: every event, and :attr:`last` tells the latest day met.
    """

    def __init__(self, at: date | None) -> None:
        self.at = at or date.max
        #: The local day of the latest event met.
        self.last: date | None = None
        self.internships: dict[str, InternshipTrack] = {}
        self.cases: dict[str, CaseTrack] = {}
        self.employers: dict[str, EmployerTrack] = {}
        #: The guidance gaps: (stream id, step, escalation action).
        self.gaps: list[tuple[str, str, str]] = []

    def internship(self, stream_id: str, dimensions: Mapping[str, str], student: str | None,
                   track: str) -> None:  # fmt: skip
        self.internships[stream_id] = InternshipTrack(dimensions, student, track)

    def case(self, stream_id: str) -> None:
        self.cases[stream_id] = CaseTrack()

    def employer(self, stream_id: str) -> None:
        self.employers[stream_id] = EmployerTrack()

    def event(
        self,
        stream_id: str,
        seq: int,
        kind: str,
        name: str,
        day: date,
        before: str,
        after: str,
        data: Mapping[str, Any],
    ) -> None:
        """One event: its stream, seq, type, name, local date, the phases it moved
        between and its (unsealed) data."""
        if day > self.at:
            return
        if self.last is None or day > self.last:
            self.last = day
        if kind == "escalated":
            action = data.get("action")
            self.gaps.append((stream_id, name, action if isinstance(action, str) else "notify"))
        if stream_id in self.internships:
            self.internships[stream_id].take(kind, name, day, before, after, data)
        elif stream_id in self.cases:
            self.cases[stream_id].take(kind, name, day, data)
        elif stream_id in self.employers and kind == "recorded":
            self.employers[stream_id].take(name, seq, day, data)
