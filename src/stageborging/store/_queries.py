"""Stream queries both backends answer: the facts they read and the select they run."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..core import InvalidInput
from ._protocol import StreamQuery
from ._rows import Columns

__all__ = [
    "INDEXED_KEYS",
    "QUERY_PATHS",
    "event_kinds",
    "pg_fact",
    "sqlite_fact",
    "stream_query",
]

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
    columns: Columns,
) -> tuple[str, list[object]]:
    """The qmark select of Store.streams and its parameters; *fact* gives a key's
    expression, *as_text* whether it yields text (PostgreSQL) or JSON's own types, and
    *columns* what the database's schema has."""
    where: list[str] = []
    params: list[object] = []

    def equals(expression: str, value: object) -> None:
        where.append(f"{expression} = ?")
        params.append(str(value) if as_text else value)

    if query.institution is not None:
        where.append(f"{columns.institution} = ?")
        params.append(query.institution)
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
    return f"SELECT {columns.streams} FROM streams{clause} ORDER BY id LIMIT ?", params


def event_kinds(types: Sequence[str], names: Sequence[str]) -> tuple[str, list[str]]:
    """The qmark condition of :meth:`Store.events_of`: an event of one of *types* or with
    one of *names*, and its parameters."""
    parts: list[str] = []
    params: list[str] = []
    for column, given in (("type", types), ("name", names)):
        if isinstance(given, str) or not all(isinstance(v, str) for v in given):
            raise InvalidInput(f"{column}s", given, "must be a list of strings")
        if given:
            parts.append(f"{column} IN ({', '.join('?' * len(given))})")
            params.extend(given)
    if not parts:
        raise InvalidInput("types", types, "give event types or names (or both)")
    return f"({' OR '.join(parts)})", params
