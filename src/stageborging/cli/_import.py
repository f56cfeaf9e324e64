"""``stageborging import``: internships already running, from a CSV file, in batches."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import click

from ..core import Actor, Finding, InvalidInput, Refused, StageborgingError, check_identifier
from ..engine import Engine, Registry
from ..lifecycles import (
    EVIDENCE_FIELDS,
    IMPORT_ROLES,
    FieldKind,
    FieldSpec,
    Kind,
    LifecycleDefinition,
    import_needs,
)
from ..store import SQLiteStore, Store, open_store
from ._options import db_option, parse_actor, plugin_options, printable, registry, shown_path

__all__ = ["import_csv"]

#: Columns that are neither opening data nor evidence.
_META = ("lifecycle", "state", "stream_id", "command_id", "institution")
_EVIDENCE = {spec.name: spec for spec in EVIDENCE_FIELDS}
#: A whole number as a CSV cell writes it: ASCII digits, a minus sign at most.
_WHOLE = re.compile(r"-?[0-9]{1,18}")


class _Row:
    """One row's outcome, as printed."""

    def __init__(self, line: int, outcome: str, detail: str, **record: Any) -> None:
        self.line, self.outcome, self.detail = line, outcome, detail
        self.record = {"row": line, "outcome": outcome, **record}


def _store(db: Path | str, dry_run: bool) -> Store:
    """The database to import into; for a dry run one that is never written (the file
    read-only, or an empty database in memory when there is none yet)."""
    if not dry_run:
        return open_store(db)
    if isinstance(db, Path) and not db.exists():
        return SQLiteStore(":memory:")
    return open_store(db, read_only=True)


def _value(spec: FieldSpec, field: str, text: str) -> object:
    """A CSV cell as the field's kind takes it: integers parsed, code lists split."""
    if spec.kind is FieldKind.INT:
        if not _WHOLE.fullmatch(text):
            raise InvalidInput(field, text, "must be a whole number (digits 0-9)")
        return int(text)
    if spec.kind is FieldKind.CODES:
        return [code for code in text.replace(";", " ").replace(",", " ").split() if code]
    return text


def _arguments(
    row: Mapping[str, str], definition: LifecycleDefinition, defaults: Mapping[str, str]
) -> dict[str, Any]:
    """The keyword arguments of ``import_stream`` for one row (empty cells: absent)."""
    opening = {spec.name: spec for spec in definition.open_fields}
    data: dict[str, object] = {}
    evidence: dict[str, object] = {}
    meta: dict[str, str] = {}
    for column, cell in row.items():
        text = (cell or "").strip()
        if not text or column == "lifecycle":
            continue
        if column in _META:
            meta[column] = text
        elif column in opening:
            data[column] = _value(opening[column], f"data.{column}", text)
        elif column in _EVIDENCE:
            evidence[column] = _value(_EVIDENCE[column], f"evidence.{column}", text)
        else:  # a column another lifecycle of the file has: named, its cell not shown
            raise InvalidInput(column, column, f"is no opening field of {definition.name}")
    if "source" in defaults:
        evidence.setdefault("source", defaults["source"])
    if "state" not in meta:
        raise InvalidInput("state", None, "required: the state the internship is in")
    institution = meta.get("institution", defaults.get("institution"))
    return {
        "state": meta["state"],
        "data": data,
        "evidence": evidence,
        "stream_id": meta.get("stream_id"),
        "command_id": meta.get("command_id"),
        "institution": institution,
    }


def _refusal(findings: tuple[Finding, ...]) -> str:
    return "; ".join(f"{f.code}: {f.message}" for f in findings if f.blocks)


def _check_header(
    path: Path, names: list[str], engine: Registry, default_lifecycle: str | None
) -> None:
    """A usage error unless every column of the header is one an import takes (before any
    row is read: a file of another separator or a mistyped column fails as a whole)."""
    lifecycles = [engine.lifecycle(default_lifecycle)] if default_lifecycle else []
    if "lifecycle" in names or not lifecycles:
        lifecycles = [d for d in engine.lifecycles.values() if d.kind is Kind.INTERNSHIP]
    known = {*_META, *_EVIDENCE, *(f.name for d in lifecycles for f in d.open_fields)}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise click.BadParameter(
            f"{shown_path(path)}: unknown column(s) {', '.join(map(repr, unknown))[:300]}; "
            f"the file is comma-separated, its columns: {', '.join(sorted(known))}",
            param_hint="FILE",
        )
    if "state" not in names:
        raise click.BadParameter(f"{shown_path(path)}: no 'state' column", param_hint="FILE")
    if "lifecycle" not in names and not default_lifecycle:
        raise click.BadParameter(
            f"{shown_path(path)}: no 'lifecycle' column: give --lifecycle", param_hint="FILE"
        )


def _check_options(
    engine: Registry, lifecycle: str | None, actor: Actor, defaults: Mapping[str, str]
) -> None:
    """Usage errors for options no row can use, before any row is read."""
    try:
        if lifecycle is not None:
            import_needs(engine.lifecycle(lifecycle), engine.lifecycle(lifecycle).initial)
    except InvalidInput as exc:
        raise click.BadParameter(printable(f"{lifecycle}: {exc.problem}"),
                                 param_hint="--lifecycle") from None  # fmt: skip
    for option, value in defaults.items():
        try:
            check_identifier(option, value)
        except InvalidInput as exc:
            raise click.BadParameter(printable(str(exc)), param_hint=f"--{option}") from None
    if actor.role not in IMPORT_ROLES:
        allowed = " or ".join(str(r) for r in IMPORT_ROLES)
        raise click.BadParameter(f"role {actor.role} may not import ({allowed} may)",
                                 param_hint="--actor")  # fmt: skip


def _failure(line: int, error: StageborgingError) -> _Row:
    """The outcome of a row that could not be imported."""
    if isinstance(error, Refused):
        codes = [f.code for f in error.findings if f.blocks]
        return _Row(line, "refused", _refusal(error.findings), findings=codes)
    field = error.field if isinstance(error, InvalidInput) else "-"
    return _Row(line, "invalid", str(error), field=field, message=str(error))


def _rows(path: Path, check: Callable[[list[str]], None]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of the CSV file with their line numbers (the header is line 1), after
    *check* has seen the header's column names."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            if not reader.fieldnames:
                raise click.BadParameter(f"{shown_path(path)}: no header row", param_hint="FILE")
            names = [name.strip() for name in reader.fieldnames]
            check(names)
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise click.BadParameter(
                    f"{shown_path(path)}: the column {printable(repeated[0])!r} appears twice",
                    param_hint="FILE",
                )
            reader.fieldnames = names
            for row in reader:
                if None in row:  # more cells than the header has columns
                    raise click.BadParameter(
                        f"{shown_path(path)}: line {reader.line_num} has more cells than "
                        "the header",
                        param_hint="FILE",
                    )
                yield reader.line_num, row
    except UnicodeDecodeError:
        raise click.BadParameter(f"{shown_path(path)}: not UTF-8 text", param_hint="FILE") from None
    except csv.Error as exc:
        raise click.BadParameter(f"{shown_path(path)}: {exc}", param_hint="FILE") from None


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@click.option(
    "--lifecycle", "default_lifecycle", metavar="NAME",
    help="The lifecycle of rows without a 'lifecycle' column (mbo_bpv, hbo_stage).",
)  # fmt: skip
@click.option(
    "--actor", "actor", metavar="ROLE:ID", callback=parse_actor, default="system:sis-import",
    show_default=True, help="Who imports (system or placement_office).",
)  # fmt: skip
@click.option(
    "--source", metavar="CODE",
    help="The system imported from, for rows without a 'source' column (eduarte).",
)  # fmt: skip
@click.option("--institution", metavar="ID",
              help="The institution of rows without an 'institution' column.")  # fmt: skip
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=500, show_default=True,
              help="Rows per transaction.")  # fmt: skip
@click.option(
    "--dry-run", is_flag=True,
    help="Judge every row and write nothing (ids in use show only when it runs).",
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table",
    show_default=True, help="One line per row for people, or one JSON object per row.",
)  # fmt: skip
@plugin_options
def import_csv(
    file: Path,
    db: Path | str,
    default_lifecycle: str | None,
    actor: Actor,
    source: str | None,
    institution: str | None,
    batch_size: int,
    dry_run: bool,
    fmt: str,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Import internships that are already running from the CSV file FILE.

    One row per internship: its state (column 'state'), its opening data (one
    column per opening field: student, programme, planned_start …) and the
    evidence the earlier system holds (employer, recognition_source,
    recognition_checked_on, agreement_version, signatures, agreement_confirmed_on
    …); optional columns lifecycle, stream_id, command_id, institution. Empty
    cells are absent; signatures are parties separated by ';' or spaces (',' in a
    quoted cell).
    The file is comma-separated UTF-8; a header naming a column no import takes
    is refused before any row is read.

    Each row is judged as Engine.import_stream judges it and reported: imported,
    or refused with the rules it does not satisfy. Rows are written in batches,
    one transaction per batch. A command_id column makes running the file again
    with the same options safe: rows imported before are reported as already
    imported and write nothing. --dry-run writes nothing and creates no database.

    Exit status: 0 every row imported (or would be); 1 some rows were refused
    or invalid; 2 a file or database that cannot be read, or bad options.
    """
    found = registry(block, config)
    defaults = {
        k: v for k, v in (("source", source), ("institution", institution)) if v is not None
    }
    _check_options(found, default_lifecycle, actor, defaults)  # before any database opens
    rows = list(_rows(file, lambda names: _check_header(file, names, found, default_lifecycle)))
    outcomes: list[_Row] = []
    with Engine(_store(db, dry_run), registry=found) as engine:
        for first in range(0, len(rows), batch_size):
            outcomes += _import_batch(engine, rows[first : first + batch_size], actor,
                                      default_lifecycle, defaults, dry_run)  # fmt: skip
    for outcome in outcomes:
        if fmt == "jsonl":
            click.echo(json.dumps(outcome.record, ensure_ascii=False, sort_keys=True))
        else:
            click.echo(printable(f"row {outcome.line}: {outcome.outcome}: {outcome.detail}"))
    imported = sum(o.outcome in ("imported", "already imported", "would import") for o in outcomes)
    if fmt == "table":
        verb = "would import" if dry_run else "imported"
        click.echo(f"{verb} {imported} of {len(outcomes)} row(s)")
    sys.exit(0 if imported == len(outcomes) else 1)


def _import_batch(
    engine: Engine,
    rows: list[tuple[int, dict[str, str]]],
    actor: Actor,
    default_lifecycle: str | None,
    defaults: Mapping[str, str],
    dry_run: bool,
) -> list[_Row]:
    """Judge and queue *rows*, run them in one transaction; one outcome per row."""
    outcomes: dict[int, _Row] = {}
    queued: list[tuple[int, str, str]] = []  # line, stream id, state
    batch = engine.batch()
    for line, row in rows:
        try:
            name = (row.get("lifecycle") or "").strip() or default_lifecycle
            if not name:
                raise InvalidInput("lifecycle", None, "required: a column or --lifecycle")
            arguments = _arguments(row, engine.lifecycle(name), defaults)
            sid = batch.import_stream(name, actor=actor, **arguments)
        except StageborgingError as error:
            outcomes[line] = _failure(line, error)
            continue
        queued.append((line, sid, arguments["state"]))
    if not dry_run:
        results = batch.run()
    for index, (line, sid, state) in enumerate(queued):
        if dry_run:
            outcomes[line] = _Row(line, "would import", f"into {state}", stream_id=sid,
                                  state=state)  # fmt: skip
            continue
        result = results[index]
        if result.error is not None:
            outcomes[line] = _failure(line, result.error)
        else:
            done = "already imported" if result.repeated else "imported"
            outcomes[line] = _Row(line, done, f"into {state} (stream {sid})",
                                  stream_id=sid, state=state)  # fmt: skip
    return [outcomes[line] for line, _ in rows]
