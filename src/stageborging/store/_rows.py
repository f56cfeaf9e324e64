"""What every backend shares: the column order of rows, the outbox row mapping, and the
verification of one consistent snapshot (stored definitions, projections, events)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from attrs import evolve

from ..audit import SealedEvent, StreamRow, VerifyReport, verify_rows
from ..core import (
    DefinitionError,
    InvalidInput,
    Notification,
    OutboxEntry,
    check_identifier,
    rfc3339,
)
from ..lifecycles import LifecycleDefinition, load_version, read_stored, unsafe_reason
from ._protocol import DeadlineRow, DefinitionRow, StreamQuery

__all__ = [
    "CLAIM_DUE",
    "CLOSE_DEADLINE",
    "DEADLINE_COLUMNS",
    "ENDED",
    "EVENT_COLUMNS",
    "INDEXED_KEYS",
    "INSERT_DEADLINE",
    "OUTBOX_COLUMNS",
    "QUERY_PATHS",
    "STREAM_COLUMNS",
    "check_closing",
    "check_count",
    "check_deadlines",
    "check_key",
    "check_keys",
    "check_moment",
    "check_page",
    "check_work",
    "deadline_query",
    "lease_statement",
    "outbox_entry",
    "outbox_query",
    "outbox_row",
    "pg_fact",
    "pg_style",
    "settle_statement",
    "sqlite_fact",
    "stream_query",
    "verify_snapshot",
]

# In the field order of SealedEvent and StreamRow, which are built from rows as they come.
EVENT_COLUMNS = (
    "stream_id, seq, type, name, occurred_at, actor_id, actor_role, from_state, to_state, "
    "lifecycle, definition, header, body, body_hash, prev_hash, hash"
)
STREAM_COLUMNS = (
    "id, kind, lifecycle, definition, state, version, head_hash, facts, opened_at, updated_at"
)
OUTBOX_COLUMNS = (
    "key, stream_id, seq, plugin, channel, recipient_role, template, params, created_at, "
    "delivered_at, attempts, next_attempt_at, last_error, leased_by, leased_until"
)
#: In the field order of DeadlineRow.
DEADLINE_COLUMNS = "key, stream_id, step, due_at, created_at, status, closed_at, data"
# Statements both backends run, written in qmark style (the PostgreSQL store converts
# them with pg_style): the work queues' claims and leases.
INSERT_DEADLINE = (
    f"INSERT INTO deadlines ({DEADLINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (key) DO NOTHING"
)
#: Open deadlines due by a time, earliest first (PostgreSQL adds FOR UPDATE SKIP LOCKED).
CLAIM_DUE = (
    f"SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE status = 'open' AND due_at <= ? "
    "ORDER BY due_at, id LIMIT ?"
)
CLOSE_DEADLINE = "UPDATE deadlines SET status = ?, closed_at = ? WHERE key = ? AND status = 'open'"
#: Lease the oldest leasable entries: {channel} narrows them, {lock} is PostgreSQL's.
LEASE_OUTBOX = (
    "UPDATE outbox SET leased_by = ?, leased_until = ?, attempts = attempts + 1 "
    "WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NULL "
    "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
    "AND (leased_until IS NULL OR leased_until <= ?) {channel} ORDER BY id LIMIT ? {lock}) "
    f"RETURNING id, {OUTBOX_COLUMNS}"
)
#: Only the worker whose lease is current settles: a lease taken over is not its own.
_HELD = "WHERE key = ? AND leased_by = ? AND leased_until IS NOT NULL AND delivered_at IS NULL"
SETTLE_DELIVERED = f"UPDATE outbox SET delivered_at = ?, leased_until = NULL {_HELD}"
SETTLE_RETRY = f"UPDATE outbox SET next_attempt_at = ?, last_error = ?, leased_until = NULL {_HELD}"
#: The longest lease, in seconds (a day): a longer one is a mistake, not a plan.
MAX_LEASE = 86_400
_CLOSINGS = ("done", "cancelled", "missed")
#: The largest integer both databases store (a signed 64-bit one).
_LARGEST = 2**63 - 1
#: A queue key: what schedulers and the outbox make of ids and codes.
_KEY = re.compile(r"[A-Za-z0-9._:-]{1,512}")
#: A time as the log writes it (RFC 3339 UTC, microseconds): it sorts as it compares.
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


#: What a transaction kept beyond the work it was given says when it is used.
ENDED = "the transaction has ended: use it only inside the work given to Store.run"


def check_work(work: object) -> None:
    """InvalidInput unless *work* can be called with a transaction."""
    if not callable(work):
        raise InvalidInput("work", work, "must be callable, taking the transaction")


def pg_style(statement: str) -> str:
    """A qmark statement with PostgreSQL's placeholders (the statements hold no literal ?)."""
    return statement.replace("?", "%s")


#: The facts a stream query reads, as JSON paths into ``streams.facts``.
QUERY_PATHS = {
    "programme": ("details", "programme"),
    "qualification": ("details", "qualification"),
    "level": ("details", "level"),
    "track": ("details", "track"),
    "student": ("details", "student"),
    "employer": ("employer",),
    "planned_start": ("details", "planned_start"),
}
#: The query keys each backend indexes (with the stream id, for the cursor's order): the
#: selective ones tested for equality. A filter on level or track, or a window of planned
#: starts, finds its page in id order (a page of a common value fills quickly).
INDEXED_KEYS = ("programme", "qualification", "student", "employer")


def sqlite_fact(key: str) -> str:
    """SQLite's expression for a query key (as its expression index is written)."""
    return f"json_extract(facts, '$.{'.'.join(QUERY_PATHS[key])}')"


def pg_fact(key: str) -> str:
    """PostgreSQL's expression for a query key, as text (as its expression index is written)."""
    *parents, leaf = QUERY_PATHS[key]
    path = "".join(f" -> '{p}'" for p in parents)
    return f"((facts::jsonb){path} ->> '{leaf}')"


def stream_query(
    query: StreamQuery,
    after: str | None,
    limit: int,
    fact: Callable[[str], str],
    as_text: bool,
) -> tuple[str, list[object]]:
    """The qmark select of Store.streams and its parameters; *fact* gives a key's
    expression, *as_text* whether it yields text (PostgreSQL) or JSON's own types."""
    where: list[str] = []
    params: list[object] = []

    def equals(expression: str, value: object) -> None:
        where.append(f"{expression} = ?")
        params.append(str(value) if as_text else value)

    if query.lifecycle is not None:
        where.append("lifecycle = ?")
        params.append(query.lifecycle)
    if query.states:
        where.append(f"state IN ({', '.join('?' * len(query.states))})")
        params.extend(query.states)
    for key in ("programme", "qualification", "level", "track", "student", "employer"):
        value = getattr(query, key)
        if value is not None:
            equals(fact(key), value)
    if query.planned_from is not None:
        where.append(f"{fact('planned_start')} >= ?")
        params.append(query.planned_from)
    if query.planned_to is not None:
        where.append(f"{fact('planned_start')} <= ?")
        params.append(query.planned_to)
    if query.updated_since is not None:
        where.append("updated_at >= ?")
        params.append(query.updated_since)
    if after is not None:
        where.append("id > ?")
        params.append(after)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    params.append(limit)
    return f"SELECT {STREAM_COLUMNS} FROM streams{clause} ORDER BY id LIMIT ?", params


def check_key(field: str, value: object) -> str:
    """A queue key (letters, digits, ``._:-``; 1-512), else InvalidInput naming *field*."""
    if not isinstance(value, str) or _KEY.fullmatch(value) is None:
        raise InvalidInput(field, value, "must be a key: 1-512 letters, digits or '._:-'")
    return value


def check_stamp(field: str, value: object) -> str:
    """A time as the log writes it (``2027-03-01T09:00:00.000000Z``), else InvalidInput."""
    if isinstance(value, str) and _STAMP.fullmatch(value) is not None:
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
            return value
        except ValueError:
            pass
    raise InvalidInput(
        field, value, "must be a time as the log writes it: 2027-03-01T09:00:00.000000Z"
    )


def _check_flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(field, value, "must be True or False")
    return value


def _filtered(
    select: str, stream_id: object, only: str | None, order: str
) -> tuple[str, list[object]]:
    """*select* narrowed to one stream (when given) and to the condition *only*."""
    if stream_id is not None:
        check_identifier("stream_id", stream_id)
    where = [] if only is None else [only]
    params: list[object] = []
    if stream_id is not None:
        where.insert(0, "stream_id = ?")
        params.append(stream_id)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return f"{select}{clause} ORDER BY {order}", params


def deadline_query(stream_id: str | None, open_only: bool) -> tuple[str, list[object]]:
    """The qmark query of Store.deadlines and its parameters."""
    only = "status = 'open'" if _check_flag("open_only", open_only) else None
    return _filtered(f"SELECT {DEADLINE_COLUMNS} FROM deadlines", stream_id, only, "due_at, id")


def outbox_query(stream_id: str | None, pending: bool) -> tuple[str, list[object]]:
    """The qmark query of Store.outbox and its parameters."""
    only = "delivered_at IS NULL" if _check_flag("pending", pending) else None
    return _filtered(f"SELECT {OUTBOX_COLUMNS} FROM outbox", stream_id, only, "id")


def check_keys(keys: object) -> list[str]:
    """Deadline keys to close, else InvalidInput naming ``keys``."""
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Iterable):
        raise InvalidInput("keys", keys, "must be a sequence of deadline keys")
    return [check_key("keys", key) for key in keys]


def check_count(field: str, value: object, low: int) -> int:
    """*value* as an integer from *low* to a database's largest, else InvalidInput."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= _LARGEST:
        raise InvalidInput(field, value, f"must be an integer from {low} to {_LARGEST}")
    return value


def check_page(position: object, limit: object) -> tuple[int, int]:
    """A position and a page size to read the log by, else InvalidInput naming which."""
    return check_count("position", position, 0), check_count("limit", limit, 1)


def check_moment(field: str, value: object) -> str:
    """An aware datetime as the log writes times (RFC 3339 UTC), else InvalidInput."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(field, value, "must be a timezone-aware datetime")
    return rfc3339(value)


def check_closing(status: object) -> str:
    """How a deadline closes, else InvalidInput naming ``status``."""
    if status not in _CLOSINGS:
        raise InvalidInput("status", status, f"must be one of {', '.join(_CLOSINGS)}")
    assert isinstance(status, str)
    return status


def check_deadlines(deadlines: object) -> list[tuple[object, ...]]:
    """Deadline rows to schedule, as insert values, else InvalidInput naming the field."""
    if isinstance(deadlines, (str, bytes)) or not isinstance(deadlines, Iterable):
        raise InvalidInput("deadlines", deadlines, "must be a sequence of DeadlineRow")
    rows: list[tuple[object, ...]] = []
    keys: set[str] = set()
    for item in deadlines:
        if not isinstance(item, DeadlineRow):
            raise InvalidInput("deadlines", item, "must be a DeadlineRow")
        if check_key("key", item.key) in keys:
            raise InvalidInput("key", item.key, "is given twice")
        keys.add(item.key)
        check_identifier("stream_id", item.stream_id)
        check_identifier("step", item.step)
        for name in ("due_at", "created_at"):
            value = getattr(item, name)
            check_stamp(name, value)
        if item.status != "open":
            raise InvalidInput("status", item.status, "a deadline is scheduled open")
        if item.closed_at is not None:
            raise InvalidInput("closed_at", item.closed_at, "a deadline is scheduled open")
        try:
            json.loads(item.data)
            item.data.encode("utf-8")
        except (TypeError, ValueError, AttributeError):
            raise InvalidInput("data", item.data, "must be a JSON text") from None
        if "\x00" in item.data:
            raise InvalidInput("data", item.data, "must not hold a NUL character")
        rows.append(tuple(item))
    return rows


def lease_statement(
    owner: object, now: object, lease_for: object, limit: object, channel: object, lock: str
) -> tuple[str, tuple[object, ...]]:
    """The qmark statement of a lease and its parameters, else InvalidInput naming the
    argument; *lock* is what the backend adds to the row selection."""
    owner = check_identifier("owner", owner)
    start = check_moment("now", now)
    if not isinstance(lease_for, timedelta) or not timedelta(0) < lease_for <= timedelta(
        seconds=MAX_LEASE
    ):
        raise InvalidInput("lease_for", lease_for, "must be a timedelta above 0, at most a day")
    limit = check_count("limit", limit, 1)
    assert isinstance(now, datetime)  # checked by check_moment
    until = rfc3339(now + lease_for)
    statement = LEASE_OUTBOX.format(channel="" if channel is None else "AND channel = ?", lock=lock)
    if channel is None:
        return statement, (owner, until, start, start, limit)
    return statement, (owner, until, start, start, check_identifier("channel", channel), limit)


def settle_statement(
    key: object, owner: object, at: object, delivered: object, retry_at: object, error: object
) -> tuple[str, tuple[object, ...]]:
    """The qmark statement that settles a lease and its parameters, else InvalidInput
    naming the argument."""
    check_key("key", key)
    owner = check_identifier("owner", owner)
    stamp = check_moment("at", at)
    if not isinstance(delivered, bool):
        raise InvalidInput("delivered", delivered, "must be True or False")
    if delivered:
        if retry_at is not None or error is not None:
            raise InvalidInput("retry_at", retry_at, "a delivered entry is not retried")
        return SETTLE_DELIVERED, (stamp, key, owner)
    retry = None if retry_at is None else check_moment("retry_at", retry_at)
    if retry is not None and retry < stamp:
        raise InvalidInput("retry_at", retry_at, "must not be before the attempt (at)")
    code = None if error is None else check_identifier("error", error)
    return SETTLE_RETRY, (retry, code, key, owner)


def outbox_row(entry: OutboxEntry) -> tuple[object, ...]:
    """The values of an outbox insert, in the order of the first nine OUTBOX_COLUMNS."""
    note = entry.notification
    return (
        entry.key, entry.stream_id, entry.seq, entry.plugin, note.channel,
        note.recipient_role.value, note.template, json.dumps(dict(note.params), sort_keys=True),
        entry.created_at,
    )  # fmt: skip


def outbox_entry(row: tuple[Any, ...]) -> OutboxEntry:
    """An outbox entry from a row of OUTBOX_COLUMNS."""
    key, stream_id, seq, plugin, channel, role, template, params = row[:8]
    created_at, delivered_at, attempts, next_attempt_at, last_error, leased_by = row[8:14]
    return OutboxEntry(
        key=key,
        stream_id=stream_id,
        seq=seq,
        plugin=plugin,
        notification=Notification(channel, role, template, json.loads(params)),
        created_at=created_at,
        delivered_at=delivered_at,
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        last_error=last_error,
        leased_by=leased_by,
        leased_until=row[14],
    )


def _stored_versions(
    rows: Iterable[DefinitionRow], given: Mapping[str, LifecycleDefinition]
) -> tuple[dict[str, LifecycleDefinition], list[str], list[str]]:
    """The stored versions this release reads (those *given* are not built again), the
    rows altered, and the versions it cannot read."""
    known: dict[str, LifecycleDefinition] = {}
    altered: list[str] = []
    unreadable: list[str] = []
    for row in rows:
        stored: tuple[object, ...] = tuple(row)  # a tampered row may hold any type
        if not all(type(v) is str for v in (row.digest, row.lifecycle, row.stored_at)) or (
            not isinstance(stored[2], bytes)
        ):
            altered.append("definitions table: a row holds the wrong types")
            continue
        try:
            data = read_stored(row.digest, row.lifecycle, row.data)
        except DefinitionError as exc:
            altered.append(f"definitions table: {exc}")
            continue
        if row.digest in given:
            continue
        try:
            known[row.digest] = load_version(data, f"stored version {row.digest[:12]}")
        except DefinitionError as exc:
            unreadable.append(f"this release cannot read a stored version: {exc}")
    return known, altered, unreadable


def verify_snapshot(
    definitions: Iterable[LifecycleDefinition],
    stored: Iterable[DefinitionRow],
    heads: Mapping[str, StreamRow],
    events: Iterator[SealedEvent],
    guarded: Mapping[str, bool],
) -> VerifyReport:
    """Verify what one snapshot of a database holds (see :func:`verify_rows`).

    Args:
        definitions: The versions the verifier knows besides the stored ones.
        stored: The database's stored definition rows.
        heads: Its projection rows by stream id.
        events: Its events, ordered by stream id and seq.
        guarded: Per table, whether its append-only triggers are in place.
    """
    known = {d.digest: d for d in definitions}
    readable, problems, warnings = _stored_versions(stored, known)
    known |= readable
    report = verify_rows(events, heads, known.values())
    for table, present in guarded.items():
        if not present:
            warnings.append(f"the append-only triggers on the {table} table are missing")
    unsafe = sorted(
        {v.digest[:12] for v in report.stamped if v.known and unsafe_reason(known[v.digest])}
    )
    if unsafe:
        warnings.append(
            "streams are under versions this release's hard rules refuse (read-only "
            f"until migrated): {', '.join(unsafe)}"
        )
    if problems or warnings:
        report = evolve(
            report,
            problems=(*report.problems, *problems),
            warnings=(*report.warnings, *warnings),
        )
    return report
