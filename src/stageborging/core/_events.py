"""The log and what it adds up to: events, streams (their projection) and counts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from ._actors import Actor
from ._findings import Finding, PluginInfo
from ._frozen import freeze

__all__ = ["Event", "EventType", "FeedEntry", "Statistics", "Stream", "StreamPage"]


class EventType(StrEnum):
    """The kinds of event on a stream."""

    OPENED = "opened"
    TRANSITIONED = "transitioned"
    RECORDED = "recorded"
    REFUSED = "refused"
    MIGRATED = "migrated"
    IMPORTED = "imported"
    CORRECTED = "corrected"
    ESCALATED = "escalated"
    DISMISSED = "dismissed"
    NOTED = "noted"
    ERASED = "erased"


@frozen
class Event:
    """One entry of a stream's audit log, as read back from the store.

    Attributes:
        stream_id: The stream (internship or case) it belongs to.
        seq: Its position in the stream, from 1.
        type: opened, transitioned, recorded (a fact), refused, migrated (to
            another version of its definition), imported (a running internship
            taken over from another system, straight after its opening) or
            corrected (a recorded fact taken back: ``data["seq"]`` names it) or
            escalated (a guidance step missed: a guidance gap, recorded by
            ``tick``; ``name`` is the step) or dismissed (a transition a missed
            step proposed, turned down with a reason; ``name`` is the step) or
            noted (an institution fact a plugin declares; ``name`` is the fact) or
            erased (a subject erased: from then on the free text sealed under
            their key is unreadable; ``data["basis"]`` is the legal basis code).
        name: The lifecycle, trigger or fact name (``migrate`` for a migration,
            ``import`` for an import, ``correct`` for a correction).
        occurred_at: When it was recorded (UTC).
        actor: Who fired the command.
        from_state: The state before.
        to_state: The state after (equal to ``from_state`` unless transitioned,
            migrated or imported).
        definition: The digest of the lifecycle definition in force (after a
            migration: the version migrated to).
        data: The validated command data (codes, ids, dates; never free text),
            read-only: mappings are read-only maps, lists are tuples.
        findings: The findings recorded with it (all of them for a refusal).
        plugins: The plugins that took part in the decision.
        hash: This event's chain hash (hex).
        prev_hash: The previous event's chain hash.
        body_hash: The hash of the body (data and findings).
        command_id: The caller's id for the command that wrote it (see
            "Idempotent commands" in the integration guide); None when not given.
        institution: The institution its stream belongs to ("" for none).
        sealed: The sealed fields (free text, a special-category code) as their
            ciphertext, by field name: never the text (read it with
            :meth:`Engine.reveal`, for the roles allowed); empty when none.
        key_id: The subject key they are sealed under; None when nothing is sealed.
    """

    stream_id: str
    seq: int
    type: EventType
    name: str
    occurred_at: datetime
    actor: Actor
    from_state: str
    to_state: str
    definition: str
    data: Mapping[str, Any] = field(converter=freeze)
    findings: tuple[Finding, ...]
    plugins: tuple[PluginInfo, ...]
    hash: str
    prev_hash: str
    body_hash: str
    command_id: str | None = None
    institution: str = ""
    sealed: Mapping[str, str] = field(default={}, converter=freeze)
    key_id: str | None = None


@frozen
class Stream:
    """The current state of one stream (its projection).

    Attributes:
        id: The stream id.
        kind: ``internship`` or ``case``.
        lifecycle: The name of its lifecycle definition.
        definition: That definition's digest.
        state: The current state.
        version: The number of events on the stream (refusals included).
        head_hash: The hash of its last event.
        facts: What the stream knows besides its state: the opening details,
            agreement version and signatures, hours, consent …; read-only all
            the way down (mappings are read-only maps, lists are tuples).
        institution: The institution it belongs to ("" for none).
    """

    id: str
    kind: str
    lifecycle: str
    definition: str
    state: str
    version: int
    head_hash: str
    facts: Mapping[str, Any] = field(converter=freeze)
    institution: str = ""


@frozen
class Statistics:
    """Counts queried from the database (the demo's summary, monitoring later).

    Attributes:
        states: lifecycle name -> state -> number of streams in it.
        events: The number of events written.
        events_by_type: Event type -> number of events.
        refusals: Finding code -> number of refusals it blocked.
    """

    states: Mapping[str, Mapping[str, int]] = field(converter=freeze)
    events: int
    events_by_type: Mapping[str, int] = field(converter=freeze)
    refusals: Mapping[str, int] = field(converter=freeze)


@frozen
class FeedEntry:
    """One event of the change feed (``Engine.events_since``), with its place in the
    database's global order.

    Attributes:
        position: The event's position in the global order: positions increase
            but are not consecutive. Keep the last one you handled and resume
            after it; no event that commits later gets a lower one.
        event: The event, as :meth:`Engine.history` returns it.
    """

    position: int
    event: Event


@frozen
class StreamPage:
    """One page of a stream query (``Engine.streams``).

    Attributes:
        streams: The streams found, in stream id order, each as ``Engine.stream``
            returns it.
        next: The cursor of the next page (pass it as ``after``); None when this
            page is the last.
    """

    streams: tuple[Stream, ...]
    next: str | None
