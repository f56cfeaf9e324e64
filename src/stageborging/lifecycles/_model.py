"""Lifecycle definitions as data: states, transitions, facts, roles and guards.

A :class:`LifecycleDefinition` is immutable, validated when it is built, and
has a stable :attr:`~LifecycleDefinition.digest` that is stamped on every event
recorded under it. The meaning of a transition comes from its *guards* (the hard
rules it enforces) and its *effects* (what it changes besides the state), both
from fixed vocabularies; its name is a label.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Mapping
from enum import StrEnum
from functools import cached_property
from typing import Any

from attrs import field, frozen

from ..core import (
    IDENTIFIER,
    DefinitionError,
    InvalidInput,
    Role,
    UnguardedPath,
    canonical_bytes,
)
from ._fields import FieldKind, FieldSpec
from ._proof import FINAL_PHASES, PHASES, find_bypass
from ._render import to_mermaid, to_table

__all__ = [
    "Effect",
    "FactSpec",
    "Guard",
    "LifecycleDefinition",
    "Transition",
]


class Guard(StrEnum):
    """Hard rules a transition or fact can carry (DOMAIN.md, *hard*)."""

    #: signatures of student, school and employer on the current agreement
    #: version, plus guardian when the student is a minor on the planned start
    SIGNATURES = "signatures"
    #: the start date is reached and the agreement was confirmed no later than it
    NO_RETROACTIVE_START = "no_retroactive_start"
    #: the employer is recognised for the student's qualification (MBO)
    RECOGNITION = "recognition"
    #: the programme approved the assignment (HBO)
    ASSIGNMENT_APPROVAL = "assignment_approval"
    #: a reason code from the transition's list is required
    REASON_CODE = "reason_code"
    #: an assessment decision has been recorded
    ASSESSMENT_DECISION = "assessment_decision"
    #: the reporter of a case has given consent (and not withdrawn it)
    CONSENT = "consent"
    #: feedback to the reporter has been recorded
    REPORTER_FEEDBACK = "reporter_feedback"
    #: a signature's party matches the role that records it
    SIGNATURE_PARTY = "signature_party"


class Effect(StrEnum):
    """What a transition or fact changes in the stream's facts."""

    SET_EMPLOYER = "set_employer"
    CLEAR_PLACEMENT = "clear_placement"
    NEW_AGREEMENT = "new_agreement"
    CONFIRM_AGREEMENT = "confirm_agreement"
    GIVE_CONSENT = "give_consent"
    WITHDRAW_CONSENT = "withdraw_consent"
    APPLICATION_SENT = "application_sent"
    APPLICATION_OUTCOME = "application_outcome"
    GUIDANCE_CONTACT = "guidance_contact"
    SIGNATURE = "signature"
    HOURS = "hours"
    MIDTERM_REVIEW = "midterm_review"
    ASSESSMENT_DECISION = "assessment_decision"
    ASSIGNMENT_DECISION = "assignment_decision"
    EMPLOYER_HEARING = "employer_hearing"
    EXTERNAL_REFERRAL = "external_referral"
    REPORTER_FEEDBACK = "reporter_feedback"


KINDS = ("internship", "case")
EDUCATION = ("mbo", "hbo", "none")


def _roles(values: Iterable[str]) -> tuple[Role, ...]:
    # Unknown roles are kept as strings so that validation can name them.
    return tuple(Role(v) if v in Role._value2member_map_ else v for v in values)  # type: ignore[misc]


def _strs(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _member(kind: type[StrEnum], field_name: str, value: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(m.value for m in kind)
        raise InvalidInput(field_name, value, f"unknown; known: {known}") from None


def _guards(values: Iterable[Guard | str]) -> tuple[Guard, ...]:
    return tuple(_member(Guard, "guards", v) for v in values)


def _effects(values: Iterable[Effect | str]) -> tuple[Effect, ...]:
    return tuple(_member(Effect, "effects", v) for v in values)


def _effect(value: Effect | str) -> Effect:
    effect: Effect = _member(Effect, "effect", value)
    return effect


def _field_specs(values: Iterable[FieldSpec]) -> tuple[FieldSpec, ...]:
    return tuple(values)


@frozen
class Transition:
    """One trigger: from which states to which, who may fire it, what it checks.

    Attributes:
        trigger: The name used to fire it (``"start"``).
        sources: The states it may be fired from.
        dest: The state it moves to.
        roles: The roles allowed to fire it.
        guards: Hard rules it enforces (:class:`Guard`).
        fields: The data it takes.
        effects: What it changes besides the state (:class:`Effect`).
    """

    trigger: str
    sources: tuple[str, ...] = field(converter=_strs)
    dest: str
    roles: tuple[Role, ...] = field(converter=_roles)
    guards: tuple[Guard, ...] = field(default=(), converter=_guards)
    fields: tuple[FieldSpec, ...] = field(default=(), converter=_field_specs)
    effects: tuple[Effect, ...] = field(default=(), converter=_effects)

    def to_json(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "sources": list(self.sources),
            "dest": self.dest,
            "roles": [str(r) for r in self.roles],
            "guards": [str(g) for g in self.guards],
            "fields": [f.to_json() for f in self.fields],
            "effects": [str(e) for e in self.effects],
        }


@frozen
class FactSpec:
    """A fact recorded on a stream without a state change.

    Attributes:
        name: The fact's name (``"signature"``).
        roles: The roles allowed to record it.
        effect: What recording it changes in the stream's facts.
        fields: The data it takes.
        guards: Hard rules it enforces.
        states: The states it may be recorded in; empty means every non-final
            state. Facts are never recorded in a final state.
    """

    name: str
    roles: tuple[Role, ...] = field(converter=_roles)
    effect: Effect = field(converter=_effect)
    fields: tuple[FieldSpec, ...] = field(default=(), converter=_field_specs)
    guards: tuple[Guard, ...] = field(default=(), converter=_guards)
    states: tuple[str, ...] = field(default=(), converter=_strs)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "roles": [str(r) for r in self.roles],
            "effect": str(self.effect),
            "fields": [f.to_json() for f in self.fields],
            "guards": [str(g) for g in self.guards],
            "states": list(self.states),
        }


def _phase_pairs(
    values: Mapping[str, str] | Iterable[tuple[str, str]],
) -> tuple[tuple[str, str], ...]:
    pairs = values.items() if isinstance(values, Mapping) else values
    return tuple(sorted((str(state), str(phase)) for state, phase in pairs))


def _transitions(values: Iterable[Transition]) -> tuple[Transition, ...]:
    return tuple(values)


def _facts(values: Iterable[FactSpec]) -> tuple[FactSpec, ...]:
    return tuple(values)


@frozen
class LifecycleDefinition:
    """A validated lifecycle: build one to give an institution its own variant.

    Raises:
        DefinitionError: naming the offending state, transition or fact, when
            the definition is not sound (see :func:`validate`).
    """

    name: str
    kind: str
    states: tuple[str, ...] = field(converter=_strs)
    initial: str
    final: tuple[str, ...] = field(converter=_strs)
    transitions: tuple[Transition, ...] = field(converter=_transitions)
    facts: tuple[FactSpec, ...] = field(default=(), converter=_facts)
    open_roles: tuple[Role, ...] = field(default=(), converter=_roles)
    open_fields: tuple[FieldSpec, ...] = field(default=(), converter=_field_specs)
    education: str = "none"
    description: str = ""
    phases: tuple[tuple[str, str], ...] = field(default=(), converter=_phase_pairs)

    def __attrs_post_init__(self) -> None:
        validate(self)

    @cached_property
    def phase_of(self) -> Mapping[str, str]:
        """Every state's canonical phase: as given in ``phases``, else its own name."""
        given = dict(self.phases)
        return {state: given.get(state, state) for state in self.states}

    def to_json(self) -> dict[str, Any]:
        """The definition as plain data; its canonical bytes give the digest."""
        return {
            "name": self.name,
            "kind": self.kind,
            "education": self.education,
            "states": list(self.states),
            "initial": self.initial,
            "final": list(self.final),
            "transitions": [t.to_json() for t in self.transitions],
            "facts": [f.to_json() for f in self.facts],
            "open_roles": [str(r) for r in self.open_roles],
            "open_fields": [f.to_json() for f in self.open_fields],
            "phases": dict(self.phases),
            "description": self.description,
        }

    @cached_property
    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :meth:`to_json`, less the description.

        The description is a label for people: rewording it is no new definition.
        """
        data = self.to_json()
        del data["description"]
        return hashlib.sha256(canonical_bytes(data)).hexdigest()

    @cached_property
    def transitions_by_trigger(self) -> Mapping[str, Transition]:
        return {t.trigger: t for t in self.transitions}

    @cached_property
    def facts_by_name(self) -> Mapping[str, FactSpec]:
        return {f.name: f for f in self.facts}

    def triggers_from(self, state: str) -> tuple[str, ...]:
        """The triggers that may be fired from *state*, in definition order."""
        return tuple(t.trigger for t in self.transitions if state in t.sources)

    def fact_states(self, fact: FactSpec) -> tuple[str, ...]:
        """The states *fact* may be recorded in."""
        return fact.states or tuple(s for s in self.states if s not in self.final)

    def mermaid(self) -> str:
        """A Mermaid ``stateDiagram-v2`` of this lifecycle (guards in brackets)."""
        return to_mermaid(self)

    def table(self) -> str:
        """A plain-text table of the transitions (roles, guards, data) and facts."""
        return to_table(self)


#: Guards a definition must carry on transitions with these names (E2; a later
#: release proves it on the graph's phases instead of names).
_REQUIRED_GUARDS: Mapping[str, Mapping[str, tuple[Guard, ...]]] = {
    "internship": {
        "confirm_signatures": (Guard.SIGNATURES,),
        "start": (Guard.NO_RETROACTIVE_START,),
        "suspend": (Guard.REASON_CODE,),
        "cancel_placement": (Guard.REASON_CODE,),
        "terminate": (Guard.REASON_CODE,),
        "complete": (Guard.ASSESSMENT_DECISION,),
    },
    "case": {
        "close": (Guard.REPORTER_FEEDBACK,),
    },
}
_REQUIRED_EFFECTS: Mapping[str, Mapping[str, Effect]] = {
    "internship": {"amend_agreement": Effect.NEW_AGREEMENT},
    "case": {"give_consent": Effect.GIVE_CONSENT, "withdraw_consent": Effect.WITHDRAW_CONSENT},
}
#: Facts that may only ever be recorded with consent.
_CONSENT_FACTS = (Effect.EMPLOYER_HEARING, Effect.EXTERNAL_REFERRAL)


def _fail(defn: LifecycleDefinition, element: str, problem: str) -> DefinitionError:
    return DefinitionError(defn.name, element, problem)


def _check_roles(defn: LifecycleDefinition, element: str, roles: Iterable[object]) -> None:
    for role in roles:
        if not isinstance(role, Role):
            known = ", ".join(r.value for r in Role)
            raise _fail(defn, element, f"unknown role {role!r}; known: {known}")


def _check_fields(defn: LifecycleDefinition, element: str, specs: Iterable[FieldSpec]) -> None:
    names: set[str] = set()
    for spec in specs:
        if spec.name in names:
            raise _fail(defn, element, f"field {spec.name!r} declared twice")
        names.add(spec.name)
        if spec.kind in (FieldKind.CODE, FieldKind.CODES) and not spec.codes:
            raise _fail(defn, element, f"field {spec.name!r} of kind {spec.kind} has no codes")


def _check_structure(defn: LifecycleDefinition) -> None:
    if not IDENTIFIER.fullmatch(defn.name):
        raise _fail(defn, "name", "must be an identifier (letters, digits, '._:-')")
    if defn.kind not in KINDS:
        raise _fail(defn, "kind", f"{defn.kind!r} is not one of {', '.join(KINDS)}")
    if defn.education not in EDUCATION:
        raise _fail(defn, "education", f"{defn.education!r} is not one of {', '.join(EDUCATION)}")
    if defn.kind == "internship" and defn.education not in ("mbo", "hbo"):
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


def _check_hard_rules(defn: LifecycleDefinition) -> None:
    for t in defn.transitions:
        element = f"transition {t.trigger!r}"
        required = list(_REQUIRED_GUARDS.get(defn.kind, {}).get(t.trigger, ()))
        if defn.kind == "internship" and t.trigger == "verify_employer":
            if defn.education == "mbo":
                required.append(Guard.RECOGNITION)
            elif defn.education == "hbo":
                required.append(Guard.ASSIGNMENT_APPROVAL)
        for guard in required:
            if guard not in t.guards:
                raise _fail(defn, element, f"must carry the hard guard {guard.value!r}")
        effect = _REQUIRED_EFFECTS.get(defn.kind, {}).get(t.trigger)
        if effect is not None and effect not in t.effects:
            raise _fail(defn, element, f"must carry the effect {effect.value!r}")
        if Guard.REASON_CODE in t.guards:
            reason = next((f for f in t.fields if f.name == "reason"), None)
            if reason is None or not reason.required or reason.kind is not FieldKind.CODE:
                raise _fail(
                    defn, element, "the reason_code guard needs a required code field 'reason'"
                )
    for fact in defn.facts:
        if fact.effect in _CONSENT_FACTS and Guard.CONSENT not in fact.guards:
            raise _fail(defn, f"fact {fact.name!r}", "must carry the hard guard 'consent'")
        if fact.effect is Effect.SIGNATURE and Guard.SIGNATURE_PARTY not in fact.guards:
            raise _fail(defn, f"fact {fact.name!r}", "must carry the hard guard 'signature_party'")


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


def validate(defn: LifecycleDefinition) -> None:
    """Check that *defn* is sound; raise :class:`DefinitionError` if not.

    Checked: one declared initial state; every source and destination declared;
    every state reachable from the initial one; no non-final dead end; nothing
    leaves a final state; known roles; unique triggers, facts and fields; and
    the hard guards on the transitions and facts that need them.
    """
    _check_structure(defn)
    _check_graph(defn)
    _check_hard_rules(defn)
    _check_phases(defn)
