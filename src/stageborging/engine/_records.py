"""Between stored rows and the public records: drafts, sealed events, streams."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from ..audit import SealedEvent, seal
from ..core import (
    Actor,
    Event,
    EventType,
    Finding,
    Moment,
    PluginInfo,
    Role,
    Stream,
    canonical_bytes,
)
from ..lifecycles import LifecycleDefinition
from ..store import StreamRow

__all__ = [
    "Draft",
    "decoded",
    "event_from_sealed",
    "event_of",
    "facts_json",
    "opened_row",
    "seal_draft",
    "stream_of",
]


class Draft(NamedTuple):
    """An event decided on and not yet sealed: what the pipeline hands to the log.

    Attributes:
        stream_id: The stream it goes on.
        seq: Its place in the stream (the stream's version after it).
        type: opened, transitioned, recorded or refused.
        name: The lifecycle, trigger or fact.
        actor: Who gave the command.
        from_state: The state before.
        to_state: The state after.
        definition: The definition in force.
        data: The command's validated data.
        moment: When: the local date goes in the body, the UTC stamp in the header.
        prev_hash: The hash of the stream's previous event.
        findings: Every finding to record with it.
        plugins: The plugins that took part (sorted by name, unique).
        command_id: The caller's id for the command, if given.
        institution: The institution of the stream ("" for none).
        sealed: The sealed fields' ciphertext, by field (empty: nothing sealed).
        key_id: The subject key they are sealed under.
    """

    stream_id: str
    seq: int
    type: EventType
    name: str
    actor: Actor
    from_state: str
    to_state: str
    definition: LifecycleDefinition
    data: Mapping[str, Any]
    moment: Moment
    prev_hash: str
    findings: tuple[Finding, ...] = ()
    plugins: tuple[PluginInfo, ...] = ()
    command_id: str | None = None
    institution: str = ""
    sealed: Mapping[str, str] = {}
    key_id: str | None = None


def seal_draft(draft: Draft) -> SealedEvent:
    """Seal *draft*: its canonical header and body, chained after its previous hash. Its
    sealed fields go in the body's ``sealed`` part, with their key id; the chain covers
    the ciphertext's hash, never the text."""
    body: dict[str, Any] = {
        "data": draft.data,
        "date": draft.moment.day,
        "findings": [f.to_json() for f in draft.findings],
    }
    if draft.sealed:
        body["sealed"] = {"key": draft.key_id, "fields": draft.sealed}
    return seal(
        stream_id=draft.stream_id,
        seq=draft.seq,
        type=str(draft.type),
        name=draft.name,
        occurred_at=draft.moment.stamp,
        actor_id=draft.actor.id,
        actor_role=str(draft.actor.role),
        from_state=draft.from_state,
        to_state=draft.to_state,
        lifecycle=draft.definition.name,
        definition=draft.definition.digest,
        plugins=draft.plugins,
        body=body,
        prev_hash=draft.prev_hash,
        command_id=draft.command_id,
        institution=draft.institution,
    )


def event_of(sealed: SealedEvent, draft: Draft) -> Event:
    """The public record of an event just sealed, from what the command already has."""
    return _event(
        sealed,
        draft.moment.utc,
        draft.actor,
        draft.data,
        draft.findings,
        draft.plugins,
        {"key": draft.key_id, "fields": draft.sealed} if draft.sealed else None,
    )


def _event(
    sealed: SealedEvent,
    occurred_at: datetime,
    actor: Actor,
    data: Mapping[str, Any],
    findings: tuple[Finding, ...],
    plugins: tuple[PluginInfo, ...],
    secret: Mapping[str, Any] | None = None,
) -> Event:
    return Event(
        stream_id=sealed.stream_id,
        seq=sealed.seq,
        type=EventType(sealed.type),
        name=sealed.name,
        occurred_at=occurred_at,
        actor=actor,
        from_state=sealed.from_state,
        to_state=sealed.to_state,
        definition=sealed.definition,
        data=data,
        findings=findings,
        plugins=plugins,
        hash=sealed.hash,
        prev_hash=sealed.prev_hash,
        body_hash=sealed.body_hash,
        command_id=sealed.command_id,
        institution=sealed.institution,
        sealed={} if secret is None else secret["fields"],
        key_id=None if secret is None else secret["key"],
    )


def event_from_sealed(sealed: SealedEvent) -> Event:
    """The public record of a stored event."""
    header = json.loads(sealed.header)
    body = json.loads(sealed.body) if sealed.body is not None else {"data": {}, "findings": []}
    return _event(
        sealed,
        datetime.fromisoformat(sealed.occurred_at),
        Actor(sealed.actor_id, Role(sealed.actor_role)),
        body["data"],
        tuple(Finding.from_json(f) for f in body["findings"]),
        tuple(PluginInfo(name, version) for name, version in header["plugins"]),
        body.get("sealed"),
    )


def decoded(sealed: SealedEvent) -> dict[str, Any]:
    """What the facts fold reads of a stored event: seq, type, name, version, the actor's
    role and the decoded body."""
    body = json.loads(sealed.body) if sealed.body is not None else {}
    return {
        "seq": sealed.seq,
        "type": sealed.type,
        "name": sealed.name,
        "definition": sealed.definition,
        "role": sealed.actor_role,
        "body": body,
    }


def facts_json(facts: Mapping[str, Any]) -> str:
    """The canonical JSON of *facts*, as the projection row stores it."""
    return canonical_bytes(facts).decode()


def opened_row(definition: LifecycleDefinition, sealed: SealedEvent, facts: str) -> StreamRow:
    """The projection row of a stream whose first event is *sealed*."""
    return StreamRow(
        id=sealed.stream_id,
        kind=definition.kind,
        lifecycle=definition.name,
        definition=definition.digest,
        state=sealed.to_state,
        version=sealed.seq,
        head_hash=sealed.hash,
        facts=facts,
        opened_at=sealed.occurred_at,
        updated_at=sealed.occurred_at,
        institution=sealed.institution,
    )


def stream_of(row: StreamRow, facts: Mapping[str, Any] | None = None) -> Stream:
    """The public view of a projection row; *facts* parsed already, or read from the row."""
    return Stream(
        id=row.id,
        kind=row.kind,
        lifecycle=row.lifecycle,
        definition=row.definition,
        state=row.state,
        version=row.version,
        head_hash=row.head_hash,
        facts=json.loads(row.facts) if facts is None else facts,
        institution=row.institution,
    )
