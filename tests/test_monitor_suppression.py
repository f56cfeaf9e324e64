"""Small-cell suppression: no published cell under the threshold, and no hidden cell that
the published cells and the table's sums fix (checked by an independent rational solver)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stageborging.monitoring import Status, suppress


def with_margins(interior: list[list[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in interior]
    return [*rows, [sum(column) for column in zip(*rows, strict=True)]]


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


counts = st.integers(min_value=0, max_value=30) | st.integers(min_value=0, max_value=6)
tables = st.integers(min_value=1, max_value=6).flatmap(
    lambda r: st.integers(min_value=2, max_value=6).flatmap(
        lambda c: st.lists(st.lists(counts, min_size=c, max_size=c), min_size=r, max_size=r)
    )
)


@settings(max_examples=300, deadline=None)
@given(interior=tables, threshold=st.integers(min_value=3, max_value=10))
def test_no_small_cell_is_published_and_no_hidden_cell_is_derivable(
    interior: list[list[int]], threshold: int
) -> None:
    grid = with_margins(interior)
    statuses = suppress(grid, threshold)
    for row, marks in zip(grid, statuses, strict=True):
        for value, status in zip(row, marks, strict=True):
            if 0 < value < threshold:
                assert status is Status.PRIMARY
            if value == 0:
                assert status is Status.PUBLISHED  # zeros are published
            if status is Status.PRIMARY:
                assert 0 < value < threshold
    assert determined(grid, statuses) == set()


def test_the_solver_sees_a_lone_hidden_cell_in_a_row() -> None:
    """The check is not vacuous: primary suppression alone leaves a derivable cell."""
    grid = with_margins([[2, 10], [12, 15]])
    alone = [[Status.PRIMARY if (i, j) == (0, 0) else Status.PUBLISHED for j in range(3)]
             for i in range(3)]  # fmt: skip
    assert determined(grid, alone) == {(0, 0)}


def test_a_table_without_small_cells_is_published_whole() -> None:
    grid = with_margins([[5, 9], [12, 0]])
    assert all(s is Status.PUBLISHED for row in suppress(grid, 5) for s in row)


def test_the_same_table_gives_the_same_pattern() -> None:
    grid = with_margins([[1, 7, 9], [8, 2, 11], [6, 13, 3]])
    assert suppress(grid, 5) == suppress(grid, 5)


@pytest.mark.parametrize(
    "grid",
    [[[1, 2]], [[1, 2, 3], [1, 2, 4]], [[1, 1, 3], [1, 1, 2]], [[-1, 1, 0], [-1, 1, 0]]],
)
def test_a_grid_that_is_no_table_of_counts_is_refused(grid: list[list[int]]) -> None:
    with pytest.raises(ValueError, match=r"table|row|column|count"):
        suppress(grid, 5)


def test_the_vignette_example_of_gauss_suppression() -> None:
    """Statistics Norway's GaussSuppression, vignette "Small count frequency table
    suppression", Table 1: the zero of young x Portugal is sensitive there (maxN = 1), and
    the cells published without it would give it back from the row's total; the package
    hides the rectangle of young and old x Iceland and Portugal, and no margin."""
    grid = with_margins([[2, 0, 5], [3, 4, 6]])  # young, old x Iceland, Portugal, Spain
    statuses = suppress(grid, 1, sensitive=[(0, 1)])
    hidden = {(i, j) for i, row in enumerate(statuses) for j, s in enumerate(row)
              if s is not Status.PUBLISHED}  # fmt: skip
    assert hidden == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert statuses[0][1] is Status.PRIMARY
    assert determined(grid, statuses) == set()


def test_the_handbook_example_of_a_sector_total() -> None:
    """The Handbook on Statistical Disclosure Control (Hundepool et al.), chapter 4,
    example 1a: a sector's production of 56,600 with subsectors I (sensitive), II (47,600)
    and III (8,002); published beside the total, I is 56,600 - 47,600 - 8,002 = 998, so
    one of the other subsectors must be hidden as well: the smaller one here."""
    grid = with_margins([[998], [47_600], [8_002]])  # one column: each row's total is itself
    statuses = suppress(grid, 1, sensitive=[(0, 0)])
    column = [row[0] for row in statuses]
    assert column == [Status.PRIMARY, Status.PUBLISHED, Status.SECONDARY, Status.PUBLISHED]
    assert determined(grid, statuses) == set()
