"""The hard rules have one vocabulary: every Guard is in the proof's table and has a check."""

from __future__ import annotations

from stageborging import Guard
from stageborging.lifecycles._hardrules import (
    ENTRY_RULES,
    FACT_RULES,
    FIELD_RULES,
    PATH_RULES,
    PLACEMENT_CHECK,
)
from stageborging.rules import GUARD_CHECKS


def test_every_guard_has_a_run_time_check() -> None:
    """A guard a definition carries is always checked when a command runs."""
    assert set(GUARD_CHECKS) == set(Guard)


def test_every_guard_is_demanded_by_the_hard_rule_table() -> None:
    """The static proof and the run-time checks speak of the same guards, none left out."""
    demanded = {rule.needs for rule in ENTRY_RULES if isinstance(rule.needs, Guard)}
    demanded |= {guard for rule in PATH_RULES for guard in rule.guards}
    demanded |= set(PLACEMENT_CHECK.values()) | set(FACT_RULES.values()) | set(FIELD_RULES)
    assert demanded == set(Guard)
