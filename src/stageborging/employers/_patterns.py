"""The rejection-pattern statistics: which employers invite markedly fewer students than
the rest of the same programme and level, by an exact test a person can check.

For one employer in one programme and level, over the applications sent in a window
whose outcome is known (``no_response`` counts as not invited; pending and withdrawn
ones are left out), let

* ``n`` be its applications and ``k`` how many brought an invitation;
* ``N`` be all the group's applications and ``K`` all its invitations.

Under the hypothesis that the employer invites like everyone else, ``k`` follows the
hypergeometric distribution of ``n`` draws from ``N`` with ``K`` successes, and the
one-sided p-value of an invitation rate this low or lower is

.. math::

   p = P(X \\le k) = \\sum_{i=\\max(0,\\,n-(N-K))}^{k}
       \\frac{\\binom{K}{i}\\binom{N-K}{n-i}}{\\binom{N}{n}}

(Fisher's exact test, one-sided, on the table of the employer against the rest). It is
computed exactly, in integers, then rounded once. The p-values of every employer tested
in one run are adjusted by Holm's step-down method (sorted ascending, the ``i``-th of
``m`` times ``m - i + 1``, kept non-decreasing, at most 1), and an employer is flagged
for a person's review when its adjusted p-value is below the significance level
(default 0.01). An employer with fewer than the minimum applications (default 10) is
not tested at all: it neither fires nor counts in the adjustment.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from math import comb

from attrs import frozen

from ..core import InvalidInput

__all__ = ["PatternSettings", "PatternTest", "find_patterns", "holm", "lower_tail"]


def lower_tail(k: int, population: int, successes: int, draws: int) -> Fraction:
    """``P(X <= k)`` for X hypergeometric: *draws* from *population* holding *successes*,
    exactly (a fraction)."""
    if not 0 <= successes <= population or not 0 <= draws <= population:
        raise ValueError("successes and draws must lie within the population")
    low = max(0, draws - (population - successes))
    high = min(k, draws, successes)
    if high < low:
        return Fraction(0)
    favourable = sum(
        comb(successes, i) * comb(population - successes, draws - i) for i in range(low, high + 1)
    )
    return Fraction(favourable, comb(population, draws))


def holm(p_values: Iterable[float]) -> list[float]:
    """Holm's step-down adjustment of *p_values*, in their given order."""
    given = list(p_values)
    order = sorted(range(len(given)), key=given.__getitem__)
    adjusted = [0.0] * len(given)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(given) - rank) * given[index]))
        adjusted[index] = running
    return adjusted


@frozen
class PatternSettings:
    """How the rejection-pattern alert is computed.

    Attributes:
        window_days: The rolling window of applications sent, in days (1 to 3660).
        min_applications: The fewest applications with a known outcome an employer must
            have in a group to be tested (at least 10: fewer never fire).
        alpha: The significance level the Holm-adjusted p-value must fall below
            (above 0, at most 0.1).
    """

    window_days: int = 90
    min_applications: int = 10
    alpha: float = 0.01

    def __attrs_post_init__(self) -> None:
        if (
            isinstance(self.window_days, bool)
            or not isinstance(self.window_days, int)
            or not (1 <= self.window_days <= 3660)
        ):
            raise InvalidInput("window_days", self.window_days, "must be a whole number, 1 to 3660")
        if (
            isinstance(self.min_applications, bool)
            or not isinstance(self.min_applications, int)
            or not 10 <= self.min_applications <= 100_000
        ):
            raise InvalidInput(
                "min_applications", self.min_applications, "must be a whole number of at least 10"
            )
        if (
            isinstance(self.alpha, bool)
            or not isinstance(self.alpha, (int, float))
            or not (0 < self.alpha <= 0.1)
        ):
            raise InvalidInput("alpha", self.alpha, "must be a number above 0, at most 0.1")


@frozen
class PatternTest:
    """One employer tested in one programme and level.

    Attributes:
        programme: The programme.
        level: The level (None for a programme without levels).
        employer: The employer.
        applications: Its applications with a known outcome (``n``).
        invited: How many brought an invitation (``k``).
        others_applications: The rest of the group's applications (``N - n``).
        others_invited: The rest's invitations (``K - k``).
        p_value: The exact one-sided p-value.
        adjusted_p: Holm-adjusted over the employers tested in the run.
        flagged: Whether the adjusted p-value is below the significance level.
    """

    programme: str
    level: int | None
    employer: str
    applications: int
    invited: int
    others_applications: int
    others_invited: int
    p_value: float
    adjusted_p: float
    flagged: bool


def find_patterns(
    counts: Iterable[tuple[str, int | None, str, int, int]],
    settings: PatternSettings | None = None,
) -> list[PatternTest]:
    """Every employer tested, from the counts of (programme, level, employer,
    applications, invited), in the order given; adjusted and flagged over all of them."""
    settings = PatternSettings() if settings is None else settings
    groups: dict[tuple[str, int | None], list[tuple[str, int, int]]] = {}
    for programme, level, employer, applications, invited in counts:
        groups.setdefault((programme, level), []).append((employer, applications, invited))
    raw: list[tuple[str, int | None, str, int, int, int, int, float]] = []
    for (programme, level), rows in groups.items():
        total = sum(applications for _, applications, _ in rows)
        invitations = sum(invited for _, _, invited in rows)
        for employer, applications, invited in rows:
            others = total - applications
            if applications < settings.min_applications or others == 0:
                continue  # too few to judge, or nobody to compare with
            p = float(lower_tail(invited, total, invitations, applications))
            raw.append((programme, level, employer, applications, invited, others,
                        invitations - invited, p))  # fmt: skip
    adjusted = holm(row[-1] for row in raw)
    return [
        PatternTest(*row, adjusted_p=q, flagged=q < settings.alpha)
        for row, q in zip(raw, adjusted, strict=True)
    ]
