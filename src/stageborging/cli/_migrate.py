"""``stageborging lifecycle migrate``: list pending versions, migrate streams explicitly."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..core import Actor, MigrationStep, Version, excerpt
from ..engine import Engine, Registry
from ..exceptions import DefinitionError, InvalidInput
from ..lifecycles import load_definition, load_version, read_definition_data
from ..store import open_store
from ._options import (
    db_option,
    parse_actor,
    plugin_options,
    printable,
    shown_path,
    warn_unmatched,
)

__all__ = ["add_version", "migrate"]

_SHORT = 12
#: The option that gave each argument of Engine.migrate_all.
_OPTIONS = {
    "only_from": "--from", "to": "--to", "mapping": "--map", "reason": "--reason",
    "actor": "--actor", "lifecycle": "NAME",
}  # fmt: skip


def _mapping(ctx: click.Context, param: click.Parameter, pairs: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old or not new:
            raise click.BadParameter(f"{printable(pair)!r}: give OLD=NEW", ctx, param)
        if old in mapping:
            raise click.BadParameter(f"{printable(old)!r} is mapped twice", ctx, param)
        mapping[old] = new
    return mapping


def _status(version: Version, loaded: bool) -> str:
    if version.current:
        return "current"
    if not version.known:
        return "unknown: store its definition file (stageborging lifecycle add-version)"
    unsafe = f"; refused by this release's hard rules: {version.unsafe}" if version.unsafe else ""
    if not version.streams:
        return f"stored, no streams{unsafe}"
    if not version.running:
        return f"ended streams only (they keep this version){unsafe}"
    if not loaded:
        return (
            f"{version.running} running stream(s); no current version loaded to migrate "
            "them to (give --lifecycle FILE)"
        )
    return f"pending: {version.running} running stream(s) to migrate{unsafe}"


def _list(engine: Engine, fmt: str) -> None:
    versions = engine.versions()
    if fmt == "json":
        rows = [
            {
                "lifecycle": v.lifecycle, "digest": v.digest, "current": v.current,
                "known": v.known, "unsafe": v.unsafe, "streams": v.streams,
                "running": v.running, "pending": v.pending,
            }
            for v in versions
        ]  # fmt: skip
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'LIFECYCLE':<16} {'VERSION':<{_SHORT}}  {'STREAMS':>7} {'RUNNING':>7}  STATUS")
    loaded = {v.lifecycle for v in versions if v.current}
    for v in versions:
        status = printable(_status(v, v.lifecycle in loaded))
        click.echo(
            f"{printable(v.lifecycle):<16} {v.digest[:_SHORT]}  {v.streams:>7} {v.running:>7}"
            f"  {status}"
        )
    pending = [v for v in versions if v.pending]
    stuck = [v for v in versions if v.running and not v.current and not v.pending]
    if stuck:
        click.echo(
            f"{sum(v.running for v in stuck)} running stream(s) cannot be migrated yet: "
            "see their status (store an unknown version with lifecycle add-version; give "
            "your own lifecycle's current file with --lifecycle FILE)."
        )
    if not pending and not stuck:
        click.echo("Nothing to migrate: every running stream is under its current version.")
    elif pending:
        names = sorted({v.lifecycle for v in pending})
        click.echo(
            "Migrate with: stageborging lifecycle migrate --db PATH NAME --actor ROLE:ID "
            f"--reason CODE [--dry-run]  (NAME: {', '.join(names)})"
        )


def _outcome(step: MigrationStep, dry_run: bool) -> str:
    if step.allowed:
        return "would move" if dry_run else "moved"
    blocking = [f for f in step.findings if f.blocks]
    return "refused: " + "; ".join(f"{f.code}: {f.message}" for f in blocking)


def _show(steps: tuple[MigrationStep, ...], name: str, dry_run: bool, fmt: str) -> None:
    if fmt == "json":
        rows = [
            {
                "stream": s.stream_id, "from_version": s.from_version,
                "to_version": s.to_version, "from_state": s.from_state,
                "to_state": s.to_state, "allowed": s.allowed,
                "moved": s.event is not None,
                "findings": [f.to_json() for f in s.findings],
            }
            for s in steps
        ]  # fmt: skip
        click.echo(json.dumps(rows, indent=2))
        return
    if not steps:
        click.echo(
            f"{printable(name)}: nothing to migrate (no running stream is under another version)"
        )
        return
    target = steps[0].to_version[:_SHORT]
    click.echo(f"{printable(name)}: {len(steps)} running stream(s) to version {target}")
    for s in steps:
        move = f"{s.from_state} -> {s.to_state}"
        click.echo(
            printable(f"  {s.stream_id}  {s.from_version[:_SHORT]}  {move:<40} ")
            + printable(_outcome(s, dry_run))
        )
    allowed = sum(s.allowed for s in steps)
    verb = "would move" if dry_run else "moved"
    click.echo(
        f"{verb} {allowed}, refused {len(steps) - allowed}"
        + (" (dry run: nothing written)" if dry_run else " (nothing written for a refusal)")
    )


@click.command()
@click.argument("name", required=False)
@db_option
@click.option(
    "--from", "only_from", metavar="DIGEST", default=None,
    help="Only the streams under this version (a digest or 8+ of its first characters).",
)  # fmt: skip
@click.option(
    "--to", "to", metavar="DIGEST", default="current", show_default=True,
    help="The version to move to: 'current' (the one new streams get) or a digest.",
)  # fmt: skip
@click.option(
    "--map", "mapping", multiple=True, metavar="OLD=NEW", callback=_mapping,
    help="Move streams in state OLD to state NEW (repeatable); needed for a state that is gone.",
)  # fmt: skip
@click.option(
    "--actor", "actor", metavar="ROLE:ID", callback=parse_actor, default=None,
    help="Who migrates (system, placement_office or team_lead), e.g. system:sis-2027.",
)  # fmt: skip
@click.option(
    "--reason", metavar="CODE", default=None,
    help="Why, as a code of your own (school_year_2027); recorded on every stream.",
)  # fmt: skip
@click.option(
    "--lifecycle", "files", multiple=True, metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A definition file (.toml or .json) to load: the new version of your own lifecycle.",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Judge every stream and write nothing.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table",
    show_default=True, help="Output for people or for tools.",
)  # fmt: skip
@plugin_options
def migrate(
    name: str | None,
    db: Path | str,
    only_from: str | None,
    to: str,
    mapping: dict[str, str],
    actor: Actor | None,
    reason: str | None,
    files: tuple[Path, ...],
    dry_run: bool,
    fmt: str,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Move running streams to another version of their lifecycle definition.

    Without NAME, lists every version the database's streams are under and
    what is pending; nothing is written. With NAME, migrates every running
    stream of that lifecycle that is not under the target version, each with
    a recorded ``migrated`` event (from and to version, the state mapping, who
    and why). A stream whose state is gone needs --map; one the new version's
    hard rules would not let into its state is refused with the reason, and
    nothing is written for it. Ended streams keep their version. The engine
    never migrates by itself.

    Exit status: 0 every stream moved (or would); 1 some were refused; 2 bad
    input or a database that cannot be opened.
    """
    if isinstance(db, Path) and not db.is_file():
        click.echo(f"error: {shown_path(db)}: no such database file", err=True)
        sys.exit(2)
    definitions = []
    for file in files:
        try:
            definitions.append(load_definition(file))
        except DefinitionError as exc:
            click.echo(f"error: {shown_path(file)}: {printable(str(exc))}", err=True)
            sys.exit(2)
    found = Registry(entry_points=True, block=block, config=config, lifecycles=definitions)
    warn_unmatched(block, found, config, strict=True)
    if name is None:  # listing reads only: it never creates or migrates a schema
        with Engine(open_store(db, read_only=True), registry=found) as engine:
            _list(engine, fmt)
        return
    with Engine(db, registry=found) as engine:
        if not dry_run:
            missing = [
                opt for opt, value in (("--actor", actor), ("--reason", reason)) if not value
            ]
            if missing:
                raise click.UsageError(f"{' and '.join(missing)} needed (or --dry-run)")
        try:
            steps = engine.migrate_all(
                name,
                actor=actor or Actor("dry-run", "system"),
                reason=reason or "dry_run",
                to=to,
                mapping=mapping,
                only_from=only_from,
                dry_run=dry_run,
            )
        except InvalidInput as exc:
            option = _OPTIONS.get(exc.field.partition(".")[0])
            if option is None:
                raise
            if exc.field == "lifecycle" and not files:
                exc.problem += "; for your own lifecycle give its file with --lifecycle FILE"
            shown = printable(f"{excerpt(exc.value)}: {exc.problem}")
            raise click.BadParameter(shown, param_hint=option) from None
        _show(steps, name, dry_run, fmt)
    sys.exit(0 if all(s.allowed for s in steps) else 1)


@click.command("add-version")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def add_version(file: Path, db: Path | str) -> None:
    """Store FILE in the database as a version of its lifecycle, without making it current.

    For streams under a version the engine does not know (last year's file,
    a database of an earlier release): store that version's definition file,
    and its streams can be read, verified and migrated. A file this release's
    hard rules refuse is stored too (its streams stay read-only until they are
    migrated). Storing a version twice is harmless.

    Exit status: 0 stored; 2 a file that cannot be read or is no definition, or
    a database that cannot be opened.
    """
    if isinstance(db, Path) and not db.is_file():
        click.echo(f"error: {shown_path(db)}: no such database file", err=True)
        sys.exit(2)
    try:
        definition = load_version(read_definition_data(file), file.name)
    except DefinitionError as exc:
        click.echo(f"error: {shown_path(file)}: {printable(str(exc))}", err=True)
        sys.exit(2)
    with Engine(db) as engine:
        version = engine.add_version(definition)
    state = "current" if version.current else f"{version.running} running stream(s) under it"
    click.echo(f"{printable(version.lifecycle)} version {version.digest[:_SHORT]} stored ({state})")
