"""The engine a command runs on, with the config file's own tables: ``[calendar]`` (the
working days guidance counts in) and ``[patterns]`` (how the rejection-pattern alert is
computed); every other table holds a plugin's settings."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from ..core import InvalidInput
from ..employers import PatternSettings
from ..engine import Engine
from ..guidance import WorkingDays
from ..privacy import MasterKey
from ..store import open_store
from ._options import existing_db, registry

__all__ = ["configured_engine"]


def _calendar(config: dict[str, Any] | None) -> tuple[WorkingDays, dict[str, Any] | None]:
    """The ``[calendar]`` table of the config file as working days, and the rest."""
    if config is None or "calendar" not in config:
        return WorkingDays(), config
    rest = {k: v for k, v in config.items() if k != "calendar"}
    table = dict(config["calendar"])
    for name in ("closures", "open_days"):
        days = table.get(name, [])
        if not isinstance(days, list) or not all(type(d) is date for d in days):
            raise click.BadParameter(
                f"[calendar] {name} must be a list of dates (2027-04-26, unquoted)",
                param_hint="--config",
            )
    try:
        return WorkingDays(**table), rest
    except TypeError:
        known = "country, categories, closures, open_days"
        raise click.BadParameter(f"[calendar] takes {known}", param_hint="--config") from None
    except InvalidInput as exc:
        raise click.BadParameter(f"[calendar] {exc.field}: {exc.problem}",
                                 param_hint="--config") from None  # fmt: skip


def _patterns(config: dict[str, Any] | None) -> tuple[PatternSettings, dict[str, Any] | None]:
    """The ``[patterns]`` table of the config file as settings, and the rest."""
    if config is None or "patterns" not in config:
        return PatternSettings(), config
    rest = {k: v for k, v in config.items() if k != "patterns"}
    try:
        return PatternSettings(**config["patterns"]), rest
    except TypeError:
        known = "window_days, min_applications, alpha"
        raise click.BadParameter(f"[patterns] takes {known}", param_hint="--config") from None
    except InvalidInput as exc:
        raise click.BadParameter(f"[patterns] {exc.field}: {exc.problem}",
                                 param_hint="--config") from None  # fmt: skip


def configured_engine(
    db: Path | str,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
    read_only: bool = False,
    institution: str | None = None,
    master_key: MasterKey | None = None,
) -> Engine:
    """An engine on *db* (a database that exists: a wrong path in a cron job must not
    tick an empty new file) with the installed plugins, the config file's calendar and
    pattern settings, and the master key when given."""
    existing_db(db)
    calendar, rest = _calendar(config)
    patterns, rest = _patterns(rest)
    found = registry(block, rest)
    store = open_store(db, read_only=True) if read_only else db
    return Engine(store, registry=found, calendar=calendar, institution=institution,
                  patterns=patterns, master_key=master_key)  # fmt: skip
