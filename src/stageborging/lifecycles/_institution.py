"""Institution facts: what a plugin lets people record besides the built-in facts.

An institution fact (a reflection report, a VOG received, a three-way talk held) is
recorded with :meth:`Engine.record <stageborging.Engine.record>` like a built-in fact,
and written as a ``noted`` event. Its only effect is its own: the stream's facts count
how often it was recorded and keep the values it was last recorded with, under
``noted``. It can never change the placement, the agreement or consent, so the proof
that no path skips a hard rule holds whatever plugins declare. A guidance step may be
completed by it (``done_by``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field, frozen

from ..core import InvalidInput, Role, as_tuple, check_identifier, check_identifiers, parse_role
from ._definition import LifecycleDefinition
from ._fields import FieldSpec, field_problem

__all__ = ["InstitutionFact", "noted"]


def _name(value: object) -> str:
    return check_identifier("name", value)


def _roles(values: object) -> tuple[Role, ...]:
    names = check_identifiers("roles", values)
    if not names:
        raise InvalidInput("roles", values, "must name who may record it")
    return tuple(parse_role("roles", name) for name in names)


def _fields(values: object) -> tuple[FieldSpec, ...]:
    if isinstance(values, Mapping) or not isinstance(values, Iterable):
        raise InvalidInput("fields", values, "must be a list of FieldSpec")
    found = as_tuple(values)
    for spec in found:
        if not isinstance(spec, FieldSpec):
            raise InvalidInput("fields", spec, "must be a FieldSpec")
    names = [spec.name for spec in found]
    if len(set(names)) != len(names):
        raise InvalidInput("fields", names, "name each field once")
    for spec in found:
        problem = field_problem(spec, found)
        if problem is not None:
            raise InvalidInput("fields", spec.name, problem)
    return found


def _states(values: object) -> tuple[str, ...]:
    return check_identifiers("states", values)


def _lifecycles(values: object) -> tuple[str, ...]:
    return check_identifiers("lifecycles", values)


@frozen(kw_only=True)
class InstitutionFact:
    """A fact an institution's plugin declares (``stageborging_institution_facts``).

    Attributes:
        name: Its code (``vog_received``); no built-in fact or trigger of the
            lifecycles it applies to may have it.
        roles: Who may record it.
        fields: The data it takes (ids, codes, dates, numbers: never free text).
        states: Where it may be recorded; empty means every non-final state.
        lifecycles: The lifecycles it applies to; empty means every internship.
        description: What it records, in English.
        description_nl: The same in Dutch.

    Raises:
        InvalidInput: a field is off, naming it.
    """

    name: str = field(converter=_name)
    roles: tuple[Role, ...] = field(converter=_roles)
    fields: tuple[FieldSpec, ...] = field(default=(), converter=_fields)
    states: tuple[str, ...] = field(default=(), converter=_states)
    lifecycles: tuple[str, ...] = field(default=(), converter=_lifecycles)
    description: str = ""
    description_nl: str = ""

    def __attrs_post_init__(self) -> None:
        for text in ("description", "description_nl"):
            if not isinstance(getattr(self, text), str):
                raise InvalidInput(text, getattr(self, text), "must be a string")

    def applies_to(self, definition: LifecycleDefinition) -> bool:
        """Whether streams of *definition* may record it."""
        if self.lifecycles:
            return definition.name in self.lifecycles
        return definition.kind == "internship"

    def states_in(self, definition: LifecycleDefinition) -> tuple[str, ...]:
        """The states of *definition* it may be recorded in."""
        return self.states or tuple(s for s in definition.states if s not in definition.final)

    def check(self, definitions: Mapping[str, LifecycleDefinition]) -> None:
        """Raise ValueError when it names an unknown lifecycle or state, or takes the name
        of a built-in fact or trigger."""
        unknown = [n for n in self.lifecycles if n not in definitions]
        if unknown:
            raise ValueError(f"fact {self.name!r}: unknown lifecycle {unknown[0]!r}")
        for definition in definitions.values():
            if not self.applies_to(definition):
                continue
            where = f"fact {self.name!r}: {definition.name!r}"
            if (
                self.name in definition.facts_by_name
                or self.name in definition.transitions_by_trigger
            ):
                raise ValueError(f"{where} has a fact or trigger of this name")
            missing = [s for s in self.states if s not in definition.states]
            if missing:
                raise ValueError(f"{where} has no state {missing[0]!r}")
            final = [s for s in self.states if s in definition.final]
            if final:
                raise ValueError(f"{where}: nothing is recorded in the final state {final[0]!r}")


def noted(facts: Mapping[str, Any], name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The facts after the institution fact *name* was recorded with *data*: its count
    goes up by one and its values become *data*; nothing else changes."""
    kept = dict(facts.get("noted", {}))
    earlier = kept.get(name, {"count": 0})
    kept[name] = {"count": earlier["count"] + 1, "values": dict(data)}
    return {**facts, "noted": kept}
