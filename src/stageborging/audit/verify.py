"""Verification of stored streams: recompute every chain, check every column.

:func:`verify_rows` is a pure function over rows read from any store. It reports
the first broken link of each stream: the stream id, the sequence number and
what is wrong. What it cannot see from the database alone (a cut-off tail
together with a rewritten projection, or a whole stream recomputed by someone
who controls the database) needs a value held elsewhere: signed checkpoints.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen

from ._chain import GENESIS, HEADER_VERSION, SealedEvent

__all__ = ["Break", "StreamHead", "VerifyReport", "verify_rows"]


@frozen
class StreamHead:
    """The projection row of a stream, as far as the chain can vouch for it."""

    id: str
    lifecycle: str
    definition: str
    state: str
    version: int
    head_hash: str


@frozen
class Break:
    """The first broken link of one stream."""

    stream_id: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"stream {self.stream_id} seq {self.seq}: {self.problem}"


@frozen
class VerifyReport:
    """The result of a verification.

    Attributes:
        streams: How many streams were checked.
        events: How many events were checked.
        breaks: The first broken link of every broken stream, in stream order.
        warnings: Things that weaken the defences without breaking a chain.
    """

    streams: int
    events: int
    breaks: tuple[Break, ...]
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every chain and every projection is intact."""
        return not self.breaks


#: header key -> SealedEvent attribute it must equal
_COLUMNS = (
    ("stream", "stream_id"),
    ("seq", "seq"),
    ("type", "type"),
    ("name", "name"),
    ("time", "occurred_at"),
    ("from", "from_state"),
    ("to", "to_state"),
    ("lifecycle", "lifecycle"),
    ("definition", "definition"),
    ("body_hash", "body_hash"),
    ("prev", "prev_hash"),
)


def _check_event(event: SealedEvent, expected_seq: int, prev: SealedEvent | None) -> str | None:
    if event.seq != expected_seq:
        return f"expected seq {expected_seq}, found seq {event.seq} (an event is missing)"
    if hashlib.sha256(event.header).hexdigest() != event.hash:
        return "hash does not match the stored header bytes"
    try:
        header: Any = json.loads(event.header)
    except (ValueError, UnicodeDecodeError):
        return "header is not valid JSON"
    if not isinstance(header, dict) or header.get("v") != HEADER_VERSION:
        return f"header is not a version {HEADER_VERSION} event header"
    for key, attribute in _COLUMNS:
        if header.get(key) != getattr(event, attribute):
            return f"column {attribute} disagrees with the hashed header"
    actor = header.get("actor")
    if not isinstance(actor, dict) or (actor.get("id"), actor.get("role")) != (
        event.actor_id,
        event.actor_role,
    ):
        return "columns actor_id/actor_role disagree with the hashed header"
    if event.body is None:
        return "body is missing"
    if hashlib.sha256(event.body).hexdigest() != event.body_hash:
        return "body does not match its hash"
    if prev is None:
        if event.prev_hash != GENESIS:
            return "first event does not start from the genesis hash"
        if event.type != "opened":
            return "first event is not an 'opened' event"
    else:
        if event.prev_hash != prev.hash:
            return "prev_hash does not match the previous event's hash"
        if event.from_state != prev.to_state:
            return "from_state does not continue the previous event's to_state"
    return None


def _check_head(head: StreamHead | None, last: SealedEvent) -> Break | None:
    stream = last.stream_id
    if head is None:
        return Break(stream, 1, "events exist but the stream has no projection row")
    if head.version != last.seq:
        seq = max(head.version, last.seq)
        return Break(stream, seq, f"projection version {head.version}, last event seq {last.seq}")
    checks = (
        (head.head_hash, last.hash, "head_hash"),
        (head.state, last.to_state, "state"),
        (head.definition, last.definition, "definition"),
        (head.lifecycle, last.lifecycle, "lifecycle"),
    )
    for stored, derived, column in checks:
        if stored != derived:
            return Break(stream, last.seq, f"projection column {column} disagrees with the events")
    return None


def verify_rows(events: Iterable[SealedEvent], heads: Mapping[str, StreamHead]) -> VerifyReport:
    """Verify *events* (ordered by stream id, then seq) against the projection *heads*.

    Returns:
        A report naming the first broken link of each broken stream.
    """
    breaks: list[Break] = []
    seen: set[str] = set()
    count = 0
    current: str | None = None
    prev: SealedEvent | None = None
    broken = False

    def finish() -> None:
        if current is not None and prev is not None and not broken:
            problem = _check_head(heads.get(current), prev)
            if problem is not None:
                breaks.append(problem)

    for event in events:
        count += 1
        if event.stream_id != current:
            finish()
            current, prev, broken = event.stream_id, None, False
            seen.add(current)
        if broken:
            continue
        expected = 1 if prev is None else prev.seq + 1
        problem = _check_event(event, expected, prev)
        if problem is not None:
            breaks.append(Break(event.stream_id, expected, problem))
            broken = True
        prev = event
    finish()
    for stream_id in sorted(set(heads) - seen):
        breaks.append(Break(stream_id, 1, "the stream has a projection row but no events"))
    breaks.sort(key=lambda b: b.stream_id)
    return VerifyReport(streams=len(seen | set(heads)), events=count, breaks=tuple(breaks))
