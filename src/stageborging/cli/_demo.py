"""``stageborging demo``: a seeded cohort through a school year, then a verified log."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from .. import Engine, Registry, verify_database
from ..store import open_store, shown_db
from ._cohort import (
    PHASES,
    DemoClock,
    DemoRegister,
    holds_only_demo_data,
    remove_database,
    run_demo,
)
from ._options import db_option, plugin_options, warn_unmatched

__all__ = ["demo"]


def _empty_or_refuse(url: str) -> None:
    """The demo on PostgreSQL needs an empty database: its log cannot be deleted."""
    store = open_store(url)
    try:
        events = store.statistics().events
    finally:
        store.close()
    if events:
        raise click.UsageError(
            f"{shown_db(url).split('?', 1)[0]} holds {events} events; the demo needs an empty "
            "database (the log is append-only: nothing is ever deleted). Give an empty database or "
            "schema, e.g. postgresql://…/db?options=-csearch_path%3Ddemo"
        )


@click.command()
@db_option
@click.option(
    "--students",
    default=200,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="How many students in the cohort.",
)
@click.option(
    "--seed",
    default=2027,
    show_default=True,
    type=int,
    help="Seed of the cohort's random choices; the same seed gives the same story.",
)
@plugin_options
def demo(
    db: Path | str, students: int, seed: int, block: tuple[str, ...], config: dict[str, Any] | None
) -> None:
    """Drive a seeded demo cohort through a school year, then verify the audit log.

    Most students complete their internship; some meet refusals (an
    unrecognised employer, a missing signature, an amended agreement not
    re-signed, a BBL start before the employment contract is recorded), one
    is suspended and resumes, one is terminated and seeks a replacement, one
    withdraws, one fails the assessment and repeats the placement period from
    September; one discrimination report is handled with the reporter's
    consent and one without. The database is made fresh each run;
    an existing file that holds anything but demo data is never overwritten.
    The demo runs with its own recognition register (``demo-register``, which
    cannot be blocked) and the built-in plugins; installed plugins are not
    loaded, so the same seed tells the same story.
    """
    if DemoRegister.name in block:
        raise click.BadParameter(
            f"{DemoRegister.name!r}: the demo needs its recognition register",
            param_hint="'--block'",
        )
    if isinstance(db, str):
        _empty_or_refuse(db)
    elif db.exists() and not holds_only_demo_data(db):
        raise click.UsageError(
            f"{db} exists and holds data that is not from the demo; "
            "choose another --db (the demo starts from a fresh database)"
        )
    # Plugins first: settings a plugin refuses stop the demo before any file changes.
    registry = Registry([DemoRegister()], block=block, config=config)
    warn_unmatched(block, registry)
    if isinstance(db, Path) and db.exists():
        remove_database(db)
    clock = DemoClock()
    started = time.perf_counter()
    total = students * len(PHASES) + 6  # the two cases add three steps each
    with Engine(db, registry=registry, clock=clock) as engine:
        with click.progressbar(
            length=total, label="Demo year", file=sys.stderr, show_pos=True, item_show_func=str
        ) as bar:

            def progress(phase: str, steps: int) -> None:
                bar.current_item = phase
                bar.update(steps)

            run_demo(engine, clock, students, seed, progress)
        stats = engine.statistics()
    elapsed = time.perf_counter() - started
    report = verify_database(db)
    shown = shown_db(db)
    click.echo(f"\nDemo cohort of {students} students (seed {seed}) in {shown}, {elapsed:.1f} s\n")
    for lifecycle, states in sorted(stats.states.items()):
        noun = "cases" if lifecycle == "case" else "students"
        click.echo(f"{lifecycle}: {sum(states.values())} {noun}")
        for state, count in sorted(states.items(), key=lambda item: (-item[1], item[0])):
            click.echo(f"  {state:<20} {count:>6}")
    click.echo("\nRefusals by finding code:")
    for code, count in stats.refusals.items():
        click.echo(f"  {code:<28} {count:>6}")
    by_type = ", ".join(f"{count} {kind}" for kind, count in sorted(stats.events_by_type.items()))
    click.echo(f"\nEvents written: {stats.events} ({by_type})")
    verdict = "intact" if report.ok else f"BROKEN ({len(report.breaks)} streams)"
    click.echo(f"Audit log: {verdict}: {report.streams} streams, {report.events} events verified")
    if not report.ok:
        sys.exit(1)
