"""The outbox beyond its lease: settling an entry with what each attempt came to, the
dead letters, replaying one by hand, and reading the attempts (qmark statements both
backends run, and the checks of their arguments)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..core import DeliveryAttempt, InvalidInput, check_identifier
from ._queues import check_key
from ._rows import OUTBOX_COLUMNS, check_count, check_moment

__all__ = [
    "ATTEMPT_COLUMNS",
    "FIND_ENTRY",
    "RECORD_ATTEMPT",
    "REPLAY",
    "attempts_query",
    "check_outcomes",
    "delivery_attempt",
    "replaying",
    "settlement",
]


class _Cursor(Protocol):
    def executemany(self, statement: Any, params: Any, /) -> Any: ...


class _Connection(Protocol):
    """What both backends' connections offer that a settlement uses."""

    def execute(self, statement: Any, params: Any = ..., /) -> Any: ...

    def cursor(self) -> _Cursor: ...


ATTEMPT_COLUMNS = "id, key, attempt, recipient, outcome, error, at, worker"
#: One attempt's outcome, numbered as the entry's attempts are (the lease counted it).
RECORD_ATTEMPT = (
    "INSERT INTO deliveries (key, attempt, recipient, outcome, error, at, worker) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
#: Only the worker whose lease is current settles: a lease taken over is not its own.
_HELD = (
    "WHERE key = ? AND leased_by = ? AND leased_until IS NOT NULL AND delivered_at IS NULL "
    "AND dead_at IS NULL"
)
_SETTLE = {
    "delivered": f"UPDATE outbox SET delivered_at = ?, leased_until = NULL {_HELD}",
    "retry": f"UPDATE outbox SET next_attempt_at = ?, last_error = ?, leased_until = NULL {_HELD}",
    "dead": f"UPDATE outbox SET dead_at = ?, last_error = ?, leased_until = NULL {_HELD}",
}
#: What a settlement returns: the attempt it settles (0 rows when the lease was not held).
_RETURNING = " RETURNING attempts"
#: A dead letter made pending again: its attempts start over, due at once.
REPLAY = (
    "UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = NULL, "
    "leased_until = NULL WHERE key = ? AND dead_at IS NOT NULL AND delivered_at IS NULL"
)
FIND_ENTRY = f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE key = ?"
#: What the recipients of an entry's attempt may come to (the rest are the entry's).
_PER_RECIPIENT = ("delivered", "failed", "refused", "no_contact")


def settlement(
    key: object,
    owner: object,
    at: object,
    *,
    delivered: object,
    retry_at: object,
    error: object,
    dead: object,
    outcomes: object,
    style: Callable[[str], str] = str,
) -> Callable[[_Connection], bool]:
    """The work that settles a lease with its outcomes in one transaction (True when the
    lease was *owner*'s), checked before any of it runs; *style* converts the qmark
    statements to the backend's placeholders."""
    statement, params, outcome = _settle_statement(key, owner, at, delivered, retry_at, error, dead)
    stamp = check_moment("at", at)
    rows: list[tuple[object, ...]] = [*check_outcomes(outcomes)]
    rows.append(("", outcome, None if outcome == "delivered" else error))

    def work(conn: _Connection) -> bool:
        settled = conn.execute(style(statement + _RETURNING), params).fetchone()
        if settled is None:
            return False
        values = [(key, settled[0], *row, stamp, owner) for row in rows]
        conn.cursor().executemany(style(RECORD_ATTEMPT), values)
        return True

    return work


def replaying(
    key: object, at: object, by: object, style: Callable[[str], str] = str
) -> Callable[[_Connection], bool]:
    """The work that makes the dead letter *key* pending again, recording ``replayed``
    by *by* (True when it was a dead letter), checked before any of it runs."""
    check_key("key", key)
    by = check_identifier("by", by)
    stamp = check_moment("at", at)

    def work(conn: _Connection) -> bool:
        if conn.execute(style(REPLAY), (key,)).rowcount != 1:
            return False
        conn.execute(style(RECORD_ATTEMPT), (key, 0, "", "replayed", None, stamp, by))
        return True

    return work


def _settle_statement(
    key: object,
    owner: object,
    at: object,
    delivered: object,
    retry_at: object,
    error: object,
    dead: object,
) -> tuple[str, tuple[object, ...], str]:
    """The qmark statement that settles a lease, its parameters and the entry's outcome
    (``delivered``, ``retry``, ``dead``), else InvalidInput naming the argument."""
    check_key("key", key)
    owner = check_identifier("owner", owner)
    stamp = check_moment("at", at)
    for name, flag in (("delivered", delivered), ("dead", dead)):
        if not isinstance(flag, bool):
            raise InvalidInput(name, flag, "must be True or False")
    code = None if error is None else check_identifier("error", error)
    if delivered:
        if dead:
            raise InvalidInput("dead", dead, "a delivered entry is not dead")
        if retry_at is not None or error is not None:
            raise InvalidInput("retry_at", retry_at, "a delivered entry is not retried")
        return _SETTLE["delivered"], (stamp, key, owner), "delivered"
    if dead:
        if retry_at is not None:
            raise InvalidInput("retry_at", retry_at, "a dead entry is not retried")
        return _SETTLE["dead"], (stamp, code, key, owner), "dead"
    retry = None if retry_at is None else check_moment("retry_at", retry_at)
    if retry is not None and retry < stamp:
        raise InvalidInput("retry_at", retry_at, "must not be before the attempt (at)")
    return _SETTLE["retry"], (retry, code, key, owner), "retry"


def check_outcomes(outcomes: object) -> list[tuple[str, str, str | None]]:
    """Per-recipient outcomes to record, as (recipient, outcome, error), else InvalidInput."""
    if isinstance(outcomes, (str, bytes)) or not isinstance(outcomes, Iterable):
        raise InvalidInput(
            "outcomes", outcomes, "must be a sequence of (recipient, outcome, error)"
        )
    checked: list[tuple[str, str, str | None]] = []
    for item in outcomes:
        if not isinstance(item, tuple) or len(item) != 3:
            raise InvalidInput("outcomes", item, "must be a (recipient, outcome, error) tuple")
        recipient, outcome, error = item
        check_identifier("recipient", recipient)
        if outcome not in _PER_RECIPIENT:
            raise InvalidInput("outcome", outcome, f"must be one of {', '.join(_PER_RECIPIENT)}")
        checked.append(
            (recipient, outcome, None if error is None else check_identifier("error", error))
        )
    return checked


def attempts_query(key: object, after: object, limit: object) -> tuple[str, list[object]]:
    """The qmark query of Store.deliveries and its parameters, else InvalidInput."""
    params: list[object] = [check_count("after", after, 0)]
    where = "id > ?"
    if key is not None:
        where += " AND key = ?"
        params.append(check_key("key", key))
    params.append(check_count("limit", limit, 1))
    return f"SELECT {ATTEMPT_COLUMNS} FROM deliveries WHERE {where} ORDER BY id LIMIT ?", params


def delivery_attempt(row: tuple[Any, ...]) -> DeliveryAttempt:
    """An attempt from a row of ATTEMPT_COLUMNS."""
    return DeliveryAttempt(*row)
