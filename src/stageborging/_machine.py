"""One compiled ``transitions`` machine per lifecycle definition.

The machine is built once (``model=None``, ``auto_transitions=False``) and
shared by every stream: a command moves a throw-away model that holds only the
state (the "flyweight" use the transitions maintainers recommend for many
objects). No model is ever attached with ``add_model``. The hard rules and
plugin checks have already run when :meth:`CompiledMachine.move` is called;
the machine's job is the legal-move table and the state change.
"""

from __future__ import annotations

from transitions import Machine, MachineError

from ._lifecycle import LifecycleDefinition
from .exceptions import InvalidTransition

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
        self._events = self._machine.events

    def move(self, state: str, trigger: str) -> str:
        """Return the state after firing *trigger* from *state*.

        Raises:
            InvalidTransition: the trigger is not allowed from *state*.
        """
        model = _Model(state)
        try:
            self._events[trigger].trigger(model)
        except (MachineError, KeyError):
            raise InvalidTransition(trigger, state, self.definition.triggers_from(state)) from None
        return model.state
