"""The tables of a monitoring release: counts with their margins, suppressed, and the
figures derived from them (quartiles, shares), published only where their counts are."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from attrs import field, frozen

from ._suppression import Status, suppress

__all__ = ["Cell", "Figure", "Row", "Table", "Tally"]

#: How a derived figure is computed from a row's values.
FigureKind = Literal["quartile_1", "median", "quartile_3", "share"]


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@frozen
class Cell:
    """One count: its value when published, else None, and its status."""

    value: int | None
    status: Status

    @property
    def published(self) -> bool:
        return self.status is Status.PUBLISHED


@frozen
class Figure:
    """A figure derived from some of a row's counts.

    ``quartile_1``, ``median`` and ``quartile_3`` are of the values named *value* that the
    units counted in *columns* carry (e.g. their working days); ``share`` is the count of
    *columns* over the count of *of* (the row's total when empty).

    It is published only where every count it is derived from is (and, for quartiles,
    the count is not zero): a median of a hidden group, or a share beside a published
    total, would give the hidden count away.
    """

    name: str
    label: str
    kind: FigureKind
    columns: tuple[str, ...] = field(converter=_names)
    value: str = ""
    of: tuple[str, ...] = field(default=(), converter=_names)


@frozen
class Row:
    """One row: its key (a value per dimension, or ``("Total",)``), its cells (one per
    column, then the row's total) and its figures (None where not published or empty)."""

    key: tuple[str, ...]
    cells: tuple[Cell, ...]
    figures: tuple[float | None, ...] = ()


@frozen
class Table:
    """A published table: its rows over *dimensions* by *columns*, the row of column
    totals, what it counts, its definition and how many cells were hidden.

    Attributes:
        name: A stable identifier (``time_to_placement``), the key in JSON and CSV.
        title: The heading.
        definition: The measure's definition, shown beside the table.
        unit: What one count is (``students``, ``reports``, …).
        dimensions: What a row's key holds, in order.
        columns: The count columns (the last cell of every row is its total).
        figures: The derived figures, in the order of :attr:`Row.figures`.
        rows: The rows, sorted by key.
        total: The row of column totals and the grand total.
        counts: Whether its counts are published; a table of figures only (False) shows
            a row's figures where its count reaches the threshold, never the count.
    """

    name: str
    title: str
    definition: str
    unit: str
    dimensions: tuple[str, ...]
    columns: tuple[str, ...]
    figures: tuple[Figure, ...]
    rows: tuple[Row, ...]
    total: Row
    counts: bool = True

    def count(self, status: Status) -> int:
        """How many cells (margins included) have *status*."""
        return sum(cell.status is status for row in (*self.rows, self.total) for cell in row.cells)

    def cell(self, key: tuple[str, ...], column: str) -> Cell:
        """The cell of the row *key* (``("Total",)`` for the totals) in *column* (or
        ``"total"``)."""
        row = next((r for r in (*self.rows, self.total) if r.key == tuple(key)), None)
        if row is None:
            raise KeyError(
                f"{self.name} has no row {key!r} (keys are strings, by {self.dimensions})"
            )
        if column != "total" and column not in self.columns:
            raise KeyError(f"{self.name} has no column {column!r} (columns: {self.columns})")
        index = len(self.columns) if column == "total" else self.columns.index(column)
        return row.cells[index]


def _quartile(values: Sequence[float], kind: FigureKind) -> float:
    if len(values) == 1:
        return float(values[0])
    if kind == "median":
        return float(statistics.median(values))
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return float(q1 if kind == "quartile_1" else q3)


class Tally:
    """Counts a table's rows and columns as the monitor meets its units, then builds the
    suppressed :class:`Table`.

    Args:
        name, title, definition, unit: As :class:`Table` has them.
        dimensions: What a row's key holds.
        columns: The count columns. With *fixed* False a unit counted in a column not
            listed adds it (in the order met).
        figures: The figures derived from the counts.
        counts: False for a table of figures only (see :attr:`Table.counts`).
    """

    def __init__(
        self,
        name: str,
        title: str,
        definition: str,
        unit: str,
        dimensions: Sequence[str],
        columns: Sequence[str],
        figures: Sequence[Figure] = (),
        *,
        fixed: bool = True,
        counts: bool = True,
    ) -> None:
        self.name, self.title, self.definition, self.unit = name, title, definition, unit
        self.counts = counts
        self.dimensions = tuple(dimensions)
        self.columns = list(columns)
        self.figures = tuple(figures)
        self.fixed = fixed
        self._counts: dict[tuple[str, ...], dict[str, int]] = {}
        self._values: dict[tuple[str, ...], list[tuple[str, Mapping[str, float]]]] = {}

    def add(self, key: Iterable[str], column: str, **values: float) -> None:
        """Count one unit in the row *key* and *column*, with the *values* its quartile
        figures read (e.g. ``days=12``)."""
        row = tuple(key)
        if len(row) != len(self.dimensions):
            raise ValueError(f"a key of {self.name} has {len(self.dimensions)} parts")
        if column not in self.columns:
            if self.fixed:
                raise ValueError(f"{self.name} has no column {column!r}")
            self.columns.append(column)
        counts = self._counts.setdefault(row, {})
        counts[column] = counts.get(column, 0) + 1
        if values:
            self._values.setdefault(row, []).append((column, values))

    def grid(self) -> tuple[list[tuple[str, ...]], list[list[int]]]:
        """The row keys in order and the counts with their margins (see :func:`suppress`)."""
        keys = sorted(self._counts)
        rows = [[self._counts[key].get(c, 0) for c in self.columns] for key in keys]
        rows = [[*row, sum(row)] for row in rows]
        totals = [sum(cells) for cells in zip(*rows, strict=True)] if rows else []
        return keys, [*rows, totals or [0] * (len(self.columns) + 1)]

    def statuses(self, threshold: int) -> list[list[Status]]:
        """The status of every cell of :meth:`grid`."""
        keys, grid = self.grid()
        if not self.counts:
            return [[Status.WITHHELD] * len(grid[0]) for _ in grid]
        if not keys:
            return [[Status.PUBLISHED] * len(grid[0])]
        return suppress(grid, threshold)

    def build(self, threshold: int) -> Table:
        """The table, every count from 1 to ``threshold - 1`` hidden and as many more as
        keep them from being recomputed."""
        keys, grid = self.grid()
        statuses = self.statuses(threshold)
        rows = []
        for n, key in enumerate(keys):
            cells = _cells(grid[n], statuses[n])
            figures = self._figures(cells, grid[n], self._values.get(key, []), threshold)
            rows.append(Row(key, cells, figures))
        cells = _cells(grid[-1], statuses[-1])
        every = [unit for units in self._values.values() for unit in units]
        total = Row(("Total",), cells, self._figures(cells, grid[-1], every, threshold))
        return Table(self.name, self.title, self.definition, self.unit, self.dimensions,
                     tuple(self.columns), self.figures, tuple(rows), total,
                     self.counts)  # fmt: skip

    def _figures(
        self,
        cells: Sequence[Cell],
        counts: Sequence[int],
        units: Sequence[tuple[str, Mapping[str, float]]],
        threshold: int,
    ) -> tuple[float | None, ...]:
        def count(columns: Sequence[str]) -> Cell:
            if not columns:
                return cells[-1]
            parts = [cells[self.columns.index(c)] for c in columns]
            if not all(part.published for part in parts):
                return Cell(None, Status.SECONDARY)
            return Cell(sum(part.value or 0 for part in parts), Status.PUBLISHED)

        found: list[float | None] = []
        for figure in self.figures:
            if figure.kind == "share":
                part, whole = count(figure.columns), count(figure.of)
                published = part.published and whole.published and whole.value
                found.append((part.value or 0) / (whole.value or 1) if published else None)
                continue
            if self.counts:
                shown = count(figure.columns).published
            else:  # figures only: the group's count, never published, must reach the threshold
                shown = sum(counts[self.columns.index(c)] for c in figure.columns) >= threshold
            data = sorted(
                v[figure.value] for c, v in units if c in figure.columns and figure.value in v
            )
            found.append(_quartile(data, figure.kind) if shown and data else None)
        return tuple(found)


def _cells(counts: Sequence[int], statuses: Sequence[Status]) -> tuple[Cell, ...]:
    return tuple(
        Cell(value if status is Status.PUBLISHED else None, status)
        for value, status in zip(counts, statuses, strict=True)
    )
