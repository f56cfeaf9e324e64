"""``stageborging new-plugin``: write a plugin package to start from."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._options import shown_path
from ._scaffold import write_plugin

__all__ = ["new_plugin"]


@click.command("new-plugin")
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
    try:
        written = write_plugin(name, target)
    except OSError as exc:  # nothing was written: the package appears whole or not at all
        click.echo(f"error: {shown_path(target)}: cannot be written: {exc.strerror}", err=True)
        sys.exit(2)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"\nnext: pip install -e '{target}[tests]' && python -m pytest {target}")
