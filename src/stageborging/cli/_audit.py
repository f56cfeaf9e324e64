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
def verify(db: Path, fmt: str, block: tuple[str, ...], config: dict[str, Any] | None) -> None:
    """Recompute every stream's hash chain and check every stored column.

    Exit status: 0 intact, 1 broken (the stream and sequence number of the
    first broken link of each broken stream are printed), 2 the database
    cannot be opened. What this cannot see on its own (a cut-off tail with a
    rewritten projection, a whole stream recomputed) is explained in the docs.
    Lifecycles of installed plugins are known too, so their streams' facts are
    recomputed as well.
    """
    try:
        report = verify_database(db, _known_lifecycles(block, config))
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
