"""The SBB recognition register a school imports: which employers (leerbedrijven) are
recognised for which qualification (crebo), from when until when. A recognition
verifier reads it (the ``mbo-defaults`` plugin), and :meth:`Engine.import_register
<stageborging.Engine.import_register>` records what changed since the last import on
the employers' streams.

A CSV file with a header row, or a JSON array of objects, with the columns:

===============  ==========================================================================
column           meaning
===============  ==========================================================================
``employer``     The employer's id, as the school proposes it (a pseudonymous id).
``crebo``        The qualification code.
``status``       ``recognised``, ``pending`` (applied for, not decided), ``suspended``
                 (SBB's schorsing) or ``revoked``.
``valid_from``   The first day of the recognition (``YYYY-MM-DD``); empty: no start.
``valid_until``  The last day (``YYYY-MM-DD``); empty: open-ended.
===============  ==========================================================================

An employer the register does not list for the qualification is not recognised
(``not_listed``), nor is one whose recognition ended (``expired``) or has not begun
(``not_yet_valid``); ``pending`` is an answer too: the placement waits.

**Several rows** for one employer and crebo (a renewal, a suspension, a revocation):
the rows whose dates hold the day asked are read, and the strictest wins (fail
closed): ``revoked``, then ``suspended``, then ``recognised``, then ``pending``. When
no row holds the day, a later row makes it ``not_yet_valid``, else ``expired``.
``valid_from`` and ``valid_until`` may be left out (no start, no end); columns
besides these five are ignored. A relative path is read from the working directory
of the process: give the engine an absolute one.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from attrs import frozen

from ..core import Recognition, RegisterError

__all__ = ["COLUMNS", "STATUSES", "Entry", "Register", "RegisterError", "load_register"]

COLUMNS = ("employer", "crebo", "status", "valid_from", "valid_until")
STATUSES = {
    "recognised": Recognition.RECOGNISED,
    "pending": Recognition.PENDING,
    "suspended": Recognition.SUSPENDED,
    "revoked": Recognition.NOT_RECOGNISED,
}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


@frozen
class Entry:
    """One row of the register."""

    status: Recognition
    valid_from: date | None
    valid_until: date | None

    def holds(self, day: date) -> bool:
        """Whether the row's dates hold *day*."""
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_until is None or day <= self.valid_until)


#: Which answer wins among the rows that hold the day: the strictest (fail closed).
_STRICTEST = (Recognition.NOT_RECOGNISED, Recognition.SUSPENDED, Recognition.RECOGNISED,
              Recognition.PENDING)  # fmt: skip


@frozen
class Register:
    """The register's entries by (employer, crebo)."""

    entries: Mapping[tuple[str, str], tuple[Entry, ...]]

    def recognised_on(self, employer: str, day: date) -> frozenset[str]:
        """The qualifications *employer* is recognised for on *day*."""
        return frozenset(
            crebo
            for (who, crebo) in self.entries
            if who == employer and self.answer(employer, crebo, day) is Recognition.RECOGNISED
        )

    def answer(self, employer: str, crebo: str, day: date) -> Recognition:
        """Whether *employer* is recognised for *crebo* on *day*, and if not, why."""
        found = self.entries.get((employer, crebo))
        if not found:
            return Recognition.NOT_LISTED
        holding = [entry.status for entry in found if entry.holds(day)]
        if holding:
            return min(holding, key=_STRICTEST.index)
        if any(e.valid_from is not None and day < e.valid_from for e in found):
            return Recognition.NOT_YET_VALID
        return Recognition.EXPIRED


def _day(where: str, value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RegisterError(f"{where}: must be a date YYYY-MM-DD or empty, not {value!r}"[:200])


def _entry(where: str, row: Mapping[str, Any]) -> tuple[tuple[str, str], Entry]:
    if not isinstance(row, Mapping):
        raise RegisterError(f"{where}: must be an object with {', '.join(COLUMNS)}")
    missing = [c for c in COLUMNS[:3] if c not in row]
    if missing:
        raise RegisterError(f"{where}: no column {missing[0]!r}")
    for column in ("employer", "crebo"):
        value = row[column]
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise RegisterError(f"{where}, {column}: must be an id, not {value!r}"[:200])
    status = STATUSES.get(row["status"]) if isinstance(row["status"], str) else None
    if status is None:
        raise RegisterError(
            f"{where}, status: must be one of {', '.join(STATUSES)}, not {row['status']!r}"[:200]
        )
    start = _day(f"{where}, valid_from", row.get("valid_from"))
    end = _day(f"{where}, valid_until", row.get("valid_until"))
    if start is not None and end is not None and end < start:
        raise RegisterError(f"{where}: valid_until {end} is before valid_from {start}")
    return (row["employer"], row["crebo"]), Entry(status, start, end)


def _rows(path: Path) -> Iterable[tuple[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegisterError(f"{path}: cannot be read ({type(exc).__name__})") from None
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RegisterError(f"{path}: not JSON (line {exc.lineno})") from None
        if not isinstance(rows, list):
            raise RegisterError(f"{path}: must hold a JSON array of rows")
        return ((f"{path} row {n}", row) for n, row in enumerate(rows, start=1))
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or not set(COLUMNS[:3]) <= set(reader.fieldnames):
        raise RegisterError(
            f"{path}: the header must name employer, crebo and status (and may name "
            "valid_from, valid_until)"
        )
    return ((f"{path} line {reader.line_num}", row) for row in reader)


def load_register(path: str | os.PathLike[str]) -> Register:
    """The register in the file at *path* (``.json``: JSON, anything else: CSV), read once
    per version of the file.

    Raises:
        RegisterError: naming the file, the row and the column that cannot be used.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise RegisterError(f"{path!r}: not a path"[:200])
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise RegisterError(f"{path}: cannot be read ({type(exc).__name__})") from None
    return _load(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int, size: int) -> Register:
    entries: dict[tuple[str, str], list[Entry]] = {}
    for where, row in _rows(path):
        key, entry = _entry(where, row)
        entries.setdefault(key, []).append(entry)
    if not entries:  # a truncated export would revoke every recognition on import
        raise RegisterError(f"{path}: holds no rows (only a header?): nothing is read from it")
    return Register({key: tuple(found) for key, found in entries.items()})
