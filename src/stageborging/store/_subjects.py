"""The subjects of streams and the access log, as both backends keep them.

Each stream has one subject: the person its free text is about and whose erasure it
records (the student, else whoever opened it). The access log holds one row per read
of sealed fields through the engine, granted or refused; it is append-only (triggers
refuse an update or a delete) and written by engine reads only, never by audit tools.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ..core import InvalidInput, check_identifier
from ._protocol import AccessEntry, StreamRow
from ._rows import check_moment

__all__ = [
    "ACCESS_COLUMNS",
    "ADD_ACCESS",
    "LINK_SUBJECT",
    "READ_ACCESS",
    "STREAM_SUBJECT",
    "SUBJECTS_PAGE",
    "SUBJECT_STREAMS",
    "access_entry",
    "access_row",
    "grouped_subjects",
    "link_params",
    "qualified_streams",
]

LINK_SUBJECT = (
    "INSERT INTO stream_subjects (stream_id, subject) VALUES (?, ?) "
    "ON CONFLICT (stream_id) DO NOTHING"
)
STREAM_SUBJECT = "SELECT subject FROM stream_subjects WHERE stream_id = ?"
SUBJECT_STREAMS = "SELECT stream_id FROM stream_subjects WHERE subject = ? ORDER BY stream_id"
#: The subjects after one, in order, with their streams' projection rows (the stream
#: columns follow): a page of at most N subjects.
SUBJECTS_PAGE = (
    "SELECT ss.subject, {columns} FROM stream_subjects ss JOIN streams s ON s.id = ss.stream_id "
    "WHERE ss.subject IN (SELECT DISTINCT subject FROM stream_subjects WHERE subject > ? "
    "ORDER BY subject LIMIT ?) ORDER BY ss.subject, s.id"
)
ACCESS_COLUMNS = "position, at, actor_id, actor_role, stream_id, fields, outcome"
ADD_ACCESS = (
    "INSERT INTO access_log (at, actor_id, actor_role, stream_id, fields, outcome) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
READ_ACCESS = (
    f"SELECT {ACCESS_COLUMNS} FROM access_log WHERE position > ? ORDER BY position LIMIT ?"
)
#: What an access log row may say of its read.
OUTCOMES = frozenset({"granted", "refused"})
#: The longest list of fields one row names.
_MAX_FIELDS = 4096


def link_params(stream_id: object, subject: object) -> tuple[str, str]:
    """The parameters of LINK_SUBJECT, else InvalidInput naming the argument."""
    return check_identifier("stream_id", stream_id), check_identifier("subject", subject)


def access_row(
    at: datetime,
    actor_id: str,
    actor_role: str,
    stream_id: str,
    fields: Sequence[str],
    outcome: str,
) -> tuple[str, str, str, str, str, str]:
    """The parameters of ADD_ACCESS, else InvalidInput naming the argument."""
    stamp = check_moment("at", at)
    check_identifier("actor_id", actor_id)
    check_identifier("actor_role", actor_role)
    check_identifier("stream_id", stream_id)
    if outcome not in OUTCOMES:
        raise InvalidInput("outcome", outcome, f"must be one of {', '.join(sorted(OUTCOMES))}")
    if isinstance(fields, str) or not fields:
        raise InvalidInput("fields", fields, "must be a non-empty list of seq.field names")
    for item in fields:
        check_identifier("fields", item)
    listed = ",".join(fields)
    if len(listed) > _MAX_FIELDS:
        raise InvalidInput("fields", "<list>", f"must list at most {_MAX_FIELDS} characters")
    return stamp, actor_id, actor_role, stream_id, listed, outcome


def access_entry(row: Sequence[object]) -> AccessEntry:
    """An access log entry from the columns of ACCESS_COLUMNS."""
    position, at, actor_id, actor_role, stream_id, fields, outcome = row
    return AccessEntry(
        int(position),  # type: ignore[call-overload]
        str(at),
        str(actor_id),
        str(actor_role),
        str(stream_id),
        tuple(str(fields).split(",")),
        str(outcome),
    )


def grouped_subjects(
    rows: Iterable[Sequence[Any]],
) -> list[tuple[str, tuple[StreamRow, ...]]]:
    """(subject, stream columns…) rows in subject order, as each subject with its streams."""
    result: list[tuple[str, list[StreamRow]]] = []
    for subject, *columns in rows:
        if not result or result[-1][0] != subject:
            result.append((str(subject), []))
        result[-1][1].append(StreamRow._make(columns))
    return [(subject, tuple(streams)) for subject, streams in result]


def qualified_streams(columns: str) -> str:
    """The stream columns *columns* (``id, kind, …``) of the table aliased ``s``; an
    expression standing for a column of an older schema (``''``) as it is."""
    return ", ".join(
        c if not c.isidentifier() else f"s.{c}" for c in (c.strip() for c in columns.split(","))
    )
