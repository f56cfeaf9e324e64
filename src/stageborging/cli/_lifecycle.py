"""``stageborging lifecycle``: show a lifecycle, prove it keeps the hard rules, export it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from .. import __version__
from ..exceptions import DefinitionError, UnguardedPath
from ..lifecycles import (
    LifecycleDefinition,
    definition_from_data,
    definition_to_toml,
    read_definition_data,
)
from ._options import OnceGroup, plugin_options, printable, registry, shown_path

__all__ = ["lifecycle"]

_SUFFIXES = {".json": "json", ".toml": "toml"}


@click.group(cls=OnceGroup)
def lifecycle() -> None:
    """Show the lifecycle definitions, check them, or export one as a file."""


def _malformed(path: str, error: DefinitionError) -> NoReturn:
    """Exit status 2 with one line naming the file, the key path and the problem."""
    where = "" if error.element == "file" else f"{printable(error.element)}: "
    click.echo(f"error: {shown_path(path)}: {where}{printable(error.problem)}", err=True)
    sys.exit(2)


def _refused(error: DefinitionError) -> NoReturn:
    """Exit status 1: the verdict, then the counterexample or the broken rule."""
    click.echo(f"{printable(error.definition)}: refused")
    if isinstance(error, UnguardedPath):
        bypass = error.bypass
        click.echo(f"  phase {bypass.phase!r} is reachable without the {bypass.rule} guard:")
        for trigger, source, dest in bypass.path:
            click.echo(printable(f"    {source} -{trigger}-> {dest}"))
    else:
        click.echo(f"  {printable(error.element)}: {printable(error.problem)}")
    sys.exit(1)


@lifecycle.command()
@click.argument("name_or_file")
@plugin_options
def check(name_or_file: str, block: tuple[str, ...], config: dict[str, Any] | None) -> None:
    """Prove that a lifecycle cannot bypass a hard rule.

    NAME_OR_FILE is a lifecycle's name (built-in or from an installed plugin)
    or a definition file (.json or .toml, the schema of the docs). Prints the
    verdict, or the counterexample: the path of transitions that reaches a
    protected phase without the rule it needs.

    Exit status: 0 sound; 1 refused (an unsound lifecycle: the counterexample,
    or the state, transition or fact at fault); 2 a file that cannot be read or
    does not fit the schema (one line naming the key path, such as
    transitions[3].sources), or an unknown name.
    """
    definition: LifecycleDefinition
    try:
        if Path(name_or_file).suffix in _SUFFIXES or os.path.isfile(name_or_file):
            try:
                data = read_definition_data(name_or_file)
            except DefinitionError as error:
                _malformed(name_or_file, error)
            definition = definition_from_data(data, source=Path(name_or_file).name)
            taken = registry(block, config).lifecycles.get(definition.name)
            if taken is not None and taken.digest != definition.digest:
                raise DefinitionError(
                    definition.name,
                    "name",
                    "is the name of a lifecycle that exists (built in or from a plugin) and "
                    "differs from it; a variant needs a name of its own",
                )
        else:
            definition = registry(block, config).lifecycle(name_or_file)
    except DefinitionError as error:
        _refused(error)
    click.echo(
        f"{definition.name}: sound ({len(definition.states)} states, "
        f"{len(definition.transitions)} transitions; no way into a protected phase "
        "skips a hard rule)"
    )


def _definition(
    name: str, block: tuple[str, ...], config: dict[str, Any] | None
) -> LifecycleDefinition:
    definitions = registry(block, config).lifecycles
    if name not in definitions:
        raise click.BadParameter(
            f"{printable(repr(name))} is not a lifecycle; known: {', '.join(definitions)}",
            param_hint="NAME",
        )
    return definitions[name]


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
    definition = _definition(name, block, config)
    click.echo(definition.mermaid() if fmt == "mermaid" else definition.table(), nl=False)


def _as_text(definition: LifecycleDefinition, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(definition.to_json(), indent=2, ensure_ascii=False) + "\n"
    return (
        f"# The lifecycle {definition.name}, exported by stageborging {__version__}.\n"
        "# Give it a name of its own before you change it and use it beside the original;\n"
        f"# check it with: stageborging lifecycle check FILE\n\n{definition_to_toml(definition)}"
    )


@lifecycle.command()
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "toml"]),
    default=None,
    help="The file's format [default: that of --out's suffix, else json].",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a new .json or .toml file (never overwriting one) instead of standard output.",
)
@plugin_options
def export(
    name: str,
    fmt: str | None,
    out: Path | None,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Write the lifecycle NAME as a definition file to start from.

    NAME is a built-in lifecycle or one an installed plugin contributes. The
    file has the schema of the docs: change it, check it with ``stageborging
    lifecycle check FILE``, and load it with ``load_definition``. Unchanged, it
    loads back to the same definition (the same digest).

    Exit status: 0 written; 2 an unknown name, or a file that exists already
    or cannot be written.
    """
    if out is not None:
        implied = _SUFFIXES.get(out.suffix)
        if implied is None:
            raise click.BadParameter(
                f"{shown_path(out)}: use a .json or .toml file (what check and load read)",
                param_hint="--out",
            )
        if fmt is not None and fmt != implied:
            raise click.BadParameter(
                f"{shown_path(out)}: a {fmt} file needs the suffix .{fmt}", param_hint="--out"
            )
        fmt = implied
    text = _as_text(_definition(name, block, config), fmt or "json")
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        file = out.open("x", encoding="utf-8")
    except FileExistsError:
        click.echo(f"error: {shown_path(out)}: exists; choose another file", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"error: {shown_path(out)}: cannot be written: {exc.strerror}", err=True)
        sys.exit(2)
    try:
        with file:
            file.write(text)
    except OSError as exc:  # a full disk: no half a file to start from
        out.unlink(missing_ok=True)
        click.echo(f"error: {shown_path(out)}: cannot be written: {exc.strerror}", err=True)
        sys.exit(2)
    click.echo(f"wrote {shown_path(out)}", err=True)
