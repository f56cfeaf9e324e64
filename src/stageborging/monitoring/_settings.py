"""What one monitoring release is asked for: the threshold, the rows, the period, the
reference date and, only when the host supplies them, the students' group splits."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from attrs import field, frozen

from ..core import InvalidInput, parse_date

__all__ = [
    "DIMENSIONS",
    "MonitorSettings",
    "Period",
    "check_day",
    "check_groups",
    "load_groups",
    "parse_period",
]

#: What a monitoring table's rows may be split by: the internship's programme, level
#: (MBO 1-4), track (BOL/BBL), lifecycle, institution, and (only with a groups file) the
#: group the student classified themselves in, with consent.
DIMENSIONS = ("programme", "level", "track", "lifecycle", "institution", "group")
#: The smallest and largest threshold a release may use (DOMAIN §7: 5, up to 10).
THRESHOLDS = (3, 10)
#: The most groups a release may split by, and the longest group label.
MAX_GROUPS, MAX_LABEL = 50, 64
#: Labels a group may not have: the totals' row, and what marks a student not listed.
RESERVED = ("Total", "not_stated")


#: The years a reference date or a period may fall in (its study year needs the years
#: on either side).
YEARS = (1901, 9998)


def check_day(name: str, value: object) -> date | None:
    """*value* (a ``datetime.date`` or None) within :data:`YEARS`, else InvalidInput."""
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(name, value, "must be a date (datetime.date)")
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise InvalidInput(
            name, value.isoformat(), f"must lie in the years {YEARS[0]} to {YEARS[1]}"
        )
    return value


def _start(value: object) -> date | None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise InvalidInput("period", value, "must be a date (datetime.date) or None")
    return value


@frozen
class Period:
    """Planned starts from *start* to *end*, inclusive (None: open on that side).

    Raises:
        InvalidInput: a side is no date, or the period ends before it starts (a release
            also refuses sides outside the years 1901 to 9998).
    """

    start: date | None = field(default=None, converter=_start)
    end: date | None = field(default=None, converter=_start)

    def __attrs_post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InvalidInput("period", str(self), "ends before it starts")

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def __str__(self) -> str:
        return f"{self.start or ''}..{self.end or ''}"


def parse_period(value: str) -> Period:
    """``FROM..TO`` (ISO dates, either side may be left out) or a study year ``2026-2027``
    (1 August to 31 July)."""
    if not isinstance(value, str):
        raise InvalidInput(
            "period", value, "must be FROM..TO (ISO dates) or a study year YYYY-YYYY"
        )
    text = value.strip()
    if len(text) == 9 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        first, second = int(text[:4]), int(text[5:])
        if second != first + 1:
            raise InvalidInput("period", value, "a study year is two years in a row: 2026-2027")
        if not YEARS[0] <= first < YEARS[1]:
            raise InvalidInput("period", value, f"must lie in the years {YEARS[0]} to {YEARS[1]}")
        return Period(date(first, 8, 1), date(second, 7, 31))
    if ".." not in text:
        raise InvalidInput(
            "period", value, "must be FROM..TO (ISO dates) or a study year YYYY-YYYY"
        )
    start_text, _, end_text = text.partition("..")
    start = date.fromisoformat(parse_date("period", start_text)) if start_text else None
    end = date.fromisoformat(parse_date("period", end_text)) if end_text else None
    if start is not None and end is not None and end < start:
        raise InvalidInput("period", value, "ends before it starts")
    return Period(start, end)


def check_groups(groups: Mapping[Any, Any], source: str) -> dict[str, str]:
    """*groups* as the release takes them: pseudonymous ids to labels, at most
    :data:`MAX_GROUPS` labels of at most :data:`MAX_LABEL` printable characters, none of
    them ``Total`` (the totals' row). *source* names them in an error (never a value:
    the labels are special-category data)."""
    if not isinstance(groups, Mapping):
        raise InvalidInput("groups", type(groups).__name__, "must map student ids to group labels")
    found: dict[str, str] = {}
    for student, group in groups.items():
        if not isinstance(student, str) or not student.strip():
            raise InvalidInput("groups", source, "a student is a pseudonymous id (a string)")
        if not isinstance(group, str) or not group.strip():
            raise InvalidInput("groups", source, "a group is a label (a non-empty string)")
        label = group.strip()
        if len(label) > MAX_LABEL or not label.isprintable():
            problem = f"a group is a label of at most {MAX_LABEL} printable characters"
            raise InvalidInput("groups", source, problem)
        if label in RESERVED:
            raise InvalidInput("groups", source, f"a group may not be called {label!r}")
        found[student.strip()] = label
    if not found:
        raise InvalidInput("groups", source, "lists no student (without groups, leave it out)")
    if len(set(found.values())) > MAX_GROUPS:
        raise InvalidInput("groups", source, f"holds more than {MAX_GROUPS} groups")
    return found


def load_groups(path: str | os.PathLike[str]) -> dict[str, str]:
    """The host's file of consented classifications: CSV (comma or semicolon, UTF-8 with
    or without a byte-order mark) with the header ``student,group``, one row per
    pseudonymous student id; at most 50 groups, labels of at most 64 characters. Read at
    query time and never stored; a student it does not list counts as ``not_stated``."""
    shown = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read(5_000_001)
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput("groups", shown, f"cannot be read ({type(error).__name__})") from None
    if len(text) > 5_000_000:
        raise InvalidInput("groups", shown, "is larger than 5 MB")
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != ["student", "group"]:
            raise InvalidInput("groups", shown, "must be CSV with the header student,group")
        groups: dict[str, str] = {}
        for row in reader:
            line = f"{shown}, line {reader.line_num}"
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) != 2:
                raise InvalidInput("groups", line, "must hold a student id and a group")
            found = check_groups({row[0]: row[1]}, line)  # one row: never empty
            ((student, group),) = found.items()
            if groups.get(student, group) != group:
                raise InvalidInput(
                    "groups", line, "names a student already listed in another group"
                )
            groups[student] = group
    except csv.Error:
        raise InvalidInput("groups", shown, "is not a CSV file") from None
    return check_groups(groups, shown)


def _threshold(value: object) -> int:
    low, high = THRESHOLDS
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput("min_cell", value, f"must be an integer from {low} to {high}")
    return value


def _by(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = tuple(value.split(",")) if isinstance(value, str) else value
    if not isinstance(names, tuple | list) or not names:
        raise InvalidInput("by", value, f"must name dimensions of {', '.join(DIMENSIONS)}")
    found = tuple(str(n).strip() for n in names)
    for name in found:
        if name not in DIMENSIONS:
            raise InvalidInput("by", name, f"must be one of {', '.join(DIMENSIONS)}")
    if len(set(found)) != len(found):
        raise InvalidInput("by", value, "names a dimension twice")
    return found


def _period(value: object) -> Period:
    if value is None:
        return Period()
    period = value if isinstance(value, Period) else parse_period(value)  # type: ignore[arg-type]
    check_day("period", period.start)
    check_day("period", period.end)
    return period


def _groups(value: object) -> Mapping[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput("groups", type(value).__name__, "must map student ids to group labels")
    return check_groups(value, "the mapping given")


@frozen
class MonitorSettings:
    """One release's settings.

    Attributes:
        min_cell: The threshold: every count from 1 to ``min_cell - 1`` is suppressed
            (3 to 10; default 5).
        by: The dimensions a table's rows are split by (see :data:`DIMENSIONS`); None:
            each measure's own (programme and level; time to placement also by track).
        period: Which internships: those whose planned start lies in it; reports and
            alerts: those received or raised in it.
        groups: The host's consented classifications by student id, read at query time
            and never stored; only with them may ``group`` be in *by* (added when left
            out).
    """

    min_cell: int = field(default=5, converter=_threshold)
    by: tuple[str, ...] | None = field(default=None, converter=_by)
    period: Period = field(default=Period(), converter=_period)
    # never in a repr: the labels are the students' own, maybe special-category data
    groups: Mapping[str, str] | None = field(default=None, converter=_groups, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.by is not None and "group" in self.by and self.groups is None:
            raise InvalidInput("by", "group", "group splits need the host's groups file")

    def dimensions(self, default: tuple[str, ...]) -> tuple[str, ...]:
        """The row dimensions of a measure whose own are *default*."""
        chosen = self.by if self.by is not None else default
        if self.groups is not None and "group" not in chosen:
            chosen = (*chosen, "group")
        return chosen
