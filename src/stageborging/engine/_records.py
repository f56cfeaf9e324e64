"""Between stored rows and the public records: streams and events."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from ..audit import SealedEvent, seal
from ..core import Actor, Event, EventType, Finding, PluginInfo, Role, Stream
from ..lifecycles import LifecycleDefinition
from ..store import StreamRow

__all__ = ["decoded", "event_from_sealed", "new_event", "seal_event", "stream_of"]


def stream_of(row: StreamRow, facts: Mapping[str, Any]) -> Stream:
    """The public view of a projection row with its (parsed) facts."""
    return Stream(
        id=row.id,
        kind=row.kind,
        lifecycle=row.lifecycle,
        definition=row.definition,
        state=row.state,
        version=row.version,
        head_hash=row.head_hash,
        facts=facts,
    )


def seal_event(
    stream_id: str,
    seq: int,
    type: EventType,
    name: str,
    now: datetime,
    stamp: str,
    actor: Actor,
    from_state: str,
    to_state: str,
    definition: LifecycleDefinition,
    plugins: Sequence[PluginInfo],
    data: Mapping[str, Any],
    findings: Sequence[Finding],
    prev_hash: str,
) -> SealedEvent:
    """Seal one event of a command: *now* is local (its date goes in the body), *stamp* UTC."""
    return seal(
        stream_id=stream_id,
        seq=seq,
        type=type.value,
        name=name,
        occurred_at=stamp,
        actor_id=actor.id,
        actor_role=actor.role.value,
        from_state=from_state,
        to_state=to_state,
        lifecycle=definition.name,
        definition=definition.digest,
        plugins=[p.to_json() for p in plugins],
        body={
            "data": dict(data),
            "date": now.date().isoformat(),
            "findings": [f.to_json() for f in findings],
        },
        prev_hash=prev_hash,
    )


def new_event(
    sealed: SealedEvent,
    actor: Actor,
    data: Mapping[str, Any],
    findings: Sequence[Finding],
    plugins: Sequence[PluginInfo],
) -> Event:
    """The public record of an event just sealed, from what the command already has."""
    return Event(
        stream_id=sealed.stream_id,
        seq=sealed.seq,
        type=EventType(sealed.type),
        name=sealed.name,
        occurred_at=datetime.fromisoformat(sealed.occurred_at),
        actor=actor,
        from_state=sealed.from_state,
        to_state=sealed.to_state,
        definition=sealed.definition,
        data=MappingProxyType(dict(data)),  # read-only: the log is what counts
        findings=tuple(findings),
        plugins=tuple(plugins),
        hash=sealed.hash,
        prev_hash=sealed.prev_hash,
        body_hash=sealed.body_hash,
    )


def decoded(sealed: SealedEvent) -> dict[str, Any]:
    """What the facts fold reads of a stored event: type, name and decoded body."""
    body = json.loads(sealed.body) if sealed.body is not None else {}
    return {"type": sealed.type, "name": sealed.name, "body": body}


def event_from_sealed(sealed: SealedEvent) -> Event:
    """The public record of a stored event."""
    header = json.loads(sealed.header)
    body = json.loads(sealed.body) if sealed.body is not None else {"data": {}, "findings": []}
    return new_event(
        sealed,
        Actor(sealed.actor_id, Role(sealed.actor_role)),
        body["data"],
        [Finding.from_json(f) for f in body["findings"]],
        [PluginInfo(name, version) for name, version in header["plugins"]],
    )
