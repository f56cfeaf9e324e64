"""The validation of a lifecycle definition: structure, graph, hard rules and proof."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..core import IDENTIFIER, DefinitionError, Role, UnguardedPath
from ._fields import FieldSpec, field_problem
from ._hardrules import FACT_RULES, FIELD_RULES, PLACEMENT_CHECK
from ._model import Education, Kind
from ._proof import FINAL_PHASES, PHASES, find_bypass

if TYPE_CHECKING:
    from ._definition import LifecycleDefinition

__all__ = ["check_rules", "check_sound", "validate"]


def _fail(defn: LifecycleDefinition, element: str, problem: str) -> DefinitionError:
    return DefinitionError(defn.name, element, problem)


def _check_roles(defn: LifecycleDefinition, element: str, roles: Iterable[object]) -> None:
    for role in roles:
        if not isinstance(role, Role):
            known = ", ".join(r.value for r in Role)
            raise _fail(defn, element, f"unknown role {role!r}; known: {known}")


def _check_fields(defn: LifecycleDefinition, element: str, specs: Iterable[FieldSpec]) -> None:
    names: set[str] = set()
    specs = tuple(specs)
    for spec in specs:
        if spec.name in names:
            raise _fail(defn, element, f"field {spec.name!r} declared twice")
        names.add(spec.name)
        problem = field_problem(spec, specs)
        if problem is not None:
            raise _fail(defn, element, problem)


def _check_structure(defn: LifecycleDefinition) -> None:
    if not IDENTIFIER.fullmatch(defn.name):
        raise _fail(defn, "name", "must be an identifier (letters, digits, '._:-')")
    if not isinstance(defn.kind, Kind):
        raise _fail(defn, "kind", f"{defn.kind!r} is not one of {', '.join(Kind)}")
    if not isinstance(defn.education, Education):
        raise _fail(defn, "education", f"{defn.education!r} is not one of {', '.join(Education)}")
    if defn.kind is Kind.INTERNSHIP and defn.education not in PLACEMENT_CHECK:
        raise _fail(
            defn, "education", "an internship is 'mbo' (recognition) or 'hbo' (assignment approval)"
        )
    if len(set(defn.states)) != len(defn.states):
        raise _fail(defn, "states", "a state is declared twice")
    declared = set(defn.states)
    if defn.initial not in declared:
        raise _fail(defn, f"initial state {defn.initial!r}", "not a declared state")
    for state in defn.final:
        if state not in declared:
            raise _fail(defn, f"final state {state!r}", "not a declared state")
    _check_roles(defn, "open_roles", defn.open_roles)
    _check_fields(defn, "open_fields", defn.open_fields)
    seen: set[str] = set()
    for t in defn.transitions:
        element = f"transition {t.trigger!r}"
        if not IDENTIFIER.fullmatch(t.trigger):
            raise _fail(defn, element, "the trigger must be an identifier")
        if t.trigger in seen:
            raise _fail(defn, element, "declared twice")
        seen.add(t.trigger)
        if not t.sources:
            raise _fail(defn, element, "has no source state")
        for state in (*t.sources, t.dest):
            if state not in declared:
                raise _fail(defn, element, f"state {state!r} is not declared")
        for state in t.sources:
            if state in defn.final:
                raise _fail(defn, element, f"leaves final state {state!r}")
        if not t.roles:
            raise _fail(defn, element, "no role may fire it")
        _check_roles(defn, element, t.roles)
        _check_fields(defn, element, t.fields)
    facts: set[str] = set()
    for fact in defn.facts:
        element = f"fact {fact.name!r}"
        if fact.name in facts or fact.name in seen:
            raise _fail(defn, element, "name declared twice")
        facts.add(fact.name)
        if not fact.roles:
            raise _fail(defn, element, "no role may record it")
        _check_roles(defn, element, fact.roles)
        _check_fields(defn, element, fact.fields)
        for state in fact.states:
            if state not in declared:
                raise _fail(defn, element, f"state {state!r} is not declared")
            if state in defn.final:
                raise _fail(defn, element, f"cannot be recorded in final state {state!r}")


def _check_graph(defn: LifecycleDefinition) -> None:
    outgoing: dict[str, set[str]] = {s: set() for s in defn.states}
    for t in defn.transitions:
        for source in t.sources:
            outgoing[source].add(t.dest)
    reached = {defn.initial}
    queue = deque([defn.initial])
    while queue:
        for nxt in outgoing[queue.popleft()]:
            if nxt not in reached:
                reached.add(nxt)
                queue.append(nxt)
    for state in defn.states:
        if state not in reached:
            raise _fail(defn, f"state {state!r}", f"unreachable from {defn.initial!r}")
        if state not in defn.final and not outgoing[state]:
            raise _fail(defn, f"state {state!r}", "dead end: not final and no way out")
    if not defn.final:
        raise _fail(defn, "final", "at least one final state is required")


def _check_fields_and_facts(defn: LifecycleDefinition) -> None:
    """The field rules and the effect rules on transitions and facts (see :mod:`._hardrules`)."""
    moves = [(f"transition {t.trigger!r}", t.guards, t.effects, t.fields) for t in defn.transitions]
    moves += [(f"fact {f.name!r}", f.guards, (f.effect,), f.fields) for f in defn.facts]
    for element, guards, effects, fields in moves:
        for guard in guards:
            for name, kind in FIELD_RULES.get(guard, ()):
                spec = next((f for f in fields if f.name == name), None)
                if spec is None or not spec.required or spec.kind is not kind:
                    raise _fail(
                        defn,
                        element,
                        f"the {guard.value} guard needs a required {kind.value} field {name!r}",
                    )
        for effect in effects:
            needed = FACT_RULES.get(effect)
            if needed is not None and needed not in guards:
                raise _fail(defn, element, f"must carry the hard guard {needed.value!r}")


def _check_phases(defn: LifecycleDefinition) -> None:
    known = PHASES[defn.kind]
    for state, _ in defn.phases:
        if state not in defn.states:
            raise _fail(defn, f"phases[{state!r}]", "not a declared state")
    for state, phase in defn.phase_of.items():
        if phase not in known:
            hint = f"map it with phases={{{state!r}: ...}}" if phase == state else "unknown phase"
            raise _fail(
                defn, f"state {state!r}", f"phase {phase!r}: {hint}; phases: {', '.join(known)}"
            )
        if phase in FINAL_PHASES and state not in defn.final:
            raise _fail(defn, f"state {state!r}", f"in final phase {phase!r} but not final")
    bypass = find_bypass(defn)
    if bypass is not None:
        raise UnguardedPath(defn.name, bypass)


def check_sound(defn: LifecycleDefinition) -> None:
    """Check that *defn* is a well-formed machine: structure and graph, no hard rules.

    A definition stamped by an earlier release must pass this to be read at all.
    """
    _check_structure(defn)
    _check_graph(defn)


def check_rules(defn: LifecycleDefinition) -> None:
    """Check the hard rules on a sound *defn*: fields, facts, phases and the proof."""
    _check_fields_and_facts(defn)
    _check_phases(defn)


def validate(defn: LifecycleDefinition) -> None:
    """Check that *defn* is sound; raise :class:`DefinitionError` if not.

    Checked: one declared initial state; every source and destination declared;
    every state reachable from the initial one; no non-final dead end; nothing
    leaves a final state; known roles; unique triggers, facts and fields; the
    fields and facts the hard rules need; every state in a known phase; and the
    proof that no way into a phase skips a hard rule (:class:`UnguardedPath`
    with its counterexample).
    """
    check_sound(defn)
    check_rules(defn)
