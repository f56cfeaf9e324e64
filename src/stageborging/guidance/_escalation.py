"""What a missed deadline becomes: the guidance gap's event data and its notification."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..core import MessageTemplate, Notification, OutboxEntry
from ..store import DeadlineRow, StreamRow
from ._schedule import settings_of

__all__ = ["TEMPLATES", "escalation", "notice", "proposal"]

#: The message templates of the notifications guidance sends, in Dutch and English;
#: ``{step}`` is the step's code, ``{trigger}`` the transition proposed or fired,
#: ``{due}`` when it was due (the name and the deep link come from the host's contact).
TEMPLATES: tuple[MessageTemplate, ...] = (
    MessageTemplate.framed(
        "guidance.missed",
        {"nl": "Begeleidingsstap gemist: {step}", "en": "Guidance step missed: {step}"},
        {
            "nl": "De begeleidingsstap {step} moest uiterlijk {due} gebeuren en is niet gedaan.",
            "en": "The guidance step {step} was due on {due} and has not been done.",
        },
    ),
    MessageTemplate.framed(
        "guidance.proposed",
        {
            "nl": "Voorstel na gemiste stap: {trigger}",
            "en": "Proposed after a missed step: {trigger}",
        },
        {
            "nl": "De begeleidingsstap {step} is gemist (uiterlijk {due}): voorgesteld is "
            "{trigger}; voer het uit of wijs het voorstel met een reden af.",
            "en": "The guidance step {step} was missed (due {due}): {trigger} is proposed; "
            "fire it or dismiss the proposal with a reason.",
        },
    ),
    MessageTemplate.framed(
        "guidance.fired",
        {
            "nl": "In gang gezet na gemiste stap: {trigger}",
            "en": "Done after a missed step: {trigger}",
        },
        {
            "nl": "De begeleidingsstap {step} is gemist (uiterlijk {due}), dus is {trigger} "
            "voor de student in gang gezet.",
            "en": "The guidance step {step} was missed (due {due}), so {trigger} was done for "
            "the student.",
        },
    ),
)
_TEMPLATE = {"notify": "guidance.missed", "propose": "guidance.proposed", "fire": "guidance.fired"}


def escalation(deadline: DeadlineRow, facts: Mapping[str, Any], action: str) -> dict[str, Any]:
    """The data of the ``escalated`` event that records *deadline* as a guidance gap,
    escalated by *action* (the step's, or ``propose`` when a fire cannot be done)."""
    settings = settings_of(deadline)
    data: dict[str, Any] = {
        "deadline": deadline.key,
        "due": deadline.due_at,
        "action": action,
        "role": settings["escalate_to"],
        "version": settings["version"],
    }
    if action != "notify":
        data["trigger"] = settings["trigger"]
    programme = facts.get("details", {}).get("programme")
    if isinstance(programme, str):
        data["programme"] = programme
    return data


def notice(
    row: StreamRow, seq: int, deadline: DeadlineRow, data: Mapping[str, Any], at: str
) -> OutboxEntry:
    """The notification of the escalation *data* of *deadline*, written as event *seq*
    of *row*'s stream at *at* (RFC 3339)."""
    params = {"step": deadline.step, "due": data["due"][:10]}
    if "trigger" in data:
        params["trigger"] = data["trigger"]
    return OutboxEntry(
        key=f"{row.id}:{seq}:guidance:0",
        stream_id=row.id,
        seq=seq,
        plugin="guidance",
        notification=Notification(
            channel=settings_of(deadline)["channel"],
            recipient_role=data["role"],
            template=_TEMPLATE[data["action"]],
            params=params,
        ),
        created_at=at,
    )


def proposal(deadline: DeadlineRow, row: StreamRow, at: datetime) -> DeadlineRow:
    """The proposal a missed *deadline* leaves in ``due`` for its escalation role: open
    until someone fires the trigger, dismisses it, or the step no longer applies."""
    settings = settings_of(deadline)
    return DeadlineRow.make(
        f"{deadline.key}:proposal",
        row.id,
        deadline.step,
        at,
        at,
        deadline.data,
        kind="proposal",
        role=settings["escalate_to"],
        institution=row.institution,
    )
