"""The work queues both backends keep: deadlines claimed inside a transaction, outbox
entries leased beyond it; their statements (qmark style) and the checks of their rows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from ..core import (
    InvalidInput,
    check_identifier,
    rfc3339,
)
from ._protocol import DeadlineRow
from ._rows import DEADLINE_COLUMNS, OUTBOX_COLUMNS, check_count, check_flag, check_moment, filtered

__all__ = [
    "CLAIM_DUE",
    "CLOSE_DEADLINE",
    "INSERT_DEADLINE",
    "LEASE_OUTBOX",
    "LIVE_DEADLINES",
    "MAX_LEASE",
    "check_closing",
    "check_deadlines",
    "check_institution",
    "check_key",
    "check_keys",
    "check_stamp",
    "claim_statement",
    "close_statement",
    "deadline_query",
    "due_query",
    "lease_statement",
]

# Statements both backends run, written in qmark style (the PostgreSQL store converts
# them with pg_style): the work queues' claims and leases.
INSERT_DEADLINE = (
    f"INSERT INTO deadlines ({DEADLINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (key) DO NOTHING"
)
#: Open deadlines due by a time, earliest first (PostgreSQL adds FOR UPDATE SKIP LOCKED).
CLAIM_DUE = (
    f"SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE status = 'open' AND kind = 'deadline' "
    "AND due_at <= ?{institution} ORDER BY due_at, id LIMIT ?"
)
#: The condition of a live deadline (as the partial indexes state it).
LIVE = "status IN ('open', 'missed')"
#: Close a live deadline (missed: an open one).
CLOSE_DEADLINE = f"UPDATE deadlines SET status = ?, closed_at = ? WHERE key = ? AND {LIVE}"
MISS_DEADLINE = "UPDATE deadlines SET status = ?, closed_at = ? WHERE key = ? AND status = 'open'"
#: Move an open deadline (a pause: it waits for something outside the school's hands).
POSTPONE_DEADLINE = "UPDATE deadlines SET due_at = ? WHERE key = ? AND status = 'open'"
#: A stream's live deadlines.
LIVE_DEADLINES = (
    f"SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE stream_id = ? AND {LIVE} ORDER BY due_at, id"
)
#: Lease the oldest leasable entries: {channel} narrows them, {lock} is PostgreSQL's.
LEASE_OUTBOX = (
    "UPDATE outbox SET leased_by = ?, leased_until = ?, attempts = attempts + 1 "
    "WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL "
    "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
    "AND (leased_until IS NULL OR leased_until <= ?) {channel}{institution} "
    "ORDER BY id LIMIT ? {lock}) "
    f"RETURNING id, {OUTBOX_COLUMNS}"
)
#: The longest lease, in seconds (a day): a longer one is a mistake, not a plan.
MAX_LEASE = 86_400
_CLOSINGS = ("done", "cancelled", "missed", "dismissed")
_KINDS = ("deadline", "proposal")
#: A queue key: what schedulers and the outbox make of ids and codes.
_KEY = re.compile(r"[A-Za-z0-9._:-]{1,512}")
#: A time as the log writes it (RFC 3339 UTC, microseconds): it sorts as it compares.
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def claim_statement(
    now: object, limit: object, institution: object
) -> tuple[str, tuple[object, ...]]:
    """The qmark statement of a claim and its parameters, else InvalidInput naming the
    argument."""
    stamp, count = check_moment("now", now), check_count("limit", limit, 1)
    if institution is None:
        return CLAIM_DUE.format(institution=""), (stamp, count)
    statement = CLAIM_DUE.format(institution=" AND institution = ?")
    return statement, (stamp, check_institution(institution), count)


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


def deadline_query(
    stream_id: str | None, open_only: bool, columns: str = DEADLINE_COLUMNS
) -> tuple[str, list[object]]:
    """The qmark query of Store.deadlines and its parameters."""
    only = LIVE if check_flag("open_only", open_only) else None
    return filtered(f"SELECT {columns} FROM deadlines", stream_id, only, "due_at, id")


def close_statement(status: object) -> str:
    """The qmark statement that closes a deadline as *status*, else InvalidInput."""
    return MISS_DEADLINE if check_closing(status) == "missed" else CLOSE_DEADLINE


def due_query(
    until: object, institution: object, role: object, after: object, limit: object
) -> tuple[str, list[object]]:
    """The qmark query of Store.due and its parameters, else InvalidInput naming the
    argument."""
    conditions = [LIVE, "due_at <= ?"]
    params: list[object] = [check_moment("until", until)]
    if institution is not None:
        conditions.append("institution = ?")
        params.append(check_institution(institution))
    if role is not None:
        conditions.append("role = ?")
        params.append(check_identifier("role", role))
    if after is not None:
        if (
            not isinstance(after, tuple)
            or len(after) != 2
            or isinstance(after[1], bool)
            or not isinstance(after[1], int)
        ):
            raise InvalidInput("after", after, "must be the (due_at, id) of a row returned")
        conditions.append("(due_at > ? OR (due_at = ? AND id > ?))")
        params.extend([check_stamp("after", after[0]), after[0], after[1]])
    params.append(check_count("limit", limit, 1))
    return (
        f"SELECT id, {DEADLINE_COLUMNS} FROM deadlines WHERE {' AND '.join(conditions)} "
        "ORDER BY due_at, id LIMIT ?",
        params,
    )


def check_institution(value: object) -> str:
    """An institution ("" for none), else InvalidInput naming ``institution``."""
    return "" if value == "" else check_identifier("institution", value)


def check_keys(keys: object) -> list[str]:
    """Deadline keys to close, else InvalidInput naming ``keys``."""
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Iterable):
        raise InvalidInput("keys", keys, "must be a sequence of deadline keys")
    return [check_key("keys", key) for key in keys]


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
        if item.kind not in _KINDS:
            raise InvalidInput("kind", item.kind, f"must be one of {', '.join(_KINDS)}")
        if item.role != "":
            check_identifier("role", item.role)
        check_institution(item.institution)
        rows.append(tuple(item))
    return rows


def lease_statement(
    owner: object,
    now: object,
    lease_for: object,
    limit: object,
    channel: object,
    lock: str,
    institution: object = None,
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
    params: list[object] = [owner, until, start, start]
    narrow = {"channel": "", "institution": ""}
    if channel is not None:
        narrow["channel"] = " AND channel = ?"
        params.append(check_identifier("channel", channel))
    if institution is not None:
        narrow["institution"] = " AND stream_id IN (SELECT id FROM streams WHERE institution = ?)"
        params.append(check_institution(institution))
    return LEASE_OUTBOX.format(lock=lock, **narrow), (*params, limit)
