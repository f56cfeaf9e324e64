"""The ``stageborging`` command: a thin layer over the public API.

Parse, call the API, render. Exit codes: 0 success, 1 a verified problem (a
broken audit chain), 2 usage errors and databases that cannot be opened.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import click
import structlog

from .. import Engine, LifecycleDefinition, __version__, verify_database
from ..core import LOGGER_NAME
from ..exceptions import (
    DefinitionError,
    PluginError,
    StageborgingError,
    StoreError,
    UnguardedPath,
)
from ..lifecycles import builtin, load_definition
from ._cohort import (
    PHASES,
    DemoClock,
    DemoRegister,
    holds_only_demo_data,
    remove_database,
    run_demo,
)
from ._scaffold import write_plugin

__all__ = ["main"]

_DB_HELP = "The SQLite database file [default: $STAGEBORGING_DB, else ./stageborging.db]."


def _db_option(function: Any) -> Any:
    return click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="STAGEBORGING_DB",
        default="stageborging.db",
        show_envvar=True,
        help=_DB_HELP,
    )(function)


def _configure_logging(verbose: int) -> None:
    """Render the library's log lines on stderr (the library itself never configures)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(colors=False),
            ],
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.stdlib.ExtraAdder(),
            ],
        )
    )
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers = [h for h in logger.handlers if isinstance(h, logging.NullHandler)]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


class _Failure(click.ClickException):
    """A library error shown as ``error: …`` with exit status 2 (not a traceback)."""

    exit_code = 2


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StageborgingError as exc:
            raise _Failure(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stageborging")
@click.option("-v", "--verbose", count=True, help="Log one line per command on stderr.")
def main(verbose: int) -> None:
    """Safeguard internships: run the demo, show lifecycles, verify the audit log."""
    _configure_logging(verbose)


# -- demo --------------------------------------------------------------------


@main.command()
@_db_option
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
def demo(db: Path, students: int, seed: int) -> None:
    """Drive a seeded demo cohort through a school year, then verify the audit log.

    Most students complete their internship; some meet refusals (an
    unrecognised employer, a missing signature, an amended agreement not
    re-signed), one is suspended and resumes, one is terminated and seeks a
    replacement, one withdraws; one discrimination report is handled with the
    reporter's consent and one without. The database is made fresh each run;
    an existing file that holds anything but demo data is never overwritten.
    """
    if db.exists():
        if not holds_only_demo_data(db):
            raise click.UsageError(
                f"{db} exists and holds data that is not from the demo; "
                "choose another --db (the demo starts from a fresh database)"
            )
        remove_database(db)
    clock = DemoClock()
    started = time.perf_counter()
    total = students * len(PHASES) + 6  # the two cases add three steps each
    with Engine(db, plugins=[DemoRegister()], clock=clock) as engine:
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
    click.echo(f"\nDemo cohort of {students} students (seed {seed}) in {db}, {elapsed:.1f} s\n")
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


# -- audit -------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Inspect the audit log (read-only; never changes the database)."""


def _known_lifecycles() -> list[LifecycleDefinition]:
    """The built-in lifecycles and those of installed plugins (a broken plugin: built-ins)."""
    try:
        with Engine(":memory:", entry_points=True) as engine:
            return list(engine.lifecycles.values())
    except PluginError as exc:
        click.echo(f"warning: plugin lifecycles not loaded: {exc}", err=True)
        return list(builtin())


@audit.command()
@_db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output for people or for tools.",
)
def verify(db: Path, fmt: str) -> None:
    """Recompute every stream's hash chain and check every stored column.

    Exit status: 0 intact, 1 broken (the stream and sequence number of the
    first broken link of each broken stream are printed), 2 the database
    cannot be opened. What this cannot see on its own (a cut-off tail with a
    rewritten projection, a whole stream recomputed) is explained in the docs.
    Lifecycles of installed plugins are known too, so their streams' facts are
    recomputed as well.
    """
    try:
        report = verify_database(db, _known_lifecycles())
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if fmt == "json":
        payload = {
            "ok": report.ok,
            "streams": report.streams,
            "events": report.events,
            "breaks": [
                {"stream": b.stream_id, "seq": b.seq, "problem": b.problem} for b in report.breaks
            ],
            "warnings": list(report.warnings),
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        if report.ok:
            click.echo(f"intact: {report.streams} streams, {report.events} events verified")
        else:
            click.echo(f"BROKEN: {len(report.breaks)} of {report.streams} streams")
            for brk in report.breaks:
                click.echo(f"  {brk}")
    sys.exit(0 if report.ok else 1)


# -- lifecycle ---------------------------------------------------------------


@main.group()
def lifecycle() -> None:
    """Show the lifecycle definitions."""


@main.command()
@_db_option
def plugins(db: Path) -> None:
    """List the plugins: installed ones (entry-point group ``stageborging``) and built-in.

    For each: its name, version, where it came from and the hooks it
    implements; then the plugins that were not loaded and why (blocked, or an
    import error). Exit status 1 when a plugin failed to import. The database
    is opened only if it exists (listing never creates one).
    """
    with Engine(db if db.exists() else ":memory:", entry_points=True) as engine:
        status, problems = engine.plugin_status(), engine.plugin_problems
        lifecycles = engine.lifecycles
    width = max((len(p.name) for p in status), default=4)
    for plugin in status:
        click.echo(f"{plugin.name:<{width}}  {plugin.version:<12} {plugin.source}")
        for hook in plugin.hooks:
            click.echo(f"{'':<{width}}    {hook}")
    custom = sorted(set(lifecycles) - {d.name for d in builtin()})
    if custom:
        click.echo(f"\nLifecycles from plugins: {', '.join(custom)}")
    if problems:
        click.echo("\nNot loaded:")
        for problem in problems:
            click.echo(f"  {problem.name}: {problem.problem}")
    if any(not p.problem.startswith("blocked") for p in problems):
        sys.exit(1)


@main.command("new-plugin")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write it [default: ./NAME].",
)
def new_plugin(name: str, directory: Path | None) -> None:
    """Write a ready-to-install plugin package NAME (e.g. roc-flags).

    It holds a check, a guidance step and a notification, tests that use the
    testing kit (and pass), a pyproject.toml with the entry point that makes
    stageborging find it, and a README. Install it with pip next to
    stageborging, and ``stageborging plugins`` lists it.
    """
    target = directory if directory is not None else Path(name)
    for path in write_plugin(name, target):
        click.echo(f"wrote {path}")
    click.echo(f"\nnext: pip install -e '{target}[tests]' && python -m pytest {target}")


@lifecycle.command()
@click.argument("name_or_file")
def check(name_or_file: str) -> None:
    """Prove that a lifecycle cannot bypass a hard rule.

    NAME_OR_FILE is a lifecycle's name (built-in or from an installed plugin)
    or a definition file (.json or .toml, the schema of the docs). Prints the
    verdict, or the counterexample: the path of transitions that reaches a
    protected phase without the rule it needs. Exit status 0 sound, 1 refused.
    """
    path = Path(name_or_file)
    try:
        if path.suffix in (".json", ".toml") or path.exists():
            definition = load_definition(path)
        else:
            with Engine(":memory:", entry_points=True) as engine:
                definition = engine.lifecycle(name_or_file)
    except UnguardedPath as refused:
        bypass = refused.bypass
        click.echo(f"{refused.definition}: refused")
        click.echo(f"  phase {bypass.phase!r} is reachable without the {bypass.rule} guard:")
        for trigger, source, dest in bypass.path:
            click.echo(f"    {source} -{trigger}-> {dest}")
        sys.exit(1)
    except DefinitionError as error:
        click.echo(f"{error.definition}: refused\n  {error.element}: {error.problem}")
        sys.exit(1)
    click.echo(
        f"{definition.name}: sound ({len(definition.states)} states, "
        f"{len(definition.transitions)} transitions; no way into a protected phase "
        "skips a hard rule)"
    )


@lifecycle.command()
@click.argument("name", default="mbo_bpv")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "mermaid"]),
    default="table",
    show_default=True,
    help="A table for reading, or a Mermaid stateDiagram-v2.",
)
def show(name: str, fmt: str) -> None:
    """Print the lifecycle NAME [default: mbo_bpv]: states, transitions, roles, guards.

    NAME is a built-in lifecycle or one an installed plugin contributes.
    """
    with Engine(":memory:", entry_points=True) as engine:
        definitions = dict(engine.lifecycles)
    if name not in definitions:
        raise click.BadParameter(
            f"{name!r} is not a lifecycle; known: {', '.join(definitions)}", param_hint="NAME"
        )
    definition = definitions[name]
    click.echo(definition.mermaid() if fmt == "mermaid" else definition.table(), nl=False)
