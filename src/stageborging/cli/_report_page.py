"""``stageborging audit report``: the auditor's report as one self-contained HTML page."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from .. import verify_database
from ..audit import WORDS, lifecycle_svg, report_html
from ..engine import Engine
from ..store import StreamQuery
from ._audit import known_lifecycles
from ._checkpoints import check_against
from ._engines import configured_engine
from ._options import check_new, db_option, new_file, plugin_options, shown_path
from ._show import timeline_row

__all__ = ["audit_report"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_PAGE = 2000


def _attention(engine: Engine, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The streams with refusals, guidance gaps, flags, and every case: the first
    *limit* by what they hold, and how many more there are."""
    counts: dict[str, Counter[str]] = {}
    after = 0
    while True:
        page = engine.store.events_of(("refused", "escalated"), ("raise_flag",), after, _PAGE,
                                      engine.institution)  # fmt: skip
        for position, event in page:
            kind = {"refused": "refusals", "escalated": "gaps"}.get(event.type, "flags")
            counts.setdefault(event.stream_id, Counter())[kind] += 1
            after = position
        if len(page) < _PAGE:
            break
    cases = engine.store.streams(StreamQuery(lifecycle="case"), None, 10_000)
    for case in cases:
        counts.setdefault(case.id, Counter())
    # the gravest first: refusals, then flags, then guidance gaps; cases without them last
    ranked = sorted(counts, key=lambda sid: (-counts[sid]["refusals"], -counts[sid]["flags"],
                                             -counts[sid]["gaps"], sid))  # fmt: skip
    rows = []
    for sid in ranked[:limit]:
        stream = engine.stream(sid)
        rows.append({"id": sid, "lifecycle": stream.lifecycle, "state": stream.state,
                     **{k: counts[sid][k] for k in ("refusals", "gaps", "flags")}})  # fmt: skip
    return rows, max(0, len(ranked) - limit)


def _stream(engine: Engine, stream_id: str, lang: str, key: int) -> dict[str, Any]:
    stream = engine.stream(stream_id)
    history = engine.history(stream_id)
    path = [history[0].to_state] if history else []
    for event in history:
        if event.to_state != path[-1]:
            path.append(event.to_state)
    definition = engine.lifecycle(stream.lifecycle)
    return {
        "id": stream.id, "lifecycle": stream.lifecycle, "state": stream.state,
        "events": [timeline_row(event, lang) for event in history], "path": path,
        "svg": lifecycle_svg(definition, path, stream.state, WORDS[lang], key),
    }  # fmt: skip


@click.command("report")
@db_option
@click.option("--html", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              metavar="OUT", help="The page to write (a new file).")  # fmt: skip
@click.option("--stream", "stream_ids", multiple=True, metavar="ID",
              help="Show these streams (repeatable); by default those worth a look.")  # fmt: skip
@click.option("--lang", type=click.Choice(["nl", "en"]), default="en", show_default=True,
              help="The page's language (and the findings').")  # fmt: skip
@click.option("--limit", type=click.IntRange(1, 500), default=25, show_default=True,
              help="Without --stream: the most streams listed and drawn.")  # fmt: skip
@click.option("--checkpoint", "held", type=_FILE, metavar="FILE",
              help="A checkpoint you kept: the page says whether the log extends it.")  # fmt: skip
@click.option("--public-key", type=_FILE, metavar="FILE",
              help="The school's public key, as you were handed it.")  # fmt: skip
@plugin_options
def audit_report(
    db: Path | str,
    out: Path,
    stream_ids: tuple[str, ...],
    lang: str,
    limit: int,
    held: Path | None,
    public_key: Path | None,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Write the auditor's report: one HTML page with nothing from elsewhere (no
    script, no request), small enough to send by mail.

    The verdict of the verification (and of a checkpoint, when given), the streams
    worth a look (refusals, guidance gaps, flags, cases), and for each shown its
    lifecycle drawn with the path it took and its timeline, the refusals' reasons in
    --lang. Sealed fields are named, never shown. Read-only.
    """
    if (held is None) != (public_key is None):
        raise click.UsageError("--checkpoint and --public-key go together")
    check_new(out)
    report = verify_database(db, known_lifecycles(block, config), workers="auto")
    point = None if held is None or public_key is None else check_against(db, held, public_key)
    words = WORDS[lang]
    checkpoint = None if held is None else (
        f"{shown_path(held)}: " + (point or {"en": "the log extends it (only appended to)",
                                            "nl": "het logboek bouwt erop voort (alleen "
                                                  "aangevuld)"}[lang])
    )  # fmt: skip
    with configured_engine(db, block, config, read_only=True) as engine:
        attention: list[dict[str, Any]] = []
        hidden = 0
        if stream_ids:
            chosen = list(dict.fromkeys(stream_ids))
        else:
            attention, hidden = _attention(engine, limit)
            chosen = [row["id"] for row in attention]
        shown = [_stream(engine, sid, lang, n) for n, sid in enumerate(chosen)]
    summary = {
        "streams": report.streams, "events": report.events,
        "ok": report.ok and (held is None or point is None),
        "breaks": [str(b) for b in report.breaks] + ([] if point is None else [point]),
        "checkpoint": checkpoint, "made_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }  # fmt: skip
    page = report_html(summary, attention, hidden, shown, lang)
    with new_file(out) as file:
        file.write(page)
    verdict = words["intact"] if summary["ok"] else words["broken"]
    click.echo(f"wrote {shown_path(out)} ({len(page.encode()) // 1024} KiB; {verdict})")
    if not summary["ok"]:
        sys.exit(1)  # as audit verify: a broken log is said in the exit status too
