"""``stageborging audit report``: the auditor's report as one self-contained HTML page."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from .. import verify_database
from ..audit import WORDS, lifecycle_svg, report_html
from ..core import IDENTIFIER
from ..engine import Engine
from ..store import StreamQuery
from ._audit import EXTENDS, known_lifecycles
from ._checkpoints import check_against
from ._engines import configured_engine
from ._options import check_new, db_option, given_once, new_file, plugin_options, shown_path
from ._show import case_facts, deadlines_of, linked, timeline_row

__all__ = ["audit_report"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_PAGE = 2000


def _attention(
    engine: Engine, limit: int, broken: dict[str, str]
) -> tuple[list[dict[str, Any]], int]:
    """The streams worth a look: those that do not verify (*broken*: stream -> why),
    with refusals, guidance gaps or flags, and every case; the first *limit* by how
    grave what they hold is, and how many more there are."""
    counts: dict[str, Counter[str]] = {sid: Counter() for sid in broken}
    after = 0
    while True:
        page = engine.store.events_of(("refused", "escalated"), ("raise_flag",), after, _PAGE,
                                      engine.institution)  # fmt: skip
        for position, event in page:
            counted = counts.setdefault(event.stream_id, Counter())
            if event.type == "refused":
                counted["refusals"] += 1
            elif event.type == "escalated":
                counted["gaps"] += 1
            else:
                counted["blocks" if _flag_of(event.body) == "block" else "watches"] += 1
            after = position
        if len(page) < _PAGE:
            break
    for sid in [s for s, c in counts.items() if c["blocks"] and s.startswith("employer:")]:
        placed = engine.store.streams(StreamQuery(employer=sid.removeprefix("employer:")),
                                      None, _PAGE)  # fmt: skip
        for placement in placed:  # an internship at a blocked employer is as grave
            if placement.lifecycle not in ("case", "employer"):
                counts.setdefault(placement.id, Counter())["blocked_employer"] += 1
    outcomes = {}
    for case, facts, details in case_facts(engine):
        counts.setdefault(case.id, Counter())
        outcomes[case.id] = facts.get("outcome")
        about = details.get("internship")
        if "founded" in (facts.get("outcome"), facts.get("external_outcome")):
            outcomes[case.id] = "founded"
            if isinstance(about, str):  # the internship it is about is as grave
                counts.setdefault(about, Counter())["founded_cases"] += 1

    def gravity(sid: str) -> tuple[Any, ...]:
        c = counts[sid]
        founded = outcomes.get(sid) == "founded" or c["founded_cases"] > 0
        return (
            sid not in broken,
            -(c["blocks"] + c["blocked_employer"]),
            not founded,
            -c["refusals"],
            -c["watches"],
            -c["gaps"],
            sid not in outcomes,
            sid,
        )

    ranked = sorted(counts, key=gravity)
    rows = []
    for sid in ranked[:limit]:
        row = engine.store.read_stream(sid) if IDENTIFIER.fullmatch(sid) else None
        c = counts[sid]
        rows.append({"id": sid, "lifecycle": row.lifecycle if row else None,
                     "state": row.state if row else None,
                     "broken": broken.get(sid), "outcome": outcomes.get(sid),
                     "refusals": c["refusals"], "gaps": c["gaps"],
                     "flags": c["blocks"] + c["watches"], "blocks": c["blocks"],
                     "founded_cases": c["founded_cases"],
                     "blocked_employer": c["blocked_employer"]})  # fmt: skip
    return rows, max(0, len(ranked) - limit)


def _flag_of(body: bytes | None) -> object:
    try:
        return json.loads(body or b"{}").get("data", {}).get("flag")
    except (ValueError, AttributeError):  # a tampered body: counted as a watch
        return None


def _stream(
    engine: Engine, stream_id: str, lang: str, key: int, broken: dict[str, str]
) -> dict[str, Any]:
    """What the page shows of one stream (*broken*: why the streams that do not verify
    do not, from the verification the page began with)."""
    stream = engine.stream(stream_id)
    history = engine.history(stream_id)
    path = [history[0].to_state] if history else []
    for event in history:
        if event.to_state != path[-1]:
            path.append(event.to_state)
    definition = engine.lifecycle(stream.lifecycle)
    events = [timeline_row(event, lang) for event in history]
    refusals = [{"seq": row["seq"], "when": row["when"], "name": row["name"],
                 "reasons": [f["message_nl"] if lang == "nl" and f["message_nl"] else
                             f["message"] for f in row["findings"] if f["severity"] == "block"]}
                for row in events if row["type"] == "refused"]  # fmt: skip
    gaps = [{"seq": row["seq"], "when": row["when"], "details": row["details"]}
            for row in events if row["type"] == "escalated"]  # fmt: skip
    return {
        "id": stream.id, "lifecycle": stream.lifecycle, "state": stream.state,
        "events": events, "path": path, "refusals": refusals, "gaps": gaps,
        "deadlines": deadlines_of(engine, stream_id), "problem": broken.get(stream_id),
        "links": linked(engine, stream_id, stream.lifecycle, dict(stream.facts)),
        "svg": lifecycle_svg(definition, path, stream.state, WORDS[lang], key, lang),
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
@click.option("--checkpoint", "held", type=_FILE, metavar="FILE", multiple=True,
              callback=given_once,
              help="A checkpoint you kept: the page says whether the log extends it.")  # fmt: skip
@click.option("--public-key", type=_FILE, metavar="FILE", multiple=True,
              callback=given_once,
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
    checkpoint = None if held is None else (
        f"{shown_path(held)}: " + (point or EXTENDS[lang][report.ok])
    )  # fmt: skip
    broken = {b.stream_id: f"seq {b.seq}: {b.problem}" for b in report.breaks}
    with configured_engine(db, block, config, read_only=True) as engine:
        attention: list[dict[str, Any]] = []
        hidden = 0
        if stream_ids:
            chosen = list(dict.fromkeys(stream_ids))
        else:
            attention, hidden = _attention(engine, limit, broken)
            chosen = [row["id"] for row in attention if row["lifecycle"] is not None]
        shown = [_stream(engine, sid, lang, n, broken) for n, sid in enumerate(chosen)]
    summary = {
        "streams": report.streams, "events": report.events,
        "ok": report.ok and point is None, "chains_ok": report.ok,
        "breaks": [str(b) for b in report.breaks] + list(report.problems),
        "checkpoint": checkpoint, "checkpoint_ok": point is None,
        "made_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }  # fmt: skip
    page = report_html(summary, attention, hidden, shown, lang)
    words = WORDS[lang]
    with new_file(out) as file:
        file.write(page)
    verdict = words["intact"] if summary["ok"] else words["broken"]
    click.echo(f"wrote {shown_path(out)} ({len(page.encode()) // 1024} KiB; {verdict})")
    if not summary["ok"]:
        sys.exit(1)  # as audit verify: a broken log is said in the exit status too
