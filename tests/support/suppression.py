"""Independent checks of a suppression pattern: what an attacker recomputes from the
published cells and the sums (exact rationals), and with the bound that a hidden count
is at least 1 (a linear program, scipy's HiGHS)."""

from __future__ import annotations

from fractions import Fraction

from stageborging.monitoring import Status

Cell = tuple[int, int]
Equations = list[tuple[list[Fraction], Fraction]]


def _equations(
    grid: list[list[int]], statuses: list[list[Status]]
) -> tuple[list[Cell], dict[Cell, int], Equations]:
    """The unknowns (the hidden cells), their index, and every line's equation over them
    (coefficients, constant)."""
    rows, columns = len(grid), len(grid[0])
    unknowns = [(i, j) for i in range(rows) for j in range(columns)
                if statuses[i][j] is not Status.PUBLISHED]  # fmt: skip
    index = {cell: n for n, cell in enumerate(unknowns)}
    equations: Equations = []

    def line(cells: list[tuple[int, int]], total: tuple[int, int]) -> None:
        coefficients = [Fraction(0)] * len(unknowns)
        constant = Fraction(0)
        for cell, sign in [*((c, 1) for c in cells), (total, -1)]:
            if cell in index:
                coefficients[index[cell]] += sign
            else:
                constant -= sign * grid[cell[0]][cell[1]]
        equations.append((coefficients, constant))

    for i in range(rows):
        line([(i, j) for j in range(columns - 1)], (i, columns - 1))
    for j in range(columns):
        line([(i, j) for i in range(rows - 1)], (rows - 1, j))
    return unknowns, index, equations


def determined(grid: list[list[int]], statuses: list[list[Status]]) -> set[tuple[int, int]]:
    """The hidden cells whose value is the same in every rational solution of the
    published cells and the sums: Gaussian elimination over the fractions, then a cell
    is fixed when its unit vector lies in the row space of the constraints."""
    rows, columns = len(grid), len(grid[0])
    unknowns = [
        (i, j)
        for i in range(rows)
        for j in range(columns)
        if statuses[i][j] is not Status.PUBLISHED
    ]
    index = {cell: n for n, cell in enumerate(unknowns)}
    equations: list[list[Fraction]] = []

    def line(cells: list[tuple[int, int]], total: tuple[int, int]) -> None:
        coefficients = [Fraction(0)] * len(unknowns)
        for cell in cells:
            if cell in index:
                coefficients[index[cell]] += 1
        if total in index:
            coefficients[index[total]] -= 1
        equations.append(coefficients)  # the constant side does not matter for fixedness

    for i in range(rows):
        line([(i, j) for j in range(columns - 1)], (i, columns - 1))
    for j in range(columns):
        line([(i, j) for i in range(rows - 1)], (rows - 1, j))
    basis: list[list[Fraction]] = []
    pivots: list[int] = []
    for equation in equations:
        vector = list(equation)
        for pivot, row in zip(pivots, basis, strict=True):
            if vector[pivot]:
                factor = vector[pivot] / row[pivot]
                vector = [a - factor * b for a, b in zip(vector, row, strict=True)]
        lead = next((n for n, value in enumerate(vector) if value), None)
        if lead is not None:
            # keep the basis reduced: clear the new pivot from the rows before it
            for n, row in enumerate(basis):
                if row[lead]:
                    factor = row[lead] / vector[lead]
                    basis[n] = [a - factor * b for a, b in zip(row, vector, strict=True)]
            basis.append(vector)
            pivots.append(lead)
    fixed = set()
    for cell, n in index.items():
        # the unit vector of cell n is in the row space iff reducing it leaves nothing
        vector = [Fraction(int(m == n)) for m in range(len(unknowns))]
        for pivot, row in zip(pivots, basis, strict=True):
            if vector[pivot]:
                factor = vector[pivot] / row[pivot]
                vector = [a - factor * b for a, b in zip(vector, row, strict=True)]
        if not any(vector):
            fixed.add(cell)
    return fixed


def bounded_fixed(grid: list[list[int]], statuses: list[list[Status]]) -> set[tuple[int, int]]:
    """The hidden cells whose value is the same in every solution with every hidden count
    at least 1: the least and the most each can be, by linear programming (the sums'
    matrix is a network's, so the optima are integers: a range under 1 wide is one value)."""
    from scipy.optimize import linprog

    unknowns, index, lines = _equations(grid, statuses)
    if not unknowns:
        return set()
    a_eq = [[float(c) for c in coefficients] for coefficients, _ in lines]
    b_eq = [float(constant) for _, constant in lines]
    fixed = set()
    for cell, n in index.items():
        ends = []
        for sign in (1, -1):
            objective = [0.0] * len(unknowns)
            objective[n] = float(sign)
            result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=[(1, None)] * len(unknowns),
                             method="highs")  # fmt: skip
            if result.status == 3:  # unbounded: more than one value
                break
            assert result.status == 0, result.message
            ends.append(result.x[n])
        if len(ends) == 2 and ends[1] - ends[0] < 0.5:
            fixed.add(cell)
    return fixed
