"""Sealing: the canonical header of an event and its place in the stream's hash chain.

An event is stored as two byte strings:

* the **body**: canonical JSON of ``{"data": …, "date": …, "findings": […]}``; it may be
  erased later (crypto-shredding), so the chain holds only its hash;
* the **header**: canonical JSON of every audited field, including the body's
  SHA-256 and the previous event's hash.

The event's hash is SHA-256 of the header bytes exactly as stored.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from ..core import MAX_INT, canonical_bytes

__all__ = [
    "GENESIS",
    "HEADER_VERSION",
    "SealedEvent",
    "StreamRow",
    "body_bytes",
    "header_bytes",
    "seal",
]

#: The ``prev`` of a stream's first event.
GENESIS = "0" * 64
#: The header format version (``"v"``) this release writes. Version 2 is version 1 with
#: two optional keys: ``command`` (the caller's command id) and ``institution``.
HEADER_VERSION = 2


class SealedEvent(NamedTuple):
    """An event as stored: its query columns and the exact hashed bytes.

    A named tuple of the events table's columns but ``position``, in the order of
    ``SealedEvent._fields`` (select them so), so that rows read
    from the database become events without copying field by field.
    """

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
    #: The caller's id for the command that wrote it (idempotent retries), if given.
    command_id: str | None = None
    #: The institution of its stream ("" for none).
    institution: str = ""


class StreamRow(NamedTuple):
    """The projection row of one stream, in the column order of the streams table.

    The verifier checks every column against the stream's events.
    """

    id: str
    kind: str
    lifecycle: str
    definition: str
    state: str
    version: int
    head_hash: str
    facts: str  # canonical JSON of the facts projection
    opened_at: str
    updated_at: str
    #: The institution the stream belongs to ("" for none).
    institution: str = ""


_q = encode_basestring  # a JSON string literal, non-ASCII kept: as canonical JSON writes it


@functools.lru_cache(maxsize=256)
def _plugins_json(plugins: tuple[Sequence[str], ...]) -> str:
    # The same few plugin sets recur on every event: encode each set once.
    return ",".join(f"[{','.join(_q(part) for part in p)}]" for p in plugins)


def header_bytes(
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
    body_hash: str,
    prev_hash: str,
    command_id: str | None = None,
    institution: str = "",
) -> bytes:
    """The canonical JSON bytes of an event header.

    Written out with the keys in their canonical (sorted) order because it is
    the hot path of every command; the test suite proves the result equals
    :func:`~stageborging._canonical.canonical_bytes` of the same header (and so
    RFC 8785) for arbitrary values.
    """
    if isinstance(seq, bool) or not isinstance(seq, int) or abs(seq) > MAX_INT:
        raise ValueError(f"seq {seq!r} is not a canonical integer")
    plugin_list = _plugins_json(
        plugins if isinstance(plugins, tuple) else tuple(tuple(p) for p in plugins)
    )
    head, tail = header_around_plugins(
        stream_id, seq, type, name, occurred_at, actor_id, actor_role, from_state, to_state,
        lifecycle, definition, body_hash, prev_hash, command_id, institution,
    )  # fmt: skip
    return f"{head}{plugin_list}{tail}".encode()


def header_around_plugins(
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
    body_hash: str,
    prev_hash: str,
    command_id: str | None,
    institution: str,
) -> tuple[str, str]:
    """The canonical header text before the plugin pairs (up to ``"plugins":[``) and
    after them (from ``],"prev":``), in the argument order of :class:`SealedEvent`.

    A verifier that rebuilds both from an event's columns and finds them around the
    stored header's plugin list knows, without parsing it, that the header is canonical
    and that every column agrees with it (*seq* must be an int: ``str(seq)`` is written).
    """
    command = "" if command_id is None else f'"command":{_q(command_id)},'
    owner = f'"institution":{_q(institution)},' if institution else ""
    head = (
        f'{{"actor":{{"id":{_q(actor_id)},"role":{_q(actor_role)}}},'
        f'"body_hash":{_q(body_hash)},{command}"definition":{_q(definition)},'
        f'"from":{_q(from_state)},{owner}'
        f'"lifecycle":{_q(lifecycle)},"name":{_q(name)},"plugins":['
    )
    tail = (
        f'],"prev":{_q(prev_hash)},"seq":{seq},"stream":{_q(stream_id)},'
        f'"time":{_q(occurred_at)},"to":{_q(to_state)},"type":{_q(type)},"v":{HEADER_VERSION}}}'
    )
    return head, tail


def _flat_json(data: Mapping[str, Any]) -> str | None:
    """*data* as canonical JSON when it is flat (ASCII keys; strings, integers, lists of
    strings as values), else None."""
    parts = []
    for key in sorted(data):
        if type(key) is not str or not key.isascii():
            return None
        value = data[key]
        kind = type(value)
        if kind is str:
            parts.append(f"{_q(key)}:{_q(value)}")
        elif kind is int and -MAX_INT <= value <= MAX_INT:
            parts.append(f"{_q(key)}:{value}")
        elif (kind is tuple or kind is list) and all(type(item) is str for item in value):
            parts.append(f"{_q(key)}:[{','.join(map(_q, value))}]")
        else:
            return None
    return "{" + ",".join(parts) + "}"


def body_bytes(body: Mapping[str, Any]) -> bytes:
    """The canonical JSON bytes of an event body.

    Most bodies are flat data, the date and no findings: those are written out
    directly, like the header, at a quarter of the cost; every other body goes
    through :func:`~stageborging.core.canonical_bytes`. The test suite proves the
    result equals RFC 8785 for arbitrary bodies.
    """
    data, day, findings = body.get("data"), body.get("date"), body.get("findings")
    if len(body) == 3 and type(day) is str and type(findings) is list and not findings:
        flat = _flat_json(data) if isinstance(data, dict) else None  # FrozenMap too
        if flat is not None:
            return f'{{"data":{flat},"date":{_q(day)},"findings":[]}}'.encode()
    return canonical_bytes(body)


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
    command_id: str | None = None,
    institution: str = "",
) -> SealedEvent:
    """Encode *body* and the header canonically and chain them after *prev_hash*."""
    body_encoded = body_bytes(body)
    body_hash = hashlib.sha256(body_encoded).hexdigest()
    header = header_bytes(
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
        plugins=plugins,
        body_hash=body_hash,
        prev_hash=prev_hash,
        command_id=command_id,
        institution=institution,
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
        body=body_encoded,
        body_hash=body_hash,
        prev_hash=prev_hash,
        hash=hashlib.sha256(header).hexdigest(),
        command_id=command_id,
        institution=institution,
    )
