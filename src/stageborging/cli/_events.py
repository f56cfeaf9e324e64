"""``stageborging events``: the change feed, from a position in the global order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..core import FeedEntry, rfc3339
from ..engine import Engine
from ..store import open_store
from ._options import db_option, printable

__all__ = ["events"]


def feed_record(entry: FeedEntry) -> dict[str, Any]:
    """One entry of the feed as one JSON object (the ``jsonl`` format)."""
    event = entry.event
    return {
        "position": entry.position,
        "stream_id": event.stream_id,
        "seq": event.seq,
        "type": event.type.value,
        "name": event.name,
        "occurred_at": rfc3339(event.occurred_at),
        "actor_role": event.actor.role.value,
        "actor_id": event.actor.id,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "definition": event.definition,
        "institution": event.institution,
        "command_id": event.command_id,
        "data": event.data,
        "findings": [{"code": f.code, "severity": f.severity.value} for f in event.findings],
        "sealed": sorted(event.sealed),  # the names of its sealed fields: never their text
        "hash": event.hash,
    }


@click.command()
@db_option
@click.option(
    "--since",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The position after which to start: the last one you handled (0: the beginning).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=1000,
    show_default=True,
    help="The most events to print.",
)
@click.option("--institution", help="Only the events of this institution's streams.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "table"]),
    default="jsonl",
    show_default=True,
    help="One JSON object per line (for tools), or a table (for people).",
)
def events(db: Path | str, since: int, limit: int, institution: str | None, fmt: str) -> None:
    """Print the change feed: the events after a position in the global order.

    Every stream's events, oldest first, each with its position. Keep the
    position of the last event you handled and pass it as --since next time:
    no event is ever missed, also not one that commits later than events after
    it. A page shorter than --limit (or empty) means the feed has caught up
    for now: ask again later from the last position.

    Read-only: the database is never changed or migrated.
    """
    with Engine(open_store(db, read_only=True)) as engine:
        page = engine.events_since(since, limit, institution=institution)
    if fmt == "jsonl":
        for entry in page:
            click.echo(json.dumps(feed_record(entry), ensure_ascii=False, sort_keys=True))
        return
    click.echo(f"{'position':>20}  {'occurred at':27}  {'stream':32}  {'seq':>4}  event")
    for entry in page:
        event = entry.event
        move = (
            event.to_state
            if event.from_state == event.to_state
            else (f"{event.from_state} -> {event.to_state}")
        )
        click.echo(
            f"{entry.position:>20}  {rfc3339(event.occurred_at):27}  "
            f"{printable(event.stream_id):32}  {event.seq:>4}  "
            f"{event.type.value} {printable(event.name)} ({move})"
        )
