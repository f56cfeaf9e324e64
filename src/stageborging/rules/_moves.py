"""A command resolved against its stream's definition and state: what it would do.

Opening a stream, firing a transition and recording a fact become one :class:`Move`
each, so the rest of the pipeline (decide, seal, write) treats them alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from ..core import Actor, EventType, FrozenMap, InvalidInput, InvalidTransition, Role
from ..lifecycles import (
    PLAN,
    Effect,
    FactSpec,
    FieldSpec,
    Guard,
    InstitutionFact,
    LifecycleDefinition,
    Transition,
    split_sealed,
    validate_data,
)

__all__ = [
    "Move",
    "check_actor",
    "check_expected_version",
    "check_input",
    "check_kinds",
    "resolve_fact",
    "resolve_noted",
    "resolve_open",
    "resolve_trigger",
]


class Move(NamedTuple):
    """What a command would do, its data validated (built by the ``resolve_*`` functions,
    which give tuples and read-only data).

    Attributes:
        type: ``opened``, ``transitioned``, ``recorded`` or ``noted`` (an
            institution fact).
        name: The lifecycle (opened), trigger (transitioned) or fact (recorded).
        dest: The state after it (the same state for a fact).
        roles: Who may do it.
        data: Its validated data, in canonical form, but for its sealed fields.
        guards: The hard rules it carries.
        effects: What it changes in the stream's facts.
        spec: The transition or fact it is (``None`` for opening).
        sealed: Its sealed fields (free text, a special-category code) in the clear:
            the pipeline seals them before anything is written, and nothing else
            (no rule, plugin, fact or log) ever reads them.
    """

    type: EventType
    name: str
    dest: str
    roles: tuple[Role, ...]
    data: Mapping[str, Any]
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    spec: Transition | FactSpec | InstitutionFact | None = None
    sealed: Mapping[str, Any] = FrozenMap({})


def _data(specs: tuple[FieldSpec, ...], data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``data`` and ``sealed`` of a move whose fields are *specs*."""
    clear, sealed = split_sealed(specs, validate_data(specs, data))
    return {"data": clear, "sealed": sealed}


def check_actor(actor: object) -> Actor:
    """*actor* if it is an :class:`Actor`, else InvalidInput."""
    if not isinstance(actor, Actor):
        raise InvalidInput("actor", actor, "must be a stageborging.Actor (id and role)")
    return actor


def check_expected_version(value: object) -> None:
    """InvalidInput unless *value* is None or a stream version: a whole number from 0 (True
    is no version)."""
    if value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63
    ):
        raise InvalidInput(
            "expected_version", value, "must be a whole number from 0 (a stream version)"
        )


def check_kinds(type: EventType, name: object, data: object) -> None:
    """InvalidInput when a command's name is no string or its data no mapping (hosts pass
    what their own data held: a list from a JSON payload is no trigger)."""
    if not isinstance(name, str):
        what = "trigger" if type is EventType.TRANSITIONED else "fact"
        raise InvalidInput(what, name, f"must be a {what} name (a string)")
    if data is not None and not isinstance(data, Mapping):
        raise InvalidInput("data", data, "must be a mapping of field names to values")


def resolve_open(definition: LifecycleDefinition, data: Mapping[str, Any] | None) -> Move:
    """Opening a stream under *definition* with *data* (its ``open_fields``)."""
    return Move(
        type=EventType.OPENED,
        name=definition.name,
        dest=definition.initial,
        roles=definition.open_roles,
        **_data(definition.open_fields, data),
    )


def resolve_trigger(
    definition: LifecycleDefinition, state: str, trigger: str, data: Mapping[str, Any] | None
) -> Move:
    """Firing *trigger* from *state*; InvalidInput when the trigger or its data is off."""
    transition = (
        definition.transitions_by_trigger.get(trigger) if isinstance(trigger, str) else None
    )
    if transition is None:
        known = ", ".join(definition.transitions_by_trigger)
        raise InvalidInput("trigger", trigger, f"unknown trigger; known: {known}")
    if state not in transition.sources:
        raise InvalidTransition(trigger, state, definition.triggers_from(state))
    return Move(
        type=EventType.TRANSITIONED,
        name=trigger,
        dest=transition.dest,
        roles=transition.roles,
        guards=transition.guards,
        effects=transition.effects,
        **_data(transition.fields, data),
        spec=transition,
    )


def resolve_fact(
    definition: LifecycleDefinition,
    state: str,
    fact: str,
    data: Mapping[str, Any] | None,
    others: Iterable[str] = (),
) -> Move:
    """Recording *fact* in *state*; InvalidInput when the fact, the state or its data is off
    (an unknown fact's error lists the institution facts, *others*, too)."""
    spec = definition.facts_by_name.get(fact) if isinstance(fact, str) else None
    if spec is None:
        known = ", ".join([*definition.facts_by_name, *others]) or "none"
        raise InvalidInput("fact", fact, f"unknown fact; known: {known}")
    allowed = definition.fact_states(spec)
    if state not in allowed:
        raise InvalidInput(
            "fact", fact, f"not recorded in state {state!r} (only in: {', '.join(allowed)})"
        )
    return Move(
        type=EventType.RECORDED,
        name=fact,
        dest=state,
        roles=spec.roles,
        guards=spec.guards,
        effects=(spec.effect,),
        **_data(spec.fields, data),
        spec=spec,
    )


def resolve_noted(
    definition: LifecycleDefinition,
    state: str,
    fact: InstitutionFact,
    data: Mapping[str, Any] | None,
) -> Move:
    """Recording the institution *fact* in *state*; InvalidInput when the state or the data
    is off. It carries no guard and no effect of the lifecycle's: only its own count."""
    allowed = fact.states_in(definition)
    if state not in allowed:
        raise InvalidInput(
            "fact", fact.name, f"not recorded in state {state!r} (only in: {', '.join(allowed)})"
        )
    return Move(
        type=EventType.NOTED,
        name=fact.name,
        dest=state,
        roles=fact.roles,
        **_data(fact.fields, data),
        spec=fact,
    )


def check_input(move: Move, facts: Mapping[str, Any]) -> None:
    """Input checks that need the stream's facts; raise InvalidInput, write nothing."""
    applications = facts.get("applications", {})
    for effect in move.effects:
        if effect is Effect.APPLICATION_SENT and move.data["application"] in applications:
            raise InvalidInput(
                "data.application", move.data["application"], "an application with this id exists"
            )
        if effect is Effect.APPLICATION_OUTCOME and move.data["application"] not in applications:
            raise InvalidInput(
                "data.application", move.data["application"], "no application with this id was sent"
            )
        if effect is Effect.RESCHEDULE:
            _check_plan(move.data, facts)


def _check_plan(data: Mapping[str, Any], facts: Mapping[str, Any]) -> None:
    """A change of plan names its reason and what changes, ends after it starts, and
    credits no more hours than were worked or are planned."""
    details = facts.get("details", {})
    changed = [k for k in (*PLAN, "hours_credited") if k in data]
    if changed and "reason" not in data:
        raise InvalidInput(
            "data.reason", None, f"is required with {changed[0]}: why the plan changes"
        )
    if "reason" in data and not changed:
        raise InvalidInput(
            "data.planned_start",
            None,
            "a reschedule gives a new planned_start, planned_end, planned_hours or hours_credited",
        )
    if "hours_credited" in data:
        credit, worked = data["hours_credited"], facts.get("hours", 0)
        planned = data.get("planned_hours", details.get("planned_hours"))
        if credit > worked:
            raise InvalidInput("data.hours_credited", credit, f"is more than the {worked} worked")
        if planned is not None and credit > planned:
            raise InvalidInput("data.hours_credited", credit, f"is more than the {planned} planned")
    start = data.get("planned_start", details.get("planned_start"))
    end = data.get("planned_end", details.get("planned_end"))
    if start is not None and end is not None and end < start:
        field = "data.planned_end" if "planned_end" in data else "data.planned_start"
        raise InvalidInput(
            field, data.get(field[5:]), f"the plan would end ({end}) before it starts ({start})"
        )
