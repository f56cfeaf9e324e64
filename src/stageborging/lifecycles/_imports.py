"""Importing a running internship: what a stream opened straight into a later state needs.

A school that adopts the library mid-year has internships already under way. An
import opens such a stream directly in its state, with the **evidence** the earlier
system holds in place of the moves it skipped. What a state needs is read from the
definition, the way the proof reads it (:mod:`._proof`): the shortest way from the
initial state into the state, and the path guards a stream passes along it
(:func:`~._proof.passed_along`), each of which the evidence must witness; the
effects along it say which facts the evidence must supply (an employer, an
agreement, its confirmation), and a way in whose last transition carries a reason
code needs a reason. The rules layer judges the witnesses; this module knows the
evidence, what each piece belongs to, and the facts it makes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ..core import InvalidInput, Role
from ._definition import LifecycleDefinition
from ._fields import FieldKind, FieldSpec, validate_data
from ._hardrules import ENTRY_RULES, tracked_guards
from ._model import Effect, Guard, Kind, Transition
from ._proof import passed_along

__all__ = [
    "EVIDENCE_FIELDS",
    "IMPORT_ROLES",
    "ImportNeeds",
    "import_needs",
    "imported_facts",
    "validate_evidence",
]

#: Who may import: the school's system and its placement office.
IMPORT_ROLES = (Role.SYSTEM, Role.PLACEMENT_OFFICE)

_PARTIES = ("employer", "guardian", "school", "student")

#: Every piece of evidence an import may carry (all optional here: the state decides).
EVIDENCE_FIELDS: tuple[FieldSpec, ...] = (
    # codes of the host's own lists: written like ids (letters, digits, ``._:-``)
    FieldSpec("source", FieldKind.ID),  # the system imported from (``eduarte``, ``osiris``)
    FieldSpec("employer", FieldKind.ID, required=False),
    FieldSpec("recognition_source", FieldKind.ID, required=False),
    FieldSpec("recognition_checked_on", FieldKind.DATE, required=False),
    FieldSpec("assignment_approved_on", FieldKind.DATE, required=False),
    FieldSpec("agreement_version", FieldKind.INT, required=False, minimum=1, maximum=999),
    FieldSpec("hours_per_week", FieldKind.INT, required=False, minimum=1, maximum=60),
    FieldSpec("signatures", FieldKind.CODES, required=False, codes=_PARTIES),
    FieldSpec("agreement_confirmed_on", FieldKind.DATE, required=False),
    FieldSpec("employment_contract", FieldKind.ID, required=False),
    FieldSpec("hours", FieldKind.INT, required=False, minimum=0, maximum=100_000),
    FieldSpec("reason", FieldKind.ID, required=False),  # then one of the transition's codes
)

#: What each piece of evidence belongs to: a way in must carry it to make it apply.
_ANCHORS: Mapping[str, Guard | Effect] = {
    "employer": Effect.SET_EMPLOYER,
    "recognition_source": Guard.RECOGNITION,
    "recognition_checked_on": Guard.RECOGNITION,
    "assignment_approved_on": Guard.ASSIGNMENT_APPROVAL,
    "agreement_version": Effect.NEW_AGREEMENT,
    "hours_per_week": Effect.NEW_AGREEMENT,
    "signatures": Effect.NEW_AGREEMENT,
    "agreement_confirmed_on": Effect.CONFIRM_AGREEMENT,
    "employment_contract": Effect.SET_EMPLOYER,
    "hours": Guard.NO_RETROACTIVE_START,
    "reason": Guard.REASON_CODE,
}
#: The evidence a way in needs when it carries each of these.
_REQUIRED: Mapping[Guard | Effect, tuple[str, ...]] = {
    Effect.SET_EMPLOYER: ("employer",),
    Guard.RECOGNITION: ("recognition_source", "recognition_checked_on"),
    Guard.ASSIGNMENT_APPROVAL: ("assignment_approved_on",),
    Effect.NEW_AGREEMENT: ("agreement_version",),
    Effect.CONFIRM_AGREEMENT: ("agreement_confirmed_on",),
    Guard.REASON_CODE: ("reason",),
}


@frozen
class ImportNeeds:
    """What a stream imported into one state needs.

    Attributes:
        state: The state.
        path: The triggers of the shortest way there from the initial state.
        guards: The path guards a stream passes along it: the evidence must witness each.
        carried: Every guard and effect the way carries that evidence belongs to.
        required: The evidence fields that must be given.
        reason: The reason field of the way's last transition, when it needs one.
    """

    state: str
    path: tuple[str, ...]
    guards: tuple[Guard, ...]
    carried: frozenset[Guard | Effect]
    required: tuple[str, ...]
    reason: FieldSpec | None = None

    def allows(self, name: str) -> bool:
        """Whether the evidence field *name* applies to the state."""
        return name == "source" or _ANCHORS[name] in self.carried


def _shortest_way(definition: LifecycleDefinition, state: str) -> tuple[Transition, ...]:
    """The shortest way from the initial state into *state* (definition order breaks ties)."""
    parent: dict[str, tuple[str, Transition]] = {}
    queue = deque([definition.initial])
    seen = {definition.initial}
    while queue:
        here = queue.popleft()
        if here == state:
            break
        if here in definition.final:
            continue
        for transition in definition.transitions:
            if here in transition.sources and transition.dest not in seen:
                seen.add(transition.dest)
                parent[transition.dest] = (here, transition)
                queue.append(transition.dest)
    way: list[Transition] = []
    while state in parent:
        state, transition = parent[state]
        way.append(transition)
    return tuple(reversed(way))


def import_needs(definition: LifecycleDefinition, state: object) -> ImportNeeds:
    """What importing a stream of *definition* into *state* needs.

    Raises:
        InvalidInput: the definition is no internship's (``lifecycle``), or *state* is
            not one of its states or a final one (``state``).
    """
    if definition.kind is not Kind.INTERNSHIP:
        raise InvalidInput("lifecycle", definition.name, "only internships are imported")
    if not isinstance(state, str) or state not in definition.states:
        raise InvalidInput("state", state, f"not a state of {definition.name}")
    if state in definition.final:
        raise InvalidInput("state", state, "a final state: only running internships are imported")
    way = _shortest_way(definition, state)
    guards = passed_along(way, definition.education)
    carried: set[Guard | Effect] = set(guards)
    for transition in way:
        carried.update(transition.effects)
    reason = None
    if way:
        last = way[-1]
        source = definition.phase_of[definition.initial if len(way) == 1 else way[-2].dest]
        dest = definition.phase_of[state]
        entry = {rule.needs for rule in ENTRY_RULES if rule.applies(source, dest)}
        if Guard.REASON_CODE in entry or Guard.REASON_CODE in last.guards:
            carried.add(Guard.REASON_CODE)
            reason = next((f for f in last.fields if f.name == "reason"), None)
    required = tuple(name for rule, names in _REQUIRED.items() if rule in carried for name in names)
    return ImportNeeds(
        state=state,
        path=tuple(t.trigger for t in way),
        guards=tuple(g for g in tracked_guards(definition.education) if g in guards),
        carried=frozenset(carried),
        required=("source", *required),
        reason=reason,
    )


def validate_evidence(needs: ImportNeeds, evidence: object) -> Mapping[str, Any]:
    """The evidence in its canonical form, else InvalidInput naming the field (an unknown
    field, a malformed value, evidence the state does not have, a reason not allowed)."""
    valid = validate_data(EVIDENCE_FIELDS, evidence, prefix="evidence")  # type: ignore[arg-type]
    for name in valid:
        if not needs.allows(name):
            raise InvalidInput(
                f"evidence.{name}", valid[name], f"does not apply to a stream in {needs.state}"
            )
    if needs.reason is not None and "reason" in valid:
        validate_data((needs.reason,), {"reason": valid["reason"]}, prefix="evidence")
    return valid


def imported_facts(facts: Mapping[str, Any], evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of a stream just opened (*facts*) once *evidence* is imported into it:
    what the moves it stands for would have left (the verifier folds the same)."""
    new = dict(facts)
    if "employer" in evidence:
        new["employer"] = evidence["employer"]
        new["assignment_approved"] = "assignment_approved_on" in evidence
    if "agreement_version" in evidence:
        new["agreement_version"] = evidence["agreement_version"]
        new["hours_per_week"] = evidence.get("hours_per_week")
        new["signatures"] = sorted(evidence.get("signatures", ()))
        new["agreement_confirmed_on"] = evidence.get("agreement_confirmed_on")
    if "employment_contract" in evidence:
        new["employment_contract"] = evidence["employment_contract"]
    if "hours" in evidence:
        new["hours"] = evidence["hours"]
    return new
