"""``stageborging demo``: a seeded cohort through a school year, then a verified log."""

from __future__ import annotations

import importlib.metadata
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from .. import Engine, Event, Registry, verify_database
from ..privacy import MasterKey
from ..store import open_store, shown_db
from ._cohort import (
    GUIDANCE_PLUGIN,
    GUIDANCE_SETTINGS,
    PHASES,
    DemoClock,
    DemoRegister,
    holds_only_demo_data,
    remove_database,
)
from ._options import db_option, master_key_option, plugin_options, shown_path, warn_unmatched
from ._year import run_demo

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
@master_key_option
@plugin_options
def demo(
    db: Path | str,
    students: int,
    seed: int,
    master_key: MasterKey | None,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Drive a seeded demo cohort through a school year, then verify the audit log.

    Most students complete their internship; some meet refusals (an
    unrecognised employer, a missing signature, an amended agreement not
    re-signed, a BBL start before the employment contract is recorded), one
    is suspended and resumes, one is terminated and seeks a replacement, one
    withdraws, one fails the assessment and repeats the placement period from
    September; one discrimination report is handled with the reporter's
    consent and one without, whose reporter is then erased, and one student in
    ten reports one too (for the monitor to count). Notes and reports are
    free text sealed under a master key: without --key-file the demo makes one and
    writes it beside the database (DB.key). The database is made fresh each run;
    an existing file that holds anything but demo data is never overwritten.
    The demo runs with its own recognition register (``demo-register``, which
    cannot be blocked), the built-in plugins and, when it is installed, the
    Dutch MBO defaults (``mbo-defaults``: pip install plugins/mbo-defaults):
    then a tick every night escalates what is left undone, some students stall
    and get assisted search, a late confirmation is rescheduled, and the
    summary shows the guidance gaps and the reminders. No other installed
    plugin is loaded, so the same seed tells the same story.
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
    plugins: list[object] = [DemoRegister()]
    guidance = _guidance_plugin(block)
    if guidance is not None:
        plugins.append(guidance)
        config = {**(config or {})}
        own = {k: v for k, v in config.get(GUIDANCE_PLUGIN, {}).items() if k != "register"}
        if own != config.get(GUIDANCE_PLUGIN, own):
            click.echo(f"note: the demo keeps its own register; [{GUIDANCE_PLUGIN}] register "
                       "is not used", err=True)  # fmt: skip
        config[GUIDANCE_PLUGIN] = {**GUIDANCE_SETTINGS, **own}
    registry = Registry(plugins, block=block, config=config)
    warn_unmatched(block, registry, config)
    if isinstance(db, Path) and db.exists():
        remove_database(db)
    key_file = None
    if master_key is None:
        master_key = MasterKey.generate()
        key_file = Path(f"{db}.key") if isinstance(db, Path) else None
    clock = DemoClock()
    started = time.perf_counter()
    total = students * len(PHASES) + 6  # the two cases add three steps each
    with Engine(db, registry=registry, clock=clock, master_key=master_key) as engine:
        if key_file is not None:
            _keep(master_key, key_file)
        guided = any(step.kind == "internship" for step in engine.guidance_steps)
        with click.progressbar(
            length=total, label="Demo year", file=sys.stderr, show_pos=True, item_show_func=str
        ) as bar:

            def progress(phase: str, steps: int) -> None:
                bar.current_item = phase
                bar.update(steps)

            run_demo(engine, clock, students, seed, progress)
        stats = engine.statistics()
        reads = len(engine.access_log(limit=10_000))
        safeguarding_lines = _safeguarding_summary(engine)
        guidance_lines = (
            _guidance_summary(engine)
            if guided
            else [
                "\nGuidance steps: none installed (pip install plugins/mbo-defaults for the Dutch "
                "MBO defaults: reminders, escalations and guidance gaps)"
            ]
        )
    elapsed = time.perf_counter() - started
    report = verify_database(db)
    shown = shown_db(db)
    click.echo(f"\nDemo cohort of {students} students (seed {seed}) in {shown}, {elapsed:.1f} s\n")
    for lifecycle, states in sorted(stats.states.items()):
        noun = {"case": "cases", "employer": "employers"}.get(lifecycle, "students")
        click.echo(f"{lifecycle}: {sum(states.values())} {noun}")
        for state, count in sorted(states.items(), key=lambda item: (-item[1], item[0])):
            click.echo(f"  {state:<20} {count:>6}")
    click.echo("\nRefusals by finding code:")
    for code, count in stats.refusals.items():
        click.echo(f"  {code:<28} {count:>6}")
    for line in guidance_lines:
        click.echo(line)
    for line in safeguarding_lines:
        click.echo(line)
    by_type = ", ".join(f"{count} {kind}" for kind, count in sorted(stats.events_by_type.items()))
    click.echo(f"\nEvents written: {stats.events} ({by_type})")
    click.echo(
        f"Privacy: {report.sealed} events hold sealed free text ({report.erased} erased); "
        f"{reads} read(s) in the access log (stageborging audit access)"
    )
    if key_file is not None:
        click.echo(f"Master key: {shown_path(key_file)} (give it as --key-file to read the "
                   "free text)")  # fmt: skip
    elif isinstance(db, str):
        click.echo("Master key: kept in memory only (give --key-file to keep one)")
    verdict = "intact" if report.ok else f"BROKEN ({len(report.breaks)} streams)"
    click.echo(f"Audit log: {verdict}: {report.streams} streams, {report.events} events verified")
    if not report.ok:
        sys.exit(1)


def _safeguarding_summary(engine: Engine) -> list[str]:
    """What the safeguarding stories left, queried from the database: the reports, the
    flags people raised, the cascades and the open pattern alerts."""
    lines = ["\nSafeguarding:"]
    cases = engine.streams(lifecycle="case", limit=1000).streams
    outcomes: Counter[str] = Counter()
    for case in cases:
        facts = case.facts
        if facts["details"].get("employer", "").startswith("demo-lb-report-"):
            handled = "with consent" if "consent" in facts else "registered only"
            outcomes[f"{facts.get('outcome', 'open')} ({handled})"] += 1
            continue
        if facts.get("outcome") == "founded":
            how = "founded after a hearing and SBB's outcome, with consent"
        elif "consent" not in facts:
            how = "registered only (no consent): the employer was never contacted"
        else:
            how = f"{facts.get('outcome', 'open')}"
        lines.append(f"  report about {facts['details'].get('employer', '-')}: {how}")
    if outcomes:
        counted = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
        lines.append(f"  {sum(outcomes.values())} more reports: {counted} "
                     "(stageborging monitor counts them, small counts hidden)")  # fmt: skip
    refused = engine.statistics().refusals.get("employer.blocked", 0)
    employers = engine.streams(lifecycle="employer", limit=1000).streams
    for stream in employers:
        for flag, kept in sorted(stream.facts.get("flags", {}).items()):
            lines.append(
                f"  {flag} on {stream.facts['details']['employer']} since {kept['raised_on']} "
                f"by {kept['role']} ({kept['basis']}); later placements there refused: "
                f"{refused}"
            )
        for qualification, decision in sorted(stream.facts.get("recognitions", {}).items()):
            lines.append(
                f"  SBB {decision['status']} {stream.facts['details']['employer']}'s "
                f"recognition for {qualification} as of {decision['effective_on']}"
            )
    ended = Counter(
        (event.name, event.data.get("reason"))
        for event in _every_event(engine)
        if event.actor.id == "cascade"
    )
    if ended:
        lines.append("  cascade: " + ", ".join(
            f"{count} {name} ({reason or 'assisted search'})"
            for (name, reason), count in sorted(ended.items())))  # fmt: skip
    for employer, alert in engine.open_alerts():
        figures = alert.statistics
        lines.append(
            f"  pattern alert on {employer} ({figures['programme']} level "
            f"{figures.get('level', '-')}): invited {figures['invited']} of "
            f"{figures['applications']}, the rest {figures['others_invited']} of "
            f"{figures['others_applications']}; p {figures['p_value']}, Holm "
            f"{figures['adjusted_p']}: for the placement office to review"
        )
    return lines


def _keep(key: MasterKey, path: Path) -> None:
    """Keep the demo's master key beside its database file, readable by its owner only."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key.to_base64() + "\n")


def _guidance_plugin(block: tuple[str, ...]) -> object | None:
    """The installed ``mbo-defaults`` plugin (its entry point), unless blocked or absent."""
    if GUIDANCE_PLUGIN in block:
        return None
    for entry in importlib.metadata.entry_points(group="stageborging", name=GUIDANCE_PLUGIN):
        try:
            plugin: object = entry.load()
        except Exception as exc:  # a broken install: the demo runs without it, and says so
            click.echo(f"warning: {GUIDANCE_PLUGIN} cannot be imported: {type(exc).__name__}",
                       err=True)  # fmt: skip
            continue
        return plugin
    return None


def _every_event(engine: Engine) -> Iterator[Event]:
    """Every event of the database, in the global order (a page at a time)."""
    position = 0
    while page := engine.events_since(position, limit=10_000):
        yield from (entry.event for entry in page)
        position = page[-1].position


def _guidance_summary(engine: Engine) -> list[str]:
    """What the guidance steps did in the demo year, queried from the database."""
    statuses = Counter(d.status for d in engine.store.deadlines(open_only=False)
                       if d.kind == "deadline")  # fmt: skip
    gaps = Counter(gap.step for gap in engine.guidance_gaps())
    notices = Counter(
        entry.notification.template
        for entry in engine.notifications()
        if entry.plugin == "guidance"
    )
    events = list(_every_event(engine))
    changes = Counter(
        event.name
        for event in events
        if event.name == "reschedule"
        or (event.name == "amend_agreement" and "reason" in event.data)
    )
    named = {"done": "met", "cancelled": "no longer applied", "missed": "still overdue",
             "open": "not yet due"}  # fmt: skip
    lines = ["\nGuidance deadlines (steps of the mbo-defaults plugin): " + ", ".join(
        f"{statuses[s]} {named[s]}" for s in named if statuses[s])]  # fmt: skip
    lines.append(f"Guidance gaps (steps missed, each escalated once): {sum(gaps.values())}")
    lines += [f"  {step:<28} {count:>6}" for step, count in sorted(gaps.items())]
    about = {"guidance.missed": "a step missed", "guidance.proposed": "a transition proposed",
             "guidance.fired": "a transition fired for the student"}  # fmt: skip
    lines.append("Notifications queued: " + ", ".join(
        f"{count} {about.get(t, t)}" for t, count in sorted(notices.items())))  # fmt: skip
    assisted = sum(event.name == "request_assistance" for event in events)
    lines.append(
        f"Assisted search: {assisted} students (after a stalled search, or none found); "
        f"changes of plan: {changes['reschedule']} reschedules, "
        f"{changes['amend_agreement']} amended agreements with new dates"
    )
    return lines
