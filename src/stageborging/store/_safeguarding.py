"""Jobs and applications, as both backends keep them (schema 11).

A **job** is work that spans transactions and must survive a crash: a cascade after
an employer's recognition is revoked or it closed down, the notices after a block. Its
row says what to do (``kind``, ``data``), from when (``due_at``), and who holds it now
(``leased_until``: a worker that dies lets it go when the lease ends); each step of the
work is idempotent, so a job resumed after a crash doubles nothing. A job is done once
(``done_at``).

The **applications** table holds one row per application a student sent (the stream,
the application id, the employer, the programme and level, the day sent, the outcome:
``NULL`` while pending), kept by the engine in the transaction of the command that
recorded it, for the rejection-pattern statistics.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..core import InvalidInput, check_identifier, parse_date
from ._protocol import ApplicationCount, JobRow
from ._queues import check_institution, check_key
from ._rows import check_count, check_moment

__all__ = [
    "ADD_APPLICATION",
    "ADD_JOB",
    "APPLICATION_COUNTS",
    "CLAIM_JOBS",
    "FINISH_JOB",
    "JOB_COLUMNS",
    "LEASE_JOB",
    "OUTCOMES",
    "READ_JOBS",
    "SET_OUTCOME",
    "ApplicationCount",
    "JobRow",
    "application_params",
    "claim_params",
    "count_params",
    "job_params",
    "outcome_params",
]

JOB_COLUMNS = "key, kind, stream_id, institution, data, due_at, leased_until, created_at, done_at"
ADD_JOB = (
    f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL) "
    "ON CONFLICT (key) DO NOTHING"
)
#: The due jobs nobody holds, oldest first: {institution} narrows them, {lock} is
#: PostgreSQL's (rows another claim holds are skipped).
CLAIM_JOBS = (
    f"SELECT {JOB_COLUMNS} FROM jobs WHERE done_at IS NULL AND kind = ? AND due_at <= ? "
    "AND (leased_until IS NULL OR leased_until <= ?){institution} ORDER BY due_at, key "
    "LIMIT ?{lock}"
)
LEASE_JOB = "UPDATE jobs SET leased_until = ? WHERE key = ?"
FINISH_JOB = "UPDATE jobs SET done_at = ?, leased_until = NULL WHERE key = ? AND done_at IS NULL"
READ_JOBS = f"SELECT {JOB_COLUMNS} FROM jobs{{where}} ORDER BY due_at, key"

ADD_APPLICATION = (
    "INSERT INTO applications (stream_id, application, employer, institution, programme, "
    "level, sent_on, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) "
    "ON CONFLICT (stream_id, application) DO NOTHING"
)
SET_OUTCOME = "UPDATE applications SET outcome = ? WHERE stream_id = ? AND application = ?"
#: The outcomes that count as known: ``no_response`` is not invited; ``withdrawn`` and
#: pending ones are left out.
OUTCOMES = ("invited", "rejected", "no_response")
#: Per programme, level and employer: the applications with a known outcome sent in a
#: window, and how many of them brought an invitation. {institution} narrows them.
APPLICATION_COUNTS = (
    "SELECT programme, level, employer, count(*), "
    "sum(CASE WHEN outcome = 'invited' THEN 1 ELSE 0 END) FROM applications "
    "WHERE sent_on >= ? AND sent_on <= ? AND outcome IN ('invited', 'rejected', 'no_response')"
    "{institution} GROUP BY programme, level, employer ORDER BY programme, level, employer"
)


def job_params(
    key: object,
    kind: object,
    stream_id: object,
    institution: object,
    data: Mapping[str, Any],
    due_at: datetime,
    at: datetime,
) -> tuple[object, ...]:
    """The parameters of ADD_JOB, else InvalidInput naming the argument."""
    return (
        check_key("key", key),
        check_identifier("kind", kind),
        check_identifier("stream_id", stream_id),
        check_institution(institution),
        json.dumps(dict(data), sort_keys=True, separators=(",", ":")),
        check_moment("due_at", due_at),
        check_moment("at", at),
    )


def claim_params(
    kind: object, now: datetime, limit: object, institution: object
) -> tuple[str, tuple[object, ...]]:
    """The institution condition of CLAIM_JOBS and its parameters."""
    wanted = check_identifier("kind", kind)
    stamp, count = check_moment("now", now), check_count("limit", limit, 1)
    if institution is None:
        return "", (wanted, stamp, stamp, count)
    return " AND institution = ?", (wanted, stamp, stamp, check_institution(institution), count)


def application_params(
    stream_id: object,
    application: object,
    employer: object,
    institution: object,
    programme: object,
    level: object,
    sent_on: object,
) -> tuple[object, ...]:
    """The parameters of ADD_APPLICATION, else InvalidInput naming the argument."""
    if level is not None and (isinstance(level, bool) or not isinstance(level, int)):
        raise InvalidInput("level", level, "must be a whole number or None")
    return (
        check_identifier("stream_id", stream_id),
        check_identifier("application", application),
        check_identifier("employer", employer),
        check_institution(institution),
        "" if programme is None else check_identifier("programme", programme),
        level,
        parse_date("sent_on", sent_on),
    )


def outcome_params(stream_id: object, application: object, outcome: object) -> tuple[object, ...]:
    """The parameters of SET_OUTCOME (*outcome* None: pending again)."""
    if outcome is not None:
        check_identifier("outcome", outcome)
    return (
        outcome,
        check_identifier("stream_id", stream_id),
        check_identifier("application", application),
    )


def count_params(
    since: object, until: object, institution: object
) -> tuple[str, tuple[object, ...]]:
    """The institution condition of APPLICATION_COUNTS and its parameters."""
    first, last = parse_date("since", since), parse_date("until", until)
    if institution is None:
        return "", (first, last)
    return " AND institution = ?", (first, last, check_institution(institution))
