"""The rejection-pattern statistics against an independent reference (scipy), on
Hypothesis-generated tables: the exact one-sided test, Holm's adjustment, and never an
alert below the minimum of applications."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import false_discovery_control, fisher_exact, hypergeom

from stageborging import InvalidInput
from stageborging.employers import PatternSettings, find_patterns, holm, lower_tail


@st.composite
def tables(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """An employer's invited / not invited, and the rest's."""
    return (
        draw(st.integers(0, 60)),
        draw(st.integers(0, 60)),
        draw(st.integers(0, 300)),
        draw(st.integers(0, 300)),
    )


@settings(max_examples=300, deadline=None)
@given(tables())
def test_the_exact_tail_is_fishers_one_sided_test(table: tuple[int, int, int, int]) -> None:
    invited, rejected, others_invited, others_rejected = table
    population = invited + rejected + others_invited + others_rejected
    assume(population > 0)  # scipy has no answer for an empty table (ours: certainty)
    draws = invited + rejected
    successes = invited + others_invited
    ours = float(lower_tail(invited, population, successes, draws))
    reference = hypergeom.cdf(invited, population, successes, draws)
    assert ours == pytest.approx(reference, rel=1e-9, abs=1e-300)
    if draws and (others_invited + others_rejected):
        _, fisher = fisher_exact([[invited, rejected], [others_invited, others_rejected]],
                                 alternative="less")  # fmt: skip
        assert ours == pytest.approx(fisher, rel=1e-9, abs=1e-300)


def holm_reference(p: list[float]) -> list[float]:
    """Holm's method as statsmodels states it, written out for the check."""
    m = len(p)
    order = sorted(range(m), key=p.__getitem__)
    out = [0.0] * m
    best = 0.0
    for i, index in enumerate(order):
        best = max(best, min(1.0, (m - i) * p[index]))
        out[index] = best
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0, 1), max_size=40))
def test_holm_adjusts_as_the_method_states(p: list[float]) -> None:
    adjusted = holm(p)
    assert adjusted == pytest.approx(holm_reference(p))
    assert all(a >= b for a, b in zip(adjusted, p, strict=True))
    # never stricter than no adjustment, never looser than Bonferroni
    assert all(a <= min(1.0, len(p) * b) + 1e-12 for a, b in zip(adjusted, p, strict=True))
    if p:  # and never below the Benjamini-Hochberg adjustment (a looser control)
        bh = false_discovery_control(p, method="bh")
        assert all(a >= b - 1e-12 for a, b in zip(adjusted, bh, strict=True))


@st.composite
def cohorts(draw: st.DrawFn) -> list[tuple[str, int | None, str, int, int]]:
    """Counts of (programme, level, employer, applications, invited)."""
    rows = []
    for programme in draw(st.lists(st.sampled_from(["ict", "care"]), min_size=1, unique=True)):
        level = draw(st.sampled_from([2, 3, None]))
        for n in range(draw(st.integers(1, 8))):
            applications = draw(st.integers(1, 40))
            rows.append((programme, level, f"lb-{n}", applications,
                         draw(st.integers(0, applications))))  # fmt: skip
    return rows


@settings(max_examples=200, deadline=None)
@given(cohorts(), st.sampled_from([10, 12, 20]), st.sampled_from([0.01, 0.05]))
def test_the_run_matches_the_reference_and_never_fires_below_the_minimum(
    rows: list[tuple[str, int | None, str, int, int]], minimum: int, alpha: float
) -> None:
    results = find_patterns(rows, PatternSettings(min_applications=minimum, alpha=alpha))
    groups: dict[Any, list[tuple[str, int, int]]] = {}
    for programme, level, employer, n, k in rows:
        groups.setdefault((programme, level), []).append((employer, n, k))
    expected = []
    for (programme, level), found in groups.items():
        total, invited = sum(n for _, n, _ in found), sum(k for _, _, k in found)
        for employer, n, k in found:
            if n >= minimum and total > n:
                expected.append(((programme, level, employer),
                                 hypergeom.cdf(k, total, invited, n)))  # fmt: skip
    assert [(r.programme, r.level, r.employer) for r in results] == [e[0] for e in expected]
    reference = holm_reference([p for _, p in expected])
    for result, (_, p), q in zip(results, expected, reference, strict=True):
        assert result.applications >= minimum
        assert result.p_value == pytest.approx(p, rel=1e-9, abs=1e-300)
        assert result.adjusted_p == pytest.approx(q, rel=1e-9, abs=1e-300)
        assert result.flagged == (q < alpha)


def test_a_known_pattern_fires_and_a_fair_employer_does_not() -> None:
    """One employer invites 1 of 20 where the rest invite half: flagged; the others not."""
    rows = [("ict", 2, "lb-bad", 20, 1), ("ict", 2, "lb-a", 40, 20), ("ict", 2, "lb-b", 40, 21),
            ("ict", 2, "lb-small", 9, 0)]  # fmt: skip
    results = {r.employer: r for r in find_patterns(rows)}
    assert set(results) == {"lb-bad", "lb-a", "lb-b"}  # nine applications are too few
    assert results["lb-bad"].flagged
    assert results["lb-bad"].p_value < 1e-3
    assert not results["lb-a"].flagged
    assert not results["lb-b"].flagged


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({"window_days": 0}, "window_days"), ({"min_applications": 9}, "min_applications"),
     ({"alpha": 0.5}, "alpha"), ({"alpha": True}, "alpha"), ({"window_days": "90"}, "window_days")],
)  # fmt: skip
def test_bad_settings_are_named(arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        PatternSettings(**arguments)
    assert error.value.field == field
