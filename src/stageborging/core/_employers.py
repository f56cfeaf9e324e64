"""What a school knows of an employer, as :meth:`Engine.employer` reads it back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen

__all__ = ["Alert", "EmployerRecord", "Flag", "HistoryItem"]


@frozen
class Flag:
    """A flag raised on an employer by a person.

    Attributes:
        flag: ``watch``, ``review_before_new_placement`` or ``block``.
        raised_on: The day it was raised (``YYYY-MM-DD``).
        role: The role that raised it.
        reason: Why (a code).
        basis: What it rests on (``recommendation``, ``external_decision`` …).
        review_on: When it is to be reviewed.
        expires_on: The day it no longer counts.
        active: Whether it counts today (not expired).
        seq: The event that raised it.
    """

    flag: str
    raised_on: str
    role: str
    reason: str
    basis: str
    review_on: str
    expires_on: str
    active: bool
    seq: int

    def to_json(self) -> dict[str, Any]:
        return {
            "flag": self.flag, "raised_on": self.raised_on, "role": self.role,
            "reason": self.reason, "basis": self.basis, "review_on": self.review_on,
            "expires_on": self.expires_on, "active": self.active, "seq": self.seq,
        }  # fmt: skip


@frozen
class Alert:
    """A rejection-pattern alert on an employer, and what a person made of it.

    Attributes:
        seq: The ``pattern_alert`` event (the id to accept or dismiss it by).
        status: ``open``, ``accepted`` (a watch raised on it) or ``dismissed``.
        raised_on: The day it was raised.
        statistics: The alert's figures (programme, level, window, applications,
            invitations, the rest's, the p-values): counts and codes only.
    """

    seq: int
    status: str
    raised_on: str
    statistics: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "status": self.status, "raised_on": self.raised_on,
                **dict(self.statistics)}  # fmt: skip


@frozen
class HistoryItem:
    """One event on an employer's stream: when, what and by which role (never its data
    beyond codes: a recommendation's case stays sealed)."""

    seq: int
    occurred_at: datetime
    type: str
    name: str
    role: str
    #: The codes and dates it recorded (a flag, a qualification, an effective date …).
    data: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "occurred_at": self.occurred_at.isoformat(), "type": self.type,
                "name": self.name, "role": self.role, "data": dict(self.data)}  # fmt: skip


@frozen
class EmployerRecord:
    """What an institution knows of one employer (a leerbedrijf): no case details.

    Attributes:
        employer: The employer's id.
        stream_id: The id of its stream.
        state: ``operating`` or ``closed_down``.
        flags: The flags raised and not lifted (``active`` says which count today).
        recommendations: The confidential advisor's open recommendations: seq, flag, day.
        alerts: Every pattern alert, open or settled.
        recognitions: SBB's last decision per qualification: status and effective day.
        closed_on: The day it closed down, if it did.
        history: Every event on its stream, oldest first.
    """

    employer: str
    stream_id: str
    state: str
    flags: tuple[Flag, ...]
    recommendations: tuple[Mapping[str, Any], ...]
    alerts: tuple[Alert, ...]
    recognitions: Mapping[str, Mapping[str, str]]
    closed_on: str | None
    history: tuple[HistoryItem, ...]

    @property
    def open_alerts(self) -> tuple[Alert, ...]:
        """The alerts waiting for a person's review."""
        return tuple(alert for alert in self.alerts if alert.status == "open")

    def to_json(self) -> dict[str, Any]:
        return {
            "employer": self.employer,
            "stream_id": self.stream_id,
            "state": self.state,
            "flags": [f.to_json() for f in self.flags],
            "recommendations": [dict(r) for r in self.recommendations],
            "alerts": [a.to_json() for a in self.alerts],
            "recognitions": {q: dict(d) for q, d in self.recognitions.items()},
            "closed_on": self.closed_on,
            "history": [h.to_json() for h in self.history],
        }
