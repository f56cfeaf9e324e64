"""Sealing: the canonical header of an event and its place in the stream's hash chain.

An event is stored as two byte strings:

* the **body**: canonical JSON of ``{"data": …, "findings": […]}``; it may be
  erased later (crypto-shredding), so the chain holds only its hash;
* the **header**: canonical JSON of every audited field, including the body's
  SHA-256 and the previous event's hash.

The event's hash is SHA-256 of the header bytes exactly as stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from .._canonical import canonical_bytes

__all__ = ["GENESIS", "HEADER_VERSION", "SealedEvent", "seal"]

#: The ``prev`` of a stream's first event.
GENESIS = "0" * 64
#: The header format version (``"v"``).
HEADER_VERSION = 1


@frozen
class SealedEvent:
    """An event ready to store: its query columns and the exact hashed bytes."""

    stream_id: str
    seq: int
    type: str
    name: str
    occurred_at: str
    actor_id: str
    actor_role: str
    from_state: str
    to_state: str
    lifecycle: str
    definition: str
    header: bytes
    body: bytes | None
    body_hash: str
    prev_hash: str
    hash: str


def seal(
    *,
    stream_id: str,
    seq: int,
    type: str,
    name: str,
    occurred_at: str,
    actor_id: str,
    actor_role: str,
    from_state: str,
    to_state: str,
    lifecycle: str,
    definition: str,
    plugins: Sequence[Sequence[str]],
    body: Mapping[str, Any],
    prev_hash: str,
) -> SealedEvent:
    """Encode *body* and the header canonically and chain them after *prev_hash*."""
    body_bytes = canonical_bytes(body)
    body_hash = hashlib.sha256(body_bytes).hexdigest()
    header = canonical_bytes(
        {
            "v": HEADER_VERSION,
            "stream": stream_id,
            "seq": seq,
            "type": type,
            "name": name,
            "time": occurred_at,
            "actor": {"id": actor_id, "role": actor_role},
            "from": from_state,
            "to": to_state,
            "lifecycle": lifecycle,
            "definition": definition,
            "plugins": [list(p) for p in plugins],
            "body_hash": body_hash,
            "prev": prev_hash,
        }
    )
    return SealedEvent(
        stream_id=stream_id,
        seq=seq,
        type=type,
        name=name,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_role=actor_role,
        from_state=from_state,
        to_state=to_state,
        lifecycle=lifecycle,
        definition=definition,
        header=header,
        body=body_bytes,
        body_hash=body_hash,
        prev_hash=prev_hash,
        hash=hashlib.sha256(header).hexdigest(),
    )
