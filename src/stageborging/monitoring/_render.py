"""A release as text for the terminal, as JSON and as CSV (the schemas are documented
in docs/monitoring.rst). Only published values are ever written: a hidden cell is its
status, never its count."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..core import InvalidInput
from ._measures import MEASURES, Release
from ._suppression import Status
from ._tables import Cell, Row, Table

__all__ = [
    "MARK",
    "SCHEMA",
    "as_json",
    "check_release",
    "figure_text",
    "release_csv",
    "release_json",
    "release_text",
    "scope_text",
    "table_text",
]

#: The JSON document's schema id; its number changes when a field changes meaning.
SCHEMA = "stageborging.monitor/1"
#: How a hidden cell shows: alike, whatever the reason (a mark that told a small count
#: apart would give away that it is below the threshold).
MARK = "x"
#: A hidden cell's status in JSON and CSV.
SUPPRESSED = "suppressed"
#: What a spreadsheet would run as a formula when a cell starts with it.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def figure_text(value: float | None, kind: str, missing: str = "-") -> str:
    """A derived figure as shown: a share in percent, working days as they are, and
    *missing* where it is not shown."""
    if value is None:
        return missing
    return f"{value:.0%}" if kind == "share" else f"{value:g}"


def _cell(cell: Cell) -> str:
    return str(cell.value) if cell.published else MARK


def _status(cell: Cell) -> str:
    return cell.status.value if cell.published else SUPPRESSED


def scope_text(institution: str | None) -> str:
    """How a release names its institution: all, none (streams of no institution), or
    the one."""
    return "all" if institution is None else "none" if institution == "" else institution


def _safe(text: str) -> str:
    """*text* as a spreadsheet shows it, never runs it (a leading ' before a formula)."""
    return f"'{text}" if text.startswith(_FORMULA) else text


def _label(row: Row) -> str:
    return " / ".join(row.key)


def table_text(table: Table) -> str:
    """One table as aligned text, with its definition and its legend."""
    if not isinstance(table, Table):
        raise InvalidInput("table", type(table).__name__, "must be a Table (Release.table)")
    counts = [*table.columns, "total"] if table.counts else []
    head = [" / ".join(table.dimensions), *counts, *(f.label for f in table.figures)]
    lines = [
        [
            _label(row),
            *(map(_cell, row.cells) if table.counts else ()),
            *(figure_text(v, f.kind) for v, f in zip(row.figures, table.figures, strict=True)),
        ]
        for row in (*table.rows, table.total)
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(head, *lines, strict=True)]

    def line(values: list[str]) -> str:
        first, *rest = values
        return "  ".join(
            [first.ljust(widths[0]), *(v.rjust(w) for v, w in zip(rest, widths[1:], strict=True))]
        )

    out = [f"{table.title} ({table.unit})", line(head)]
    out += [line(values) for values in lines]
    out.append(f"  {table.definition}")
    return "\n".join(out)


def check_release(release: object) -> Release:
    """*release* if it is a :class:`Release`, else InvalidInput."""
    if not isinstance(release, Release):
        raise InvalidInput("release", type(release).__name__, "must be a Release (Engine.monitor)")
    return release


def release_text(release: Release) -> str:
    """The release as text: a header, every section's tables, what was suppressed."""
    settings = check_release(release).settings
    out = [
        f"Monitoring at {release.at} (the log as it stood at the end of that day)",
        f"Institution: {scope_text(release.institution)}; period (planned start): "
        f"{settings.period if settings.period.start or settings.period.end else 'all'}; "
        f"study year {release.study_year.start} to {release.study_year.end}",
        f"Suppression: {release.hidden} cells are hidden ({MARK}): every count from 1 to "
        f"{settings.min_cell - 1}, and as many more as keep those from being recomputed "
        "from the rest; zeros are shown, figures derived from a hidden count are not (-).",
    ]
    by_name = {t.name: t for t in release.tables}
    for section, names in MEASURES.items():
        out += ["", f"== {section} =="]
        for name in names:
            out += ["", table_text(by_name[name])]
    return "\n".join(out) + "\n"


def _cell_json(cell: Cell) -> dict[str, Any]:
    return {"value": cell.value, "status": _status(cell)}


def _row_json(table: Table, row: Row) -> dict[str, Any]:
    columns = (*table.columns, "total")
    cells = dict(zip(columns, map(_cell_json, row.cells), strict=True)) if table.counts else {}
    figures = {f.name: v for f, v in zip(table.figures, row.figures, strict=True)}
    key = {} if row is table.total else dict(zip(table.dimensions, row.key, strict=True))
    return {
        "key": key,
        "cells": cells,
        "figures": figures,
    }


def as_json(release: Release) -> dict[str, Any]:
    """The release as a JSON-ready mapping (see docs/monitoring.rst for the schema)."""
    settings = check_release(release).settings
    return {
        "schema": SCHEMA,
        "generated_at": release.generated_at.isoformat().replace("+00:00", "Z"),
        "at": release.at.isoformat(),
        "institution": release.institution,
        "period": {
            "start": settings.period.start and settings.period.start.isoformat(),
            "end": settings.period.end and settings.period.end.isoformat(),
        },
        "study_year": {
            "start": str(release.study_year.start),
            "end": str(release.study_year.end),
        },
        "min_cell": settings.min_cell,
        "groups": settings.groups is not None,
        "suppressed": {"cells": release.hidden},
        "sections": {section: list(names) for section, names in MEASURES.items()},
        "tables": [
            {
                "name": table.name,
                "title": table.title,
                "definition": table.definition,
                "unit": table.unit,
                "dimensions": list(table.dimensions),
                "columns": list(table.columns),
                "figures": [
                    {"name": f.name, "label": f.label, "kind": f.kind} for f in table.figures
                ],
                "rows": [_row_json(table, row) for row in table.rows],
                "total": _row_json(table, table.total),
                "counts": table.counts,
                "suppressed": {
                    "cells": table.count(Status.PRIMARY) + table.count(Status.SECONDARY)
                },
            }
            for table in release.tables
        ],
    }


def release_json(release: Release) -> str:
    """The release as one JSON document."""
    return json.dumps(as_json(release), indent=2, ensure_ascii=False) + "\n"


def release_csv(release: Release) -> str:
    """The release as CSV, one line per cell and figure: ``table, row, column, value,
    status`` (the row's key joined by `` / ``, ``Total`` for the totals; a hidden cell's
    value is empty, its status ``suppressed``). Lines of status ``about`` come first: the
    release's context (table ``release``), then each table's title, unit and definition
    (row empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "row", "column", "value", "status"])
    document = as_json(release)
    about = {
        "at": document["at"],
        "generated_at": document["generated_at"],
        "institution": scope_text(release.institution),
        "period_start": document["period"]["start"] or "",
        "period_end": document["period"]["end"] or "",
        "study_year_start": document["study_year"]["start"],
        "study_year_end": document["study_year"]["end"],
        "min_cell": document["min_cell"],
        "groups": "yes" if document["groups"] else "no",
        "suppressed_cells": document["suppressed"]["cells"],
        "schema": SCHEMA,
    }
    for name, value in about.items():
        writer.writerow(["release", "", name, value, "about"])
    for table in release.tables:
        for name in ("title", "unit", "definition"):
            writer.writerow([table.name, "", name, getattr(table, name), "about"])
    for table in release.tables:
        for row in (*table.rows, table.total):
            label = _safe(_label(row))
            for column, cell in zip((*table.columns, "total"), row.cells, strict=True):
                if not table.counts:
                    break
                value = "" if cell.value is None else str(cell.value)
                writer.writerow([table.name, label, _safe(column), value, _status(cell)])
            for figure, number in zip(table.figures, row.figures, strict=True):
                shown = number is not None
                writer.writerow([table.name, label, figure.name, repr(number) if shown else "",
                                 "published" if shown else "not_published"])  # fmt: skip
    return buffer.getvalue()
