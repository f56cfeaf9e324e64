"""What the commands share: ``--db``, the plugin options and the registry they build."""

from __future__ import annotations

import contextlib
import os
import secrets
import tomllib
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import Registry
from ..core import Actor
from ..exceptions import InvalidInput
from ..privacy import MasterKey
from ..store import is_url

__all__ = [
    "OnceGroup",
    "check_new",
    "db_option",
    "existing_db",
    "given_once",
    "iso_moment",
    "master_key_option",
    "new_file",
    "parse_actor",
    "plugin_options",
    "printable",
    "registry",
    "shown_path",
    "warn_unmatched",
]

F = TypeVar("F", bound=Callable[..., Any])

_DB_HELP = (
    "The SQLite database file, or a postgresql:// URL [default: $STAGEBORGING_DB, "
    "else ./stageborging.db]."
)
_BLOCK_HELP = "A plugin not to load, by name (repeatable); 'stageborging plugins' lists the names."
_CONFIG_HELP = (
    "A TOML file of plugin settings, one table per plugin: [my-plugin] threshold = 3 "
    "gives the plugins {'my-plugin': {'threshold': 3}}."
)


#: How many characters of a path a message shows (a path can be thousands long).
_PATH_SHOWN = 80


def printable(text: str) -> str:
    """*text* on one line that any terminal can print: line breaks, other control
    characters and lone surrogates (from undecodable file names) as escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown_path(path: str | Path) -> str:
    """*path* for a message: printable, and its middle cut out when it is long."""
    text = printable(str(path))
    if len(text) <= _PATH_SHOWN:
        return text
    half = _PATH_SHOWN // 2
    return f"{text[:half]}…{text[-half:]} ({len(text)} characters)"


class OnceGroup(click.Group):
    """A command group whose commands refuse an option given twice: a second ``--db`` or
    ``--stream`` is an error, never the last one silently kept (Click keeps the last)."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, click.Group):
            _refuse_repeats(command, rest)
        return name, command, rest


def _refuse_repeats(command: click.Command, args: list[str]) -> None:
    single = {opt: param for param in command.params
              if isinstance(param, click.Option) and not (param.multiple or param.count
                                                          or param.is_flag)
              for opt in param.opts}  # fmt: skip
    seen: set[str] = set()
    for token in args:
        if token == "--":
            return
        option = token.split("=", 1)[0] if token.startswith("--") else token
        param = single.get(option)
        if param is not None and param.name is not None:
            if param.name in seen:
                raise click.UsageError(f"{option} is given more than once: give it once")
            seen.add(param.name)


def given_once(ctx: click.Context, param: click.Parameter, values: tuple[Any, ...]) -> Any:
    """The one value of an option declared ``multiple=True`` so that giving it twice is
    an error, not the last one silently kept (a checkpoint, a trusted key)."""
    if len(values) > 1:
        raise click.BadParameter("given more than once: give it once", ctx=ctx, param=param)
    return values[0] if values else None


def check_new(out: Path) -> None:
    """Refuse an output path that names no file or one that exists (before any work)."""
    if not out.name or out.is_dir():
        raise click.UsageError(f"{shown_path(out)!r}: names no file; give a new file's name")
    if out.exists() or out.is_symlink():
        raise click.UsageError(f"{shown_path(out)}: exists; choose a new file")


@contextlib.contextmanager
def new_file(out: Path) -> Iterator[Any]:
    """A text file to write *out* through, readable by its owner only: whole or not at
    all. It is written beside *out* under a temporary name and linked to *out* only when
    the writing ended without an error; an *out* that exists is never overwritten (it is
    refused before any work, and again at the link, should it appear meanwhile)."""
    check_new(out)
    temporary = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise click.BadParameter(f"{shown_path(out)}: cannot be written ({exc.strerror})",
                                 param_hint="'--out'") from None  # fmt: skip
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            yield file
        try:
            os.link(temporary, out)  # fails, as O_EXCL would, where *out* appeared
        except FileExistsError:
            raise click.UsageError(f"{shown_path(out)}: exists; choose a new file") from None
    finally:
        temporary.unlink(missing_ok=True)


def iso_moment(value: str) -> datetime:
    """*value* as an aware datetime (an ISO time with its offset), else a usage error."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("must be an ISO time such as 2027-03-16T09:00:00+01:00") from None
    if moment.utcoffset() is None:
        raise click.BadParameter("must say its offset (…+01:00 or …Z): a time is a moment")
    return moment


def parse_actor(ctx: click.Context, param: click.Parameter, value: str | None) -> Actor | None:
    """``--actor ROLE:ID`` as an Actor (None when not given)."""
    if value is None:
        return None
    role, sep, actor_id = value.partition(":")
    if not sep:
        raise click.BadParameter(f"{printable(value)!r}: give ROLE:ID, e.g. system:sis", ctx, param)
    return Actor(actor_id, role)


def _usable_db(ctx: click.Context, param: click.Parameter, value: str) -> Path | str:
    """A ``postgresql://`` URL as given, else a path the system can look up."""
    if is_url(value):
        return value
    return _usable_path(ctx, param, Path(value))


def _usable_path(ctx: click.Context, param: click.Parameter, path: Path) -> Path:
    """*path*, if the system can look it up (it need not exist): else a usage error.

    A name too long, a parent that is a file, or a folder that may not be read
    is a one-line error with exit status 2 before any command opens the file.
    """
    try:
        path.stat()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise click.BadParameter(f"{shown_path(path)}: {exc.strerror}", ctx, param) from None
    return path


def db_option(function: F) -> F:
    """``--db FILE|URL``, from ``$STAGEBORGING_DB``, else ``./stageborging.db``: a Path,
    or a ``postgresql://`` URL as a string."""
    return click.option(
        "--db",
        "db",
        metavar="FILE|URL",
        envvar="STAGEBORGING_DB",
        default="stageborging.db",
        show_envvar=True,
        callback=_usable_db,
        help=_DB_HELP,
    )(function)


def existing_db(db: Path | str) -> Path | str:
    """*db*, when it is a URL or a file that exists: a wrong path must not create one."""
    if isinstance(db, Path) and db.is_dir():
        raise click.UsageError(f"{shown_path(db)}: is a directory, not a database file")
    if isinstance(db, Path) and not db.exists():
        raise click.UsageError(f"{shown_path(db)}: no such database file")
    return db


def _master_key(ctx: click.Context, param: click.Parameter, path: Path | None) -> MasterKey | None:
    """The master key in the file *path*, else in ``$STAGEBORGING_MASTER_KEY``, else None."""
    if path is not None:
        try:
            return MasterKey.from_file(path)
        except InvalidInput as exc:
            raise click.BadParameter(f"{exc.problem}", ctx, param) from None
    if "STAGEBORGING_MASTER_KEY" in os.environ:
        try:
            return MasterKey.from_env()
        except InvalidInput as exc:
            raise click.UsageError(f"$STAGEBORGING_MASTER_KEY {exc.problem}") from None
    return None


def master_key_option(function: F) -> F:
    """``--key-file FILE`` (``$STAGEBORGING_MASTER_KEY_FILE``), else the key itself in
    ``$STAGEBORGING_MASTER_KEY``: the master key, or None."""
    return click.option(
        "--key-file",
        "master_key",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="STAGEBORGING_MASTER_KEY_FILE",
        show_envvar=True,
        callback=_master_key,
        help="The master key file (from 'stageborging keys generate'); else the key in "
        "$STAGEBORGING_MASTER_KEY, else a key provider plugin.",
    )(function)


def _read_config(
    ctx: click.Context, param: click.Parameter, path: Path | None
) -> dict[str, Any] | None:
    """The settings in the TOML file *path*: a usage error names the file and the problem."""
    if path is None:
        return None
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise click.BadParameter(f"{path}: cannot be read: {exc.strerror}", ctx, param) from None
    except ValueError as exc:  # tomllib.TOMLDecodeError, or bytes that are not UTF-8
        raise click.BadParameter(f"{path}: not valid TOML: {exc}", ctx, param) from None
    loose = [key for key, value in data.items() if not isinstance(value, dict)]
    if loose:
        raise click.BadParameter(
            f"{path}: {', '.join(map(repr, loose))} is not in a table; "
            "settings go in one table per plugin, e.g. [my-plugin]",
            ctx,
            param,
        )
    return data


def plugin_options(function: F) -> F:
    """``--block NAME`` (repeatable) and ``--config FILE`` (``$STAGEBORGING_CONFIG``)."""
    function = click.option(
        "--config",
        "config",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        envvar="STAGEBORGING_CONFIG",
        show_envvar=True,
        callback=_read_config,
        help=_CONFIG_HELP,
    )(function)
    return click.option("--block", "block", multiple=True, metavar="NAME", help=_BLOCK_HELP)(
        function
    )


def registry(block: tuple[str, ...], config: Mapping[str, Any] | None) -> Registry:
    """The installation's plugins (installed ones included) and lifecycles; no database.

    A blocked name that matches no plugin is a warning on stderr (a typo blocks nothing).
    """
    found = Registry(entry_points=True, block=block, config=config)
    warn_unmatched(block, found, config, strict=True)
    return found


#: The tables of a config file that hold no plugin's settings (the working days, the
#: rejection-pattern statistics, the dispatcher's retries).
OWN_TABLES = frozenset({"calendar", "patterns", "dispatch"})


def warn_unmatched(
    block: tuple[str, ...],
    found: Registry,
    config: Mapping[str, Any] | None = None,
    *,
    strict: bool = False,
) -> None:
    """Warn about each ``--block`` name that matched no plugin of *found*; refuse (or,
    not *strict*, warn about) a config table that names no plugin: a misspelled table
    would leave its plugin's settings silently unset."""
    blocked = {p.name for p in found.plugin_problems}
    for name in dict.fromkeys(block):
        if name not in blocked:
            click.echo(f"warning: --block {name}: no plugin of that name", err=True)
    known = {p.name for p in found.plugins} | blocked | set(block) | OWN_TABLES
    stray = sorted(set(config or {}) - known)
    if not stray:
        return
    problem = (
        f"[{stray[0]}] names no installed plugin (plugins: "
        f"{', '.join(sorted(p.name for p in found.plugins))}); check the table's name"
    )
    if strict:
        raise click.BadParameter(problem, param_hint="'--config'")
    click.echo(f"warning: --config {problem}", err=True)
