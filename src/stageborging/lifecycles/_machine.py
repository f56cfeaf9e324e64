"""One compiled ``transitions`` machine per lifecycle definition.

The machine is built once (``model=None``, ``auto_transitions=False``) and
shared by every stream; no model is ever attached with ``add_model``. The hard
rules and plugin checks have already run when :meth:`CompiledMachine.move` is
called; the machine's job is the legal-move table and the state change.

The legal-move table is read from the compiled machine's own events and
transitions once, at compile time, and a move is a lookup in it. Triggering the
machine on a throw-away model (the "flyweight" use) gives the same answer — the
test suite checks that for every state and trigger of every built-in lifecycle
— but costs 15-20 µs per command in callback resolution we do not use, a tenth
of the engine's whole budget above the database commit.
"""

from __future__ import annotations

from transitions import Machine, MachineError

from ..core import InvalidTransition
from ._definition import LifecycleDefinition

__all__ = ["CompiledMachine"]


class _Model:
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class CompiledMachine:
    """The ``transitions`` machine of one definition."""

    def __init__(self, definition: LifecycleDefinition) -> None:
        self.definition = definition
        self._machine = Machine(
            model=None,
            states=list(definition.states),
            transitions=[
                {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
                for t in definition.transitions
            ],
            initial=None,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        self._moves: dict[tuple[str, str], str] = {
            (source, trigger): transitions[0].dest
            for trigger, event in self._machine.events.items()
            for source, transitions in event.transitions.items()
            if transitions[0].dest is not None  # every definition transition has a dest
        }

    def move(self, state: str, trigger: str) -> str:
        """Return the state after firing *trigger* from *state*.

        Raises:
            InvalidTransition: the trigger is not allowed from *state*.
        """
        try:
            return self._moves[state, trigger]
        except KeyError:
            raise InvalidTransition(trigger, state, self.definition.triggers_from(state)) from None

    def trigger(self, state: str, trigger: str) -> str:
        """Move a flyweight model through the ``transitions`` machine itself.

        The slow path that :meth:`move` must always agree with (tests compare them).
        """
        model = _Model(state)
        try:
            self._machine.events[trigger].trigger(model)
        except (MachineError, KeyError):
            raise InvalidTransition(trigger, state, self.definition.triggers_from(state)) from None
        return model.state
