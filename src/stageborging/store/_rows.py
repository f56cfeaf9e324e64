"""What every backend shares: the column order of rows, the outbox row mapping, the checks
of counts and times, and the verification of one consistent snapshot (stored definitions,
projections, events)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from attrs import evolve

from ..audit import VerifyPart, VerifyReport, report_of
from ..core import (
    DefinitionError,
    InvalidInput,
    Notification,
    OutboxEntry,
    StreamNotFound,
    check_identifier,
    rfc3339,
)
from ..lifecycles import LifecycleDefinition, load_version, read_stored, unsafe_reason
from ._protocol import DefinitionRow
from ._schema import (
    DELIVERIES_SINCE,
    GUIDANCE_SINCE,
    INSTITUTIONS_SINCE,
    SAFEGUARDING_SINCE,
    SUBJECTS_SINCE,
)

__all__ = [
    "DEADLINE_COLUMNS",
    "ENDED",
    "EVENT_COLUMNS",
    "FORKED",
    "OUTBOX_COLUMNS",
    "STREAM_COLUMNS",
    "Columns",
    "check_count",
    "check_flag",
    "check_id_page",
    "check_moment",
    "check_page",
    "check_work",
    "filtered",
    "outbox_entry",
    "outbox_query",
    "outbox_row",
    "owned",
    "pg_style",
    "verify_snapshot",
]

# In the field order of SealedEvent and StreamRow, which are built from rows as they come.
EVENT_COLUMNS = (
    "stream_id, seq, type, name, occurred_at, actor_id, actor_role, from_state, to_state, "
    "lifecycle, definition, header, body, body_hash, prev_hash, hash, command_id, institution"
)
STREAM_COLUMNS = (
    "id, kind, lifecycle, definition, state, version, head_hash, facts, opened_at, updated_at, "
    "institution"
)

#: In the field order of DeadlineRow.
DEADLINE_COLUMNS = (
    "key, stream_id, step, due_at, created_at, status, closed_at, data, kind, role, institution"
)


class Columns(NamedTuple):
    """What a store selects from a database of one schema version."""

    events: str
    streams: str
    #: The expression of a row's institution.
    institution: str
    deadlines: str = DEADLINE_COLUMNS
    #: Whether the schema keeps guidance's deadline columns (8 on): before, no row is due.
    guidance: bool = True
    #: Whether the schema keeps the streams' subjects and the access log (10 on).
    subjects: bool = True
    #: Whether the schema keeps the jobs and the applications (11 on).
    safeguarding: bool = True
    #: The expression of an outbox entry's dead-letter time (12 on; before, none is).
    dead: str = "dead_at"

    @property
    def outbox(self) -> str:
        """The outbox columns, in OUTBOX_COLUMNS' order."""
        return OUTBOX_COLUMNS.replace("dead_at", f"{self.dead} AS dead_at")

    @classmethod
    def of(cls, version: int) -> Columns:
        """The columns of schema *version*: before institutions (7) and guidance (8),
        their defaults."""
        deadlines = DEADLINE_COLUMNS
        if version < GUIDANCE_SINCE:
            deadlines = DEADLINE_COLUMNS.replace("kind, role, institution", "'deadline', '', ''")
        guidance, subjects = version >= GUIDANCE_SINCE, version >= SUBJECTS_SINCE
        safeguarding = version >= SAFEGUARDING_SINCE
        dead = "dead_at" if version >= DELIVERIES_SINCE else "NULL"
        if version >= INSTITUTIONS_SINCE:
            return cls(EVENT_COLUMNS, STREAM_COLUMNS, "institution", deadlines, guidance, subjects,
                       safeguarding, dead)  # fmt: skip
        return cls(
            EVENT_COLUMNS.replace("command_id, institution", "NULL, ''"),
            STREAM_COLUMNS.replace(", institution", ", ''"),
            "''",
            deadlines,
            guidance,
            subjects,
            safeguarding,
            dead,
        )


OUTBOX_COLUMNS = (
    "key, stream_id, seq, plugin, channel, recipient_role, template, params, created_at, "
    "delivered_at, attempts, next_attempt_at, last_error, leased_by, leased_until, dead_at"
)
#: The largest integer both databases store (a signed 64-bit one).
_LARGEST = 2**63 - 1
#: What a transaction kept beyond the work it was given says when it is used.
ENDED = "the transaction has ended: use it only inside the work given to Store.run"
#: What a store used in a process it was not opened in (after a fork) says.
FORKED = (
    "this store was opened in another process (before a fork); open the engine in this "
    "process, after the fork"
)


def owned(columns: Columns, institution: str | None, joint: str = "AND") -> tuple[str, list[str]]:
    """The condition (after *joint*) that keeps rows of *institution*, if one is given."""
    if institution is None:
        return "", []
    return f" {joint} {columns.institution} = ?", [institution]


def check_work(work: object) -> None:
    """InvalidInput unless *work* can be called with a transaction."""
    if not callable(work):
        raise InvalidInput("work", work, "must be callable, taking the transaction")


def pg_style(statement: str) -> str:
    """A qmark statement with PostgreSQL's placeholders (the statements hold no literal ?)."""
    return statement.replace("?", "%s")


def check_flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(field, value, "must be True or False")
    return value


def filtered(
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


def outbox_query(
    stream_id: str | None,
    pending: bool,
    columns: Columns,
    institution: str | None = None,
    dead: bool | None = None,
) -> tuple[str, list[object]]:
    """The qmark query of Store.outbox and its parameters (of one *institution*'s streams,
    when given; dead letters only, live entries only, or both)."""
    conditions = ["delivered_at IS NULL"] if check_flag("pending", pending) else []
    if dead is not None:
        is_dead = "IS NOT NULL" if check_flag("dead", dead) else "IS NULL"
        conditions.append(f"{columns.dead} {is_dead}")
    if institution is not None:
        conditions.append(f"stream_id IN (SELECT id FROM streams WHERE {columns.institution} = ?)")
    statement, params = filtered(
        f"SELECT {columns.outbox} FROM outbox",
        stream_id,
        " AND ".join(conditions) or None,
        "id",
    )
    return statement, params if institution is None else [*params, institution]


def check_count(field: str, value: object, low: int) -> int:
    """*value* as an integer from *low* to a database's largest, else InvalidInput."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= _LARGEST:
        raise InvalidInput(field, value, f"must be an integer from {low} to {_LARGEST}")
    return value


def check_page(position: object, limit: object) -> tuple[int, int]:
    """A position and a page size to read the log by, else InvalidInput naming which."""
    return check_count("position", position, 0), check_count("limit", limit, 1)


#: The largest page of ids (keys, subjects) one call reads.
_ID_PAGE = 10_000


def check_id_page(after: object, limit: object, noun: str) -> tuple[str, int]:
    """An id to read after ("" for the first page) and a page size, else InvalidInput."""
    if not isinstance(after, str):
        raise InvalidInput("after", after, f'must be a {noun}, or "" for the first page')
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= _ID_PAGE:
        raise InvalidInput("limit", limit, f"must be a whole number from 1 to {_ID_PAGE}")
    return after, limit


def check_moment(field: str, value: object) -> str:
    """An aware datetime as the log writes times (RFC 3339 UTC), else InvalidInput."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(field, value, "must be a timezone-aware datetime")
    try:
        return rfc3339(value)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        raise InvalidInput(field, value, "must fall within the years 1 to 9999 in UTC") from None


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
        dead_at=row[15],
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
            digest = row.digest if type(row.digest) is str else "?"
            altered.append(f"definitions table: the row of {digest[:64]!r} holds the wrong types")
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


def checked_stream(report: VerifyReport, stream_id: str | None) -> VerifyReport:
    """*report*, unless it is of the one stream *stream_id* and found none."""
    if stream_id is not None and not report.streams:
        raise StreamNotFound(stream_id)
    return report


def verify_snapshot(
    definitions: Iterable[LifecycleDefinition],
    stored: Iterable[DefinitionRow],
    scan: Callable[[tuple[LifecycleDefinition, ...]], Sequence[VerifyPart]],
    guarded: Mapping[str, bool],
    erased_keys: Iterable[str] = (),
    holds_definitions: bool = True,
) -> VerifyReport:
    """Verify what one snapshot of a database holds (see :func:`verify_rows`).

    Args:
        definitions: The versions the verifier knows besides the stored ones.
        stored: The database's stored definition rows.
        scan: Verifies the snapshot's streams against the versions it is given (the
            known and the stored), in one part or several.
        guarded: Per table, whether its append-only triggers are in place.
        erased_keys: The key ids of the subjects erased.
        holds_definitions: Whether the schema has the definitions table, which holds
            the versions the events are stamped with (schema 4 on): one it lacks is
            warned of.
    """
    known = {d.digest: d for d in definitions}
    stored = list(stored)
    readable, problems, warnings = _stored_versions(stored, known)
    known |= readable
    report = report_of(scan(tuple(known.values())), known.values(), erased_keys)
    if holds_definitions:
        held = {row.digest for row in stored}
        warnings.extend(
            f"the definitions table does not hold version {v.digest[:12]}… of {v.lifecycle}, "
            f"which {v.streams} stream(s) are stamped with (a release before it kept every "
            "version did not store it, or a row was removed): judged by this release's copy"
            for v in report.stamped
            if v.known and v.digest not in held
        )
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
