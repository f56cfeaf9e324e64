"""``stageborging new-plugin``: write a plugin package to start from."""

from __future__ import annotations

from pathlib import Path

import click

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
    for path in write_plugin(name, target):
        click.echo(f"wrote {path}")
    click.echo(f"\nnext: pip install -e '{target}[tests]' && python -m pytest {target}")
