"""Small-cell suppression: no published cell under the threshold, and no hidden cell that
the published cells and the table's sums fix (checked by an independent rational solver)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stageborging.monitoring import Status, exposed, suppress
from support.suppression import bounded_fixed, determined


def with_margins(interior: list[list[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in interior]
    return [*rows, [sum(column) for column in zip(*rows, strict=True)]]


counts = st.integers(min_value=0, max_value=30) | st.integers(min_value=0, max_value=6)
tables = st.integers(min_value=1, max_value=6).flatmap(
    lambda r: st.integers(min_value=2, max_value=6).flatmap(
        lambda c: st.lists(st.lists(counts, min_size=c, max_size=c), min_size=r, max_size=r)
    )
)


@settings(max_examples=150, deadline=None)
@given(interior=tables, threshold=st.integers(min_value=3, max_value=10))
def test_no_small_cell_is_published_and_no_hidden_cell_can_be_recomputed(
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
    # nor with the bound the release gives away: a hidden count is at least 1
    assert bounded_fixed(grid, statuses) == set()


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


def test_the_bound_a_hidden_count_gives_away_is_taken_into_account() -> None:
    """Zeros are published, so a hidden count is at least 1: two hidden cells that add up
    to a published 2 are 1 each. The exact equations alone leave them free; the bound
    fixes them, and suppression hides more until neither does."""
    grid = with_margins([[1, 1, 8], [1, 1, 8], [1, 1, 8]])
    ones = {(i, j) for i in range(3) for j in range(2)}
    primary = [[Status.PRIMARY if (i, j) in ones else Status.PUBLISHED for j in range(4)]
               for i in range(4)]  # fmt: skip
    assert determined(grid, primary) == set()  # more unknowns than equations...
    assert bounded_fixed(grid, primary) == ones  # ...but each is 1
    assert exposed(grid, ones) == ones
    statuses = suppress(grid, 3)
    assert bounded_fixed(grid, statuses) == set()
    assert determined(grid, statuses) == set()
