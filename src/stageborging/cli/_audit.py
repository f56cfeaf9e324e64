"""``stageborging audit``: inspect the audit log (read-only)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from .. import LifecycleDefinition, verify_database
from ..exceptions import PluginError, StoreError
from ..lifecycles import builtin
from ._options import db_option, plugin_options, registry

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """Inspect the audit log (read-only; never changes the database)."""


def _known_lifecycles(
    block: tuple[str, ...], config: Mapping[str, Any] | None
) -> list[LifecycleDefinition]:
    """The built-in lifecycles and those of installed plugins (a broken plugin: built-ins)."""
    try:
        return list(registry(block, config).lifecycles.values())
    except PluginError as exc:
        click.echo(f"warning: plugin lifecycles not loaded: {exc}", err=True)
        return list(builtin())


@audit.command()
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output for people or for tools.",
)
@plugin_options
def verify(db: Path | str, fmt: str, block: tuple[str, ...], config: dict[str, Any] | None) -> None:
    """Recompute every stream's hash chain and check every stored column.

    Each event is checked against the version of its definition stamped on it
    (its trigger or fact, its states) and every stream's facts are recomputed
    event by event, across migrations. The versions known are those the
    database stored, every built-in version a release shipped, and those of
    installed plugins.

    Exit status: 0 intact, 1 broken (the stream and sequence number of the
    first broken link of each broken stream are printed), 2 the database
    cannot be opened, or streams are under a definition version this verifier
    does not know (the digests are printed: their chains are intact, but the
    events could not be judged against their definition). What this cannot see
    on its own (a cut-off tail with a rewritten projection, a whole stream
    recomputed) is explained in the docs.
    """
    try:
        report = verify_database(db, _known_lifecycles(block, config))
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if fmt == "json":
        payload = {
            "ok": report.ok,
            "judged": report.judged,
            "streams": report.streams,
            "events": report.events,
            "versions": report.versions,
            "breaks": [
                {"stream": b.stream_id, "seq": b.seq, "problem": b.problem} for b in report.breaks
            ],
            "problems": list(report.problems),
            "unknown": [
                {"lifecycle": u.lifecycle, "digest": u.digest, "streams": u.streams}
                for u in report.unknown
            ],
            "stamped": [
                {
                    "lifecycle": v.lifecycle,
                    "digest": v.digest,
                    "streams": v.streams,
                    "known": v.known,
                }
                for v in report.stamped
            ],
            "warnings": list(report.warnings),
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        if report.ok and report.judged:
            click.echo(f"intact: {report.streams} streams, {report.events} events verified")
        elif report.ok:
            click.echo(
                f"CANNOT JUDGE: chains intact ({report.streams} streams, {report.events} "
                "events), but some definition versions are unknown to this verifier"
            )
        else:
            broken = f"{len(report.breaks)} of {report.streams} streams"
            if report.problems:
                broken += f", {len(report.problems)} stored definition(s)"
            click.echo(f"BROKEN: {broken}")
            for brk in report.breaks:
                click.echo(f"  {brk}")
            for problem in report.problems:
                click.echo(f"  {problem}")
        for version in report.stamped:
            click.echo(f"  {version}")
    sys.exit(0 if report.ok and report.judged else 1 if not report.ok else 2)
