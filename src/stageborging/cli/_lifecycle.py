"""``stageborging lifecycle``: show a lifecycle, or prove it keeps the hard rules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..exceptions import DefinitionError, UnguardedPath
from ..lifecycles import load_definition
from ._options import plugin_options, registry

__all__ = ["lifecycle"]


@click.group()
def lifecycle() -> None:
    """Show the lifecycle definitions."""


@lifecycle.command()
@click.argument("name_or_file")
@plugin_options
def check(name_or_file: str, block: tuple[str, ...], config: dict[str, Any] | None) -> None:
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
            definition = registry(block, config).lifecycle(name_or_file)
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
@plugin_options
def show(name: str, fmt: str, block: tuple[str, ...], config: dict[str, Any] | None) -> None:
    """Print the lifecycle NAME [default: mbo_bpv]: states, transitions, roles, guards.

    NAME is a built-in lifecycle or one an installed plugin contributes.
    """
    definitions = registry(block, config).lifecycles
    if name not in definitions:
        raise click.BadParameter(
            f"{name!r} is not a lifecycle; known: {', '.join(definitions)}", param_hint="NAME"
        )
    definition = definitions[name]
    click.echo(definition.mermaid() if fmt == "mermaid" else definition.table(), nl=False)
