"""``stageborging streams``: the streams matching filters, a page at a time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ..core import Stream
from ..engine import Engine
from ..store import open_store
from ._options import db_option, printable

__all__ = ["streams"]


def _aware(moment: datetime | None) -> datetime | None:
    """A time from the command line: UTC unless it carries an offset."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def stream_record(stream: Stream) -> dict[str, Any]:
    """One stream as a JSON object."""
    return {
        "id": stream.id,
        "kind": stream.kind,
        "lifecycle": stream.lifecycle,
        "definition": stream.definition,
        "state": stream.state,
        "version": stream.version,
        "head_hash": stream.head_hash,
        "institution": stream.institution,
        "facts": stream.facts,
    }


@click.command()
@db_option
@click.option("--institution", help="The institution it belongs to ('' for none).")
@click.option("--lifecycle", help="Its lifecycle (mbo_bpv, hbo_stage, case …).")
@click.option("--state", "states", multiple=True, help="Its state (repeatable: any of them).")
@click.option("--programme", help="The programme code of the opening details.")
@click.option("--qualification", help="The qualification code.")
@click.option("--level", type=int, help="The qualification level.")
@click.option("--track", help="The track (BOL, BBL).")
@click.option("--student", help="The student's pseudonymous id.")
@click.option("--employer", help="The employer of the current placement.")
@click.option("--planned-from", help="The planned start on or after this day (YYYY-MM-DD).")
@click.option("--planned-to", help="The planned start on or before this day (YYYY-MM-DD).")
@click.option(
    "--updated-since",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"]),
    help="An event written at or after this time (UTC unless an offset is given).",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="Streams per page.")  # fmt: skip
@click.option("--after", help="The cursor of the page before (the 'next' of its output).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, or JSON (with the next page's cursor) for tools.",
)
def streams(
    db: Path | str,
    institution: str | None,
    lifecycle: str | None,
    states: tuple[str, ...],
    programme: str | None,
    qualification: str | None,
    level: int | None,
    track: str | None,
    student: str | None,
    employer: str | None,
    planned_from: str | None,
    planned_to: str | None,
    updated_since: datetime | None,
    limit: int,
    after: str | None,
    fmt: str,
) -> None:
    """List the streams matching every filter given, in stream id order.

    One page at a time: pass the printed cursor as --after for the next page.
    Read-only: the database is never changed or migrated.
    """
    with Engine(open_store(db, read_only=True)) as engine:
        page = engine.streams(
            lifecycle=lifecycle, state=states or None, programme=programme,
            qualification=qualification, level=level, track=track, student=student,
            employer=employer, planned_from=planned_from, planned_to=planned_to,
            updated_since=_aware(updated_since), institution=institution, limit=limit,
            after=after,
        )  # fmt: skip
    if fmt == "json":
        payload = {"streams": [stream_record(s) for s in page.streams], "next": page.next}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    click.echo(f"{'stream':32}  {'lifecycle':10}  {'state':20}  {'version':>7}  student")
    for stream in page.streams:
        student_id = stream.facts.get("details", {}).get("student", "-")
        click.echo(
            f"{printable(stream.id):32}  {stream.lifecycle:10}  {stream.state:20}  "
            f"{stream.version:>7}  {printable(str(student_id))}"
        )
    click.echo(f"next page: --after {page.next}" if page.next else "(last page)")
