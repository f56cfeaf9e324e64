"""What guidance shows people: the items due, and the gaps recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen

from ..audit import SealedEvent
from ..core import Role
from ..store import DeadlineRow
from ._schedule import settings_of

__all__ = ["DueItem", "Gap"]


@frozen
class DueItem:
    """Something a role must do: a guidance deadline coming up or overdue, or a proposed
    transition waiting for a decision (:meth:`Engine.due <stageborging.Engine.due>`).

    Attributes:
        stream_id: The internship or case.
        step: The guidance step.
        kind: ``deadline`` or ``proposal``.
        overdue: True once the deadline was missed (a guidance gap is recorded; it
            stays here until it is done or no longer applies), and for a proposal.
        due_at: When it is (or was) due (UTC).
        role: Who must act.
        trigger: The transition a proposal suggests (None for a deadline).
        key: The deadline's key (a proposal's is dismissed by it).
    """

    stream_id: str
    step: str
    kind: str
    overdue: bool
    due_at: datetime
    role: Role
    trigger: str | None
    key: str

    @classmethod
    def of(cls, row: DeadlineRow) -> DueItem:
        """The item of a live deadline row."""
        settings = settings_of(row)
        return cls(
            stream_id=row.stream_id,
            step=row.step,
            kind=row.kind,
            overdue=row.kind == "proposal" or row.status == "missed",
            due_at=datetime.fromisoformat(row.due_at),
            role=Role(row.role),
            trigger=settings["trigger"] if row.kind == "proposal" else None,
            key=row.key,
        )

    def to_json(self) -> dict[str, Any]:
        """The item as JSON-ready values (times RFC 3339)."""
        return {
            "stream_id": self.stream_id, "step": self.step, "kind": self.kind,
            "overdue": self.overdue, "due_at": self.due_at.isoformat(), "role": str(self.role),
            "trigger": self.trigger, "key": self.key,
        }  # fmt: skip


@frozen
class Gap:
    """A guidance step missed: an ``escalated`` event (``guidance_gaps``).

    Attributes:
        stream_id: The internship or case.
        step: The guidance step missed.
        due_at: When it was due (UTC).
        recorded_at: When the tick recorded the miss (UTC).
        action: How it escalated: ``notify``, ``propose`` or ``fire``.
        role: Who was told.
        programme: The stream's programme ("" when it has none).
        institution: The stream's institution ("" for none).
        position: The event's position in the global order (a resume cursor).
    """

    stream_id: str
    step: str
    due_at: datetime
    recorded_at: datetime
    action: str
    role: Role
    programme: str
    institution: str
    position: int

    @classmethod
    def of(cls, position: int, event: SealedEvent, data: Mapping[str, Any]) -> Gap:
        """The gap of an ``escalated`` event whose body data is *data*."""
        return cls(
            stream_id=event.stream_id,
            step=event.name,
            due_at=datetime.fromisoformat(data["due"]),
            recorded_at=datetime.fromisoformat(event.occurred_at),
            action=data["action"],
            role=Role(data["role"]),
            programme=data.get("programme", ""),
            institution=event.institution,
            position=position,
        )

    def to_json(self) -> dict[str, Any]:
        """The gap as JSON-ready values (times RFC 3339)."""
        return {
            "stream_id": self.stream_id, "programme": self.programme, "step": self.step,
            "due_at": self.due_at.isoformat(), "recorded_at": self.recorded_at.isoformat(),
            "action": self.action, "role": str(self.role), "institution": self.institution,
        }  # fmt: skip
