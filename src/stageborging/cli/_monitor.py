"""``stageborging monitor``: the figures a school accounts for its safeguarding with,
every small count suppressed (see docs/monitoring.rst)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ..monitoring import release_csv, release_html, release_json, release_text
from ._engines import configured_engine
from ._options import db_option, plugin_options, shown_path

__all__ = ["monitor"]

_RENDER = {"table": release_text, "json": release_json, "csv": release_csv, "html": release_html}


def _guard(db: Path | str, out: Path) -> None:
    """Refuse an --out that is the database, one of its files or its key, or any other
    SQLite database: a release never overwrites what it reports on."""
    target = out.resolve()
    if "://" not in str(db):
        base = Path(db).resolve()
        files = {Path(f"{base}{suffix}") for suffix in ("", "-wal", "-shm", "-journal", ".key")}
        if target in files:
            raise click.BadParameter(f"{shown_path(out)} is the database or one of its files",
                                     param_hint="'--out'")  # fmt: skip
    try:
        with open(target, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return
    if head == b"SQLite format 3\x00":
        raise click.BadParameter(f"{shown_path(out)} is a database: not overwritten",
                                 param_hint="'--out'")  # fmt: skip


def _write(out: Path, text: str) -> None:
    """Write *text* to *out* whole or not at all (a temporary file beside it, renamed)."""
    temporary = out.with_name(f".{out.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, out)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise click.BadParameter(f"{shown_path(out)}: cannot be written ({exc.strerror})",
                                 param_hint="'--out'") from None  # fmt: skip


@click.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(list(_RENDER)), default="table",
              show_default=True, help="Tables for the terminal, JSON, CSV or a self-contained "
              "HTML page with charts.")  # fmt: skip
@click.option("--min-cell", type=click.IntRange(3, 10), default=5, show_default=True,
              help="The threshold: every count from 1 to N-1 is suppressed, and as many more "
              "cells as keep those from being recomputed from the rest.")  # fmt: skip
@click.option("--by", metavar="DIM,…",
              help="Split the rows by these (programme, level, track, lifecycle, institution, "
              "group). Default: each measure's own.")  # fmt: skip
@click.option("--period", metavar="FROM..TO|YYYY-YYYY",
              help="Internships whose planned start lies in it (ISO dates, a side may be left "
              "out), or a study year (1 August to 31 July); reports and alerts received or "
              "raised in it.")  # fmt: skip
@click.option("--at", "at", metavar="DATE",
              help="The reference date: the log as it stood at that day's end. Default: today, "
              "or the log's last day where that is later.")  # fmt: skip
@click.option("--groups", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The host's CSV (student,group) of consented self-classifications: read "
              "now, never stored; adds the group split.")  # fmt: skip
@click.option("--institution", metavar="ID", help="Whose streams (default: every institution's).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of standard output (never "
              "the database or its files).")  # fmt: skip
@plugin_options
def monitor(
    db: Path | str,
    fmt: str,
    min_cell: int,
    by: str | None,
    period: str | None,
    at: str | None,
    groups: Path | None,
    institution: str | None,
    out: Path | None,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Monitor the safeguarding: time to placement, students without a place, guidance
    gaps, reports, employers' invitation rates and alerts, and the Stagepact norms. Only
    aggregates; every count from 1 to --min-cell - 1 is hidden, and so are the cells that
    would give one back; the output says how many, never their values."""
    if out is not None:
        _guard(db, out)
    with configured_engine(db, block, config, read_only=True) as engine:
        release = engine.monitor(at, min_cell=min_cell, by=by, period=period, groups=groups,
                                 institution=institution)  # fmt: skip
    if all(table.total.cells[-1].value == 0 for table in release.tables):
        click.echo("note: nothing in scope (no internship, report or alert; check --institution, "
                   "--period and --at)", err=True)  # fmt: skip
    text = _RENDER[fmt](release)
    if out is None:
        click.echo(text, nl=False)
        return
    _write(out, text)
    click.echo(f"wrote {out} ({len(release.tables)} tables, {release.hidden} cells hidden)",
               err=True)  # fmt: skip
