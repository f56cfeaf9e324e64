"""`lifecycle show` and its table say everything a definition says."""

from __future__ import annotations

import shutil
import subprocess

import attrs
import pytest

from stageborging import LifecycleDefinition
from stageborging.lifecycles import builtin, mbo_bpv, to_dot, to_table


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


@pytest.mark.parametrize("definition", builtin(), ids=lambda d: d.name)
def test_the_dot_diagram_draws_every_state_and_transition(definition: LifecycleDefinition) -> None:
    """Each state once (finals drawn double), the initial arrow, each move with its guards."""
    text = to_dot(definition)
    for state in definition.states:
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(f'"{state}" [label'))
        assert ("peripheries=2" in line) == (state in definition.final)
    assert f'"__start__" -> "{definition.initial}";' in text
    for t in definition.transitions:
        guards = f" [{', '.join(g.value for g in t.guards)}]" if t.guards else ""
        for source in t.sources:
            assert f'"{source}" -> "{t.dest}" [label="{t.trigger}{guards}"];' in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_draws_the_diagram_the_docs_show() -> None:
    """dot renders every built-in lifecycle to an SVG naming each state (as the docs build)."""
    for definition in builtin():
        svg = subprocess.run(
            ["dot", "-Tsvg"], input=to_dot(definition), capture_output=True, text=True, check=True
        ).stdout
        assert svg.lstrip().startswith("<?xml")
        assert all(f">{state}</text>" in svg for state in definition.states)
