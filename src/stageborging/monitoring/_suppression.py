"""Small-cell suppression of a table of counts with its margins.

A table is a grid of ``R + 1`` rows by ``C + 1`` columns: the interior cells, each row's
total in the last column, each column's total in the last row and the grand total in the
corner.

**Primary suppression** hides every cell whose count is 1 to ``threshold - 1``. Zeros are
published: nobody is identified by a count of none.

**The attacker** knows every published cell, that every row and every column adds up to
its total, and, since zeros are always shown, that every hidden count is **at least 1**.
A hidden cell is *exposed* when these fix its value: exact linear derivability (a hidden
cell alone in its row) and also what the lower bound adds (three hidden cells that must
add up to a published 3 are 1 each). The release marks every hidden cell alike, so the
attacker learns no upper bound (that a cell is one of the small ones) from its mark.

**Secondary suppression** hides more cells until none is exposed. Negate the margins and
every line (row or column, totals included) sums to zero; another table that fits what
was published differs from the true one by a *circulation* over the hidden cells, and
(by its conformal decomposition into cycles) some other table exists exactly when a
single cycle of hidden cells, alternating between rows and columns, can move by one in
some direction without taking a hidden cell below 1. As a graph of row and column nodes
with the hidden cells as edges, each edge may be passed in the direction that raises its
count, and in the other only where its count is 2 or more: a hidden cell is safe exactly
when one of its directions closes a cycle without passing the cell itself again.

The algorithm hides, for each exposed cell, the cheapest rectangle of cells that closes
such a cycle through it (preferring interior cells over margins and the grand total
last, small counts over large), and repeats until none is exposed. It always ends: once
every non-zero cell is hidden, each cell can rise by one together with its row's total,
its column's total and the grand total.

This is a heuristic, not the fewest cells possible (that problem is NP-hard); what it
guarantees is the property above, which the test suite checks with two independent
solvers (exact rationals for the equations, a linear program for the bounds).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from ..core import InvalidInput

__all__ = ["Status", "exposed", "suppress"]

#: The cost of hiding a margin (a row's or a column's total) and the grand total, beside
#: an interior cell's count: a table keeps its totals where it can.
_MARGIN_COST = 1_000_000
_TOTAL_COST = 1_000_000_000
#: What a rectangle that does not yet close a cycle the bound allows costs on top.
_WEAK_COST = 1_000_000_000_000

Cell = tuple[int, int]


class Status(enum.Enum):
    """Whether a cell is published, and if not, why."""

    PUBLISHED = "published"
    #: Hidden because its count is 1 to threshold - 1.
    PRIMARY = "primary"
    #: Hidden so that no primary cell can be recomputed from the rest.
    SECONDARY = "secondary"
    #: Not part of the release at all: a table of figures only (its group sizes are
    #: counted elsewhere in the release, or not published).
    WITHHELD = "withheld"


def _check(grid: Sequence[Sequence[int]]) -> tuple[int, int]:
    def refuse(problem: str) -> InvalidInput:
        return InvalidInput("grid", "<grid>", problem)

    if not isinstance(grid, Sequence) or not all(isinstance(row, Sequence) for row in grid):
        raise refuse("must be a list of rows of counts")
    rows = len(grid)
    if rows < 2:
        raise refuse("a table has at least one row and the row of totals")
    columns = len(grid[0])
    if columns < 2 or any(len(row) != columns for row in grid):
        raise refuse("every row has the same cells, at least one and its total")
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise refuse(f"cell ({i}, {j}) must be a count (an int >= 0)")
    for i in range(rows):
        if sum(grid[i][:-1]) != grid[i][-1]:
            raise refuse(f"row {i} does not add up to its total")
    for j in range(columns):
        if sum(grid[i][j] for i in range(rows - 1)) != grid[-1][j]:
            raise refuse(f"column {j} does not add up to its total")
    return rows, columns


def _sign(grid: Sequence[Sequence[int]], cell: Cell) -> int:
    """+1 where a cell enters its lines' sums as itself (interior, grand total), -1 where
    negated (a row's or a column's total)."""
    last_row, last_column = len(grid) - 1, len(grid[0]) - 1
    return -1 if (cell[0] == last_row) != (cell[1] == last_column) else 1


def _arcs(grid: Sequence[Sequence[int]], cell: Cell) -> tuple[bool, bool]:
    """Whether *cell* may be passed from its row to its column (its signed value rising)
    and from its column to its row (falling), keeping its count at 1 or more."""
    sign, value = _sign(grid, cell), grid[cell[0]][cell[1]]
    return (sign > 0 or value >= 2), (sign < 0 or value >= 2)


def _reaches(
    graph: dict[int, list[tuple[int, Cell]]], start: int, goal: int, without: Cell
) -> bool:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        for target, cell in graph.get(node, ()):
            if cell == without or target in seen:
                continue
            if target == goal:
                return True
            seen.add(target)
            todo.append(target)
    return False


def _graph(
    grid: Sequence[Sequence[int]], cells: Iterable[Cell]
) -> dict[int, list[tuple[int, Cell]]]:
    """The hidden cells as arcs between row nodes (0 …) and column nodes (after the rows),
    each in the directions the bound allows."""
    rows = len(grid)
    graph: dict[int, list[tuple[int, Cell]]] = {}
    for cell in cells:
        row, column = cell[0], rows + cell[1]
        up, down = _arcs(grid, cell)
        if up:
            graph.setdefault(row, []).append((column, cell))
        if down:
            graph.setdefault(column, []).append((row, cell))
    return graph


def _fixed(
    grid: Sequence[Sequence[int]], graph: dict[int, list[tuple[int, Cell]]], cell: Cell
) -> bool:
    """Whether no cycle through *cell* can move within the bound."""
    row, column = cell[0], len(grid) + cell[1]
    up, down = _arcs(grid, cell)
    if up and _reaches(graph, column, row, cell):
        return False
    return not (down and _reaches(graph, row, column, cell))


def exposed(grid: Sequence[Sequence[int]], hidden: Iterable[Cell]) -> set[Cell]:
    """The hidden cells of *grid* (margins included) whose count the published cells, the
    sums and the bound "a hidden count is at least 1" fix (see the module's doc)."""
    cells = set(hidden)
    graph = _graph(grid, cells)
    return {cell for cell in cells if _fixed(grid, graph, cell)}


def _cost(grid: Sequence[Sequence[int]], cell: Cell, hidden: set[Cell]) -> int:
    """What hiding *cell* costs, or -1 when it cannot be hidden (a published zero)."""
    if cell in hidden:
        return 0
    i, j = cell
    value = grid[i][j]
    if value == 0:
        return -1
    last_row, last_column = len(grid) - 1, len(grid[0]) - 1
    if i == last_row and j == last_column:
        return _TOTAL_COST + value
    if i == last_row or j == last_column:
        return _MARGIN_COST + value
    return value


def _closes(grid: Sequence[Sequence[int]], cycle: Sequence[Cell]) -> bool:
    """Whether the rectangle *cycle* (cells in order, the first passed row to column)
    moves by one in either direction within the bound."""
    forward = all(_arcs(grid, c)[n % 2] for n, c in enumerate(cycle))
    backward = all(_arcs(grid, c)[1 - n % 2] for n, c in enumerate(cycle))
    return forward or backward


def _rectangle(grid: Sequence[Sequence[int]], cell: Cell, hidden: set[Cell]) -> list[Cell]:
    """The cheapest three cells that close a rectangle with *cell*, one the bound lets
    move where there is one."""
    i, j = cell
    best: tuple[int, int, int] | None = None
    for k in range(len(grid)):
        if k == i:
            continue
        down = _cost(grid, (k, j), hidden)
        if down < 0:
            continue
        for m in range(len(grid[0])):
            if m == j:
                continue
            across, corner = _cost(grid, (i, m), hidden), _cost(grid, (k, m), hidden)
            if across < 0 or corner < 0:
                continue
            total = down + across + corner
            if not _closes(grid, [(i, j), (k, j), (k, m), (i, m)]):
                total += _WEAK_COST
            if best is None or total < best[0]:
                best = (total, k, m)
    if best is None:  # cannot happen for a non-zero cell (its margins close one)
        raise AssertionError(f"no rectangle closes a cycle through cell {cell}")
    _, k, m = best
    return [(k, j), (i, m), (k, m)]


def _any_cell(grid: Sequence[Sequence[int]], hidden: set[Cell]) -> Cell | None:
    """The cheapest non-zero cell still published, if any."""
    left = [
        (_cost(grid, (i, j), hidden), (i, j))
        for i in range(len(grid))
        for j in range(len(grid[0]))
        if (i, j) not in hidden and grid[i][j]
    ]
    return min(left)[1] if left else None


def suppress(
    grid: Sequence[Sequence[int]],
    threshold: int,
    *,
    sensitive: Iterable[Cell] = (),
) -> list[list[Status]]:
    """The status of every cell of *grid* (interior, row totals in the last column, column
    totals in the last row, the grand total in the corner): primary where the count is 1
    to ``threshold - 1`` or the cell is named *sensitive* (``(row, column)``, by another
    rule), secondary where more must be hidden so that no hidden cell is fixed by the
    published ones, the sums and the bound."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise InvalidInput("threshold", threshold, "must be an int >= 1")
    rows, columns = _check(grid)
    primary = {(i, j) for i in range(rows) for j in range(columns) if 0 < grid[i][j] < threshold}
    for i, j in sensitive:
        if not (0 <= i < rows and 0 <= j < columns):
            raise InvalidInput("sensitive", (i, j), "is not a cell of the table")
        primary.add((i, j))
    kept = set(primary)
    while found := exposed(grid, kept):
        before = len(kept)
        # the cheapest first, in a fixed order: the same table, the same pattern
        for cell in sorted(found, key=lambda c: (_cost(grid, c, set()), c)):
            if _fixed(grid, _graph(grid, kept), cell):  # a rectangle before may have freed it
                kept.update(_rectangle(grid, cell, kept))
        if len(kept) == before:  # every rectangle hidden already: widen by one cell
            extra = _any_cell(grid, kept)
            if extra is None:  # cannot happen: all non-zero cells hidden is safe
                raise AssertionError("no cell is left to hide")
            kept.add(extra)
    return [
        [
            Status.PRIMARY
            if (i, j) in primary
            else Status.SECONDARY
            if (i, j) in kept
            else Status.PUBLISHED
            for j in range(columns)
        ]
        for i in range(rows)
    ]
