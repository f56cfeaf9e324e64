"""`lifecycle show` and its table say everything a definition says."""

from __future__ import annotations

import attrs
import pytest

from stageborging import LifecycleDefinition
from stageborging.lifecycles import builtin, mbo_bpv, to_table


@pytest.mark.parametrize("definition", builtin(), ids=lambda d: d.name)
def test_the_table_shows_every_part_of_a_definition(definition: LifecycleDefinition) -> None:
    """Transitions with effects and data, facts with states and data, opening data, codes."""
    text = to_table(definition)
    for t in definition.transitions:
        row = next(line for line in text.splitlines() if line.startswith(f"{t.trigger} "))
        for part in (t.dest, *map(str, t.guards), *map(str, t.effects)):
            assert part in row, (t.trigger, part)
        for spec in t.fields:
            assert spec.describe() in row
    for fact in definition.facts:
        row = next(line for line in text.splitlines() if line.startswith(f"{fact.name} "))
        assert str(fact.effect) in row
        assert ", ".join(definition.fact_states(fact)) in row
        for spec in fact.fields:
            assert spec.describe() in row
    assert f"opened by: {', '.join(map(str, definition.open_roles))}" in text
    for spec in definition.open_fields:
        assert spec.describe() in text
        assert all(code in text for code in spec.codes)


def test_states_that_map_to_another_phase_are_listed() -> None:
    """A variant's own states show the canonical phase they stand for."""

    base = mbo_bpv()
    variant = attrs.evolve(
        base,
        name="intake_variant",
        states=("intake", *base.states),
        initial="intake",
        phases={"intake": "orientation"},
        transitions=(
            *base.transitions,
            attrs.evolve(base.transitions[0], trigger="finish_intake", sources=("intake",),
                         dest="orientation"),
        ),
    )  # fmt: skip
    assert "phases: intake = orientation" in to_table(variant)
