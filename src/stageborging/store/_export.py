"""The log written out as an export (JSON Lines; verified by
:func:`stageborging.audit.verify_export` with no database)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ..audit import EXPORT_FORMAT, SealedEvent, export_line
from ..core import InvalidInput, StreamNotFound, check_identifier
from ..lifecycles import builtin, released
from ._protocol import Store
from ._rows import check_count, check_moment

__all__ = ["export_lines"]

_PAGE = 2000


def _text(field: str, raw: bytes | None) -> dict[str, Any]:
    """Bytes as text where they are UTF-8 (as canonical JSON is), else as base64."""
    if raw is None:
        return {field: None}
    try:
        return {field: raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {f"{field}_b64": base64.b64encode(raw).decode()}


def export_lines(
    store: Store,
    *,
    stream_id: str | None = None,
    since: int = 0,
    from_time: datetime | None = None,
    schema: int,
) -> Iterator[str]:
    """The lines of an export of the events after position *since* (of *stream_id*
    only; recorded at *from_time* or later, by the hosts' clocks, when given): a start
    line, every stored definition version, the events in the global order, the
    streams' heads, an end line. Page by page: memory stays flat."""
    since = check_count("since", since, 0)
    after = None if from_time is None else check_moment("from_time", from_time)
    if stream_id is not None:
        check_identifier("stream_id", stream_id)
    return _lines(store, stream_id, since, after, schema)


def _lines(
    store: Store, stream_id: str | None, since: int, after: str | None, schema: int
) -> Iterator[str]:
    # checked before the first line: an export refused writes nothing
    # (a stream with events but no projection row, a tampered one, still exports)
    if (
        stream_id is not None
        and store.read_stream(stream_id) is None
        and not store.read_events(stream_id)
    ):
        raise StreamNotFound(stream_id)
    end = store.last_position()
    if since > end:
        raise InvalidInput("since", since, f"is past the log's last position ({end}): a later "
                           "export from it would skip the events written up to it")  # fmt: skip
    yield export_line({"kind": "export", "format": EXPORT_FORMAT, "schema": schema,
                       "since": since, "from_time": after, "stream": stream_id})  # fmt: skip
    held = set()
    for stored in store.definitions():
        data = json.loads(stored.data)
        held.add(stored.digest)
        yield export_line({"kind": "definition", "digest": stored.digest,
                           "lifecycle": stored.lifecycle, "data": data})  # fmt: skip
    stamped: set[str] = set()
    events, position = 0, since
    last: dict[str, int] = {}  # stream -> the last seq exported
    while True:
        page = store.events_after(position, _PAGE)
        for position, event in page:
            if (stream_id is None or event.stream_id == stream_id) and (
                after is None or event.occurred_at >= after
            ):
                events += 1
                last[event.stream_id] = event.seq
                stamped.add(event.definition)
                yield _event_line(position, event)
        if len(page) < _PAGE:
            break
    # versions an older release did not store: this release's copy, said to be one
    for definition in (*builtin(), *released()):
        if definition.digest in stamped - held:
            held.add(definition.digest)
            yield export_line({"kind": "definition", "digest": definition.digest,
                               "lifecycle": definition.name, "source": "release",
                               "data": definition.to_json()})  # fmt: skip
    for row in store.stream_heads().values():
        # the heads are read after the events: a stream that moved on since the export's
        # last event is left out (its head belongs to the next export)
        if (stream_id is None or row.id == stream_id) and row.version <= last.get(row.id, 0):
            yield export_line({"kind": "stream", "id": row.id, "version": row.version,
                               "head_hash": row.head_hash, "lifecycle": row.lifecycle,
                               "state": row.state})  # fmt: skip
    yield export_line({"kind": "end", "events": events, "last_position": position})


def _event_line(position: int, event: SealedEvent) -> str:
    return export_line({
        "kind": "event", "position": position, "hash": event.hash,
        **_text("header", event.header), **_text("body", event.body),
    })  # fmt: skip
