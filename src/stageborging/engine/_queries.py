"""Stream queries: the arguments of ``Engine.streams`` checked and made a StreamQuery."""

from __future__ import annotations

from datetime import datetime

from ..core import InvalidInput, check_identifier, parse_date, rfc3339
from ..store import StreamQuery

__all__ = ["QUERY_PAGE", "scope", "stream_query"]

#: The most streams one page of a query holds.
QUERY_PAGE = 1000


def _code(field: str, value: object) -> str | None:
    return None if value is None else check_identifier(field, value)


def _states(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (check_identifier("state", value),)
    if not isinstance(value, (list, tuple)):
        raise InvalidInput("state", value, "must be a state or a list of states")
    if not value:
        raise InvalidInput("state", value, "give at least one state (or none: every state)")
    return tuple(check_identifier("state", state) for state in value)


def _day(field: str, value: object) -> str | None:
    return None if value is None else parse_date(field, value)


def _since(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput("updated_since", value, "must be a timezone-aware datetime")
    return rfc3339(value)


def scope(bound: str | None, institution: object) -> str | None:
    """The institution a read keeps to: a bound engine's own (naming another is
    InvalidInput), else the one asked for ("" for the streams of none), else None (all)."""
    if institution is not None and institution != "":
        check_identifier("institution", institution)
    if bound is None:
        return institution  # type: ignore[return-value]  # checked above
    if institution is not None and institution != bound:
        raise InvalidInput("institution", institution, f"this engine is bound to {bound!r}")
    return bound


def stream_query(
    *,
    lifecycle: object,
    state: object,
    programme: object,
    qualification: object,
    level: object,
    track: object,
    student: object,
    employer: object,
    planned_from: object,
    planned_to: object,
    updated_since: object,
    limit: object,
    after: object,
    institution: str | None,
) -> tuple[StreamQuery, str | None, int]:
    """The query, the cursor and the page size of ``Engine.streams``, else InvalidInput
    naming the first argument that cannot be used."""
    if level is not None and (not isinstance(level, int) or isinstance(level, bool)
                              or not 0 <= level <= 99):  # fmt: skip
        raise InvalidInput("level", level, "must be a whole number from 0 to 99 (the level)")
    query = StreamQuery(
        institution=institution,
        lifecycle=_code("lifecycle", lifecycle),
        states=_states(state),
        programme=_code("programme", programme),
        qualification=_code("qualification", qualification),
        level=level,
        track=_code("track", track),
        student=_code("student", student),
        employer=_code("employer", employer),
        planned_from=_day("planned_from", planned_from),
        planned_to=_day("planned_to", planned_to),
        updated_since=_since(updated_since),
    )
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= QUERY_PAGE:
        raise InvalidInput("limit", limit, f"must be a whole number from 1 to {QUERY_PAGE}")
    return query, _code("after", after), limit
