"""The compiled transitions machine: one per definition, and its move table is its own."""

from __future__ import annotations

import pytest

from stageborging import InvalidTransition, LifecycleDefinition
from stageborging.lifecycles import CompiledMachine, builtin


@pytest.mark.parametrize("definition", builtin(), ids=lambda d: d.name)
def test_move_table_agrees_with_triggering_the_machine(definition: LifecycleDefinition) -> None:
    """For every state and trigger, the fast move equals transitions' own trigger()."""
    machine = CompiledMachine(definition)
    for state in definition.states:
        for transition in definition.transitions:
            try:
                fast: str | None = machine.move(state, transition.trigger)
            except InvalidTransition:
                fast = None
            try:
                slow: str | None = machine.trigger(state, transition.trigger)
            except InvalidTransition:
                slow = None
            expected = transition.dest if state in transition.sources else None
            assert fast == slow == expected, (state, transition.trigger)


def test_an_illegal_move_names_the_allowed_triggers() -> None:
    """transitions' MachineError never leaks: it becomes InvalidTransition."""
    definition = builtin()[0]
    machine = CompiledMachine(definition)
    for move in (machine.move, machine.trigger):
        with pytest.raises(InvalidTransition) as info:
            move("orientation", "start")
        assert "begin_search" in str(info.value)
        assert info.value.state == "orientation"
