"""``stageborging plugins``: the installed and built-in plugins, and those not loaded."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..lifecycles import builtin
from ._options import plugin_options, registry

__all__ = ["plugins"]


@click.command()
@click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    hidden=True,
    help="Ignored: listing plugins needs no database (accepted for older scripts).",
)
@plugin_options
def plugins(db: Path | None, block: tuple[str, ...], config: dict[str, Any] | None) -> None:
    """List the plugins: installed ones (entry-point group ``stageborging``) and built-in.

    For each: its name, version, where it came from and the hooks it
    implements; then the plugins that were not loaded and why (blocked, or an
    import error). Exit status 1 when a plugin failed to import. No database
    is opened or created.
    """
    found = registry(block, config)
    status, problems, lifecycles = found.plugin_status(), found.plugin_problems, found.lifecycles
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
