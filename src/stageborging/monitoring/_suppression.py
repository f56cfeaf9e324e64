"""Small-cell suppression of a table of counts with its margins.

A table is a grid of ``R + 1`` rows by ``C + 1`` columns: the interior cells, each row's
total in the last column, each column's total in the last row and the grand total in the
corner. Every published cell is an equation an attacker can use; the attacker model is
**exact linear derivability**: a suppressed cell is unsafe when the published cells and
the table's own sums (every row and every column adds up to its total) fix its value.

**Primary suppression** hides every cell whose count is 1 to ``threshold - 1``. Zeros are
published: nobody is identified by a count of none, and an attacker who knows that zeros
are always shown learns nothing from a hidden one being non-zero.

**Secondary suppression** then hides more cells until no hidden cell is fixed by the
rest. Negate the margins and every line (row or column, totals included) sums to zero;
the hidden cells are then the unknowns of a system whose solutions differ only by
*cycles*: along a closed path of hidden cells that alternates between rows and columns,
adding and subtracting the same amount keeps every sum. So, with the hidden cells as the
edges of a graph between row and column nodes, a hidden cell has more than one possible
value exactly when its edge lies on a cycle, and is derivable exactly when it is a
*bridge*. The algorithm hides, for each bridge left, the cheapest rectangle of cells
that closes a cycle through it (three more cells, or fewer where some are hidden
already), preferring interior cells over margins and the grand total last, small counts
over large, and repeats until no bridge is left. It always ends: a cell with its row's
total, its column's total and the grand total is a rectangle, and once every non-zero
cell is hidden, no hidden cell is a bridge.

This is a heuristic, not the fewest cells possible (that problem is NP-hard); what it
guarantees is the property above, which the test suite checks with an independent
solver. It does not protect against an attacker who also uses bounds (that hidden cells
are at least 1, or that a count cannot be negative) to narrow a hidden value down to a
range; the ranges it leaves are wide where the tables are.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

__all__ = ["Status", "derivable", "suppress"]

#: The cost of hiding a margin (a row's or a column's total) and the grand total, beside
#: an interior cell's count: a table keeps its totals where it can.
_MARGIN_COST = 1_000_000
_TOTAL_COST = 1_000_000_000


class Status(enum.Enum):
    """Whether a cell is published, and if not, why."""

    PUBLISHED = "published"
    #: Hidden because its count is 1 to threshold - 1.
    PRIMARY = "primary"
    #: Hidden so that no primary cell can be recomputed from the rest.
    SECONDARY = "secondary"


def _check(grid: Sequence[Sequence[int]]) -> tuple[int, int]:
    rows = len(grid)
    if rows < 2:
        raise ValueError("a table has at least one row and the row of totals")
    columns = len(grid[0])
    if columns < 2 or any(len(row) != columns for row in grid):
        raise ValueError("every row has the same cells, at least one and its total")
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"cell ({i}, {j}) must be a count (an int >= 0)")
    for i in range(rows):
        if sum(grid[i][:-1]) != grid[i][-1]:
            raise ValueError(f"row {i} does not add up to its total")
    for j in range(columns):
        if sum(grid[i][j] for i in range(rows - 1)) != grid[-1][j]:
            raise ValueError(f"column {j} does not add up to its total")
    return rows, columns


def derivable(hidden: set[tuple[int, int]], rows: int, columns: int) -> set[tuple[int, int]]:
    """The hidden cells of a *rows* by *columns* grid (margins included) whose value the
    published ones fix: the bridges of the graph of hidden cells (Tarjan's low-link)."""
    adjacent: dict[int, list[tuple[int, tuple[int, int]]]] = {}
    for i, j in hidden:
        r, c = i, rows + j
        adjacent.setdefault(r, []).append((c, (i, j)))
        adjacent.setdefault(c, []).append((r, (i, j)))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    bridges: set[tuple[int, int]] = set()
    for root in adjacent:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        # iterative depth-first search: (node, the edge it was reached by, its next neighbour)
        stack: list[tuple[int, tuple[int, int] | None, int]] = [(root, None, 0)]
        while stack:
            node, via, index = stack.pop()
            if index < len(adjacent[node]):
                stack.append((node, via, index + 1))
                neighbour, edge = adjacent[node][index]
                if edge == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = len(order)
                    stack.append((neighbour, edge, 0))
            elif stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent] and via is not None:
                    bridges.add(via)
    return bridges


def _cost(
    grid: Sequence[Sequence[int]], cell: tuple[int, int], hidden: set[tuple[int, int]]
) -> int:
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


def _rectangle(
    grid: Sequence[Sequence[int]], bridge: tuple[int, int], hidden: set[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The cheapest three cells that close a rectangle (a cycle of four) with *bridge*."""
    i, j = bridge
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
            if best is None or total < best[0]:
                best = (total, k, m)
    if best is None:  # cannot happen for a non-zero cell (its margins close one)
        raise AssertionError(f"no rectangle closes a cycle through cell {bridge}")
    _, k, m = best
    return [(k, j), (i, m), (k, m)]


def suppress(
    grid: Sequence[Sequence[int]],
    threshold: int,
    *,
    sensitive: Iterable[tuple[int, int]] = (),
    hidden: Iterable[tuple[int, int]] = (),
) -> list[list[Status]]:
    """The status of every cell of *grid* (interior, row totals in the last column, column
    totals in the last row, the grand total in the corner): primary where the count is 1
    to ``threshold - 1`` or the cell is named *sensitive* (``(row, column)``, by another
    rule), secondary where more must be hidden so that no hidden cell is fixed by the
    published ones and the sums, or where named in *hidden* (a cell another table of the
    same release hides: linked tables hide their shared cells alike)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError("threshold must be an int >= 1")
    rows, columns = _check(grid)
    primary = {(i, j) for i in range(rows) for j in range(columns) if 0 < grid[i][j] < threshold}
    named = {"sensitive": set(sensitive), "hidden": set(hidden)}
    for name, cells in named.items():
        for i, j in cells:
            if not (0 <= i < rows and 0 <= j < columns):
                raise ValueError(f"{name} cell ({i}, {j}) is not in the table")
    primary |= named["sensitive"]
    hidden = primary | {cell for cell in named["hidden"] if grid[cell[0]][cell[1]]}
    while bridges := derivable(hidden, rows, columns):
        # the cheapest bridge first, in a fixed order: the same table, the same pattern
        bridge = min(bridges, key=lambda cell: (_cost(grid, cell, set()), cell))
        hidden.update(_rectangle(grid, bridge, hidden))
    return [
        [
            Status.PRIMARY
            if (i, j) in primary
            else Status.SECONDARY
            if (i, j) in hidden
            else Status.PUBLISHED
            for j in range(columns)
        ]
        for i in range(rows)
    ]
