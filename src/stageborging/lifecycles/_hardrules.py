"""The hard rules (DOMAIN.md, *hard*) as one table, keyed by :class:`Guard` and :class:`Effect`.

The validation and the proof both read this table; nothing else knows which
rule a phase needs. Rules are about *phases* (what a state means), never about
trigger names, so a variant that renames a step keeps its rules:

* **entry rules**: a transition into a phase (optionally only when leaving
  certain phases) must itself carry a guard or an effect;
* **path rules**: every way into a phase must have passed these guards since
  the facts they vouch for last changed; an effect *voids* what it changes,
  whether a transition or a recorded fact carries it;
* **fact rules**: a fact with this effect must carry this guard;
* **field rules**: a guard needs a required field of this name and kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Protocol

from attrs import frozen

from ._fields import FieldKind
from ._model import Education, Effect, Guard

__all__ = [
    "ENTRY_RULES",
    "FACT_RULES",
    "FIELD_RULES",
    "PASSED_BY",
    "PATH_RULES",
    "PLACEMENT_CHECK",
    "PLACEMENT_PHASES",
    "VOIDS",
    "Carrier",
    "EntryRule",
    "PathRule",
    "carries",
    "carries_any",
    "path_guards",
    "tracked_guards",
]

#: The phases of an internship between a proposed placement and its start.
PLACEMENT_PHASES = frozenset(
    {"placement_proposed", "employer_verified", "agreement_pending", "ready_to_start"}
)
#: The guard that checks a placement, by education.
PLACEMENT_CHECK: Mapping[Education, Guard] = {
    Education.MBO: Guard.RECOGNITION,
    Education.HBO: Guard.ASSIGNMENT_APPROVAL,
}


class Carrier(Protocol):
    """What carries hard rules: a transition, or a step of the proof (a transition or a fact)."""

    @property
    def guards(self) -> tuple[Guard, ...]: ...

    @property
    def effects(self) -> tuple[Effect, ...]: ...


def carries(carrier: Carrier, rule: Guard | Effect) -> bool:
    """Whether *carrier* carries *rule*: a guard among its guards, an effect among its effects.

    Guards and effects are told apart by type: ``Guard.ASSESSMENT_DECISION``
    and ``Effect.ASSESSMENT_DECISION`` share a value but are not the same rule.
    """
    return rule in (carrier.guards if isinstance(rule, Guard) else carrier.effects)


def carries_any(carrier: Carrier, rules: tuple[Guard | Effect, ...]) -> bool:
    """Whether *carrier* carries one of *rules*."""
    return any(carries(carrier, rule) for rule in rules)


@frozen
class EntryRule:
    """A transition into a phase of *into*, leaving a phase of *leaving* (any when
    empty), must carry *needs* itself."""

    into: frozenset[str]
    needs: Guard | Effect
    leaving: frozenset[str] = frozenset()

    def applies(self, source_phase: str, dest_phase: str) -> bool:
        return dest_phase in self.into and (not self.leaving or source_phase in self.leaving)


@frozen
class PathRule:
    """Every way into a phase of *phases* must have passed *guards* (and the
    education's placement check, when *placement*) since they were last voided."""

    phases: frozenset[str]
    guards: tuple[Guard, ...] = ()
    placement: bool = False
    #: The educations the rule applies to; empty means every one.
    educations: frozenset[Education] = frozenset()

    def needs(self, education: Education) -> tuple[Guard, ...]:
        if self.educations and education not in self.educations:
            return ()
        check = PLACEMENT_CHECK.get(education) if self.placement else None
        return self.guards if check is None else (*self.guards, check)


ENTRY_RULES: tuple[EntryRule, ...] = (
    EntryRule(frozenset({"suspended", "terminated"}), Guard.REASON_CODE),
    EntryRule(frozenset({"completed"}), Guard.ASSESSMENT_DECISION),
    EntryRule(frozenset({"closed"}), Guard.REPORTER_FEEDBACK),
    # a cancellation: back from a placement to a search
    EntryRule(
        frozenset({"orientation", "searching", "assisted_search"}),
        Guard.REASON_CODE,
        leaving=PLACEMENT_PHASES,
    ),
    # an amendment, or a repeat after a failed assessment: a new agreement replaces the
    # pending, confirmed or finished one
    EntryRule(
        frozenset({"agreement_pending"}),
        Effect.NEW_AGREEMENT,
        leaving=frozenset(
            {"agreement_pending", "ready_to_start", "active", "suspended", "assessment"}
        ),
    ),
    # a repeat: back from the assessment to a new placement period only when it failed,
    # with a reason code
    EntryRule(
        PLACEMENT_PHASES | {"orientation", "searching", "assisted_search"},
        Guard.ASSESSMENT_FAILED,
        leaving=frozenset({"assessment"}),
    ),
    EntryRule(
        PLACEMENT_PHASES | {"orientation", "searching", "assisted_search"},
        Guard.REASON_CODE,
        leaving=frozenset({"assessment"}),
    ),
    # consent withdrawn ends the investigation, and the wait for an external body
    EntryRule(
        frozenset({"registered_only"}),
        Effect.WITHDRAW_CONSENT,
        leaving=frozenset({"investigating", "awaiting_external"}),
    ),
    # nobody heard, nothing founded
    EntryRule(frozenset({"outcome_recorded"}), Guard.OUTCOME_HEARD),
)

#: The first guard missing, in each rule's order, is the one a counterexample names.
PATH_RULES: tuple[PathRule, ...] = (
    PathRule(
        frozenset({"employer_verified", "agreement_pending", "ready_to_start"}), placement=True
    ),
    PathRule(
        frozenset({"active", "suspended", "assessment", "completed"}),
        (Guard.NO_RETROACTIVE_START, Guard.SIGNATURES, Guard.MINOR_HOURS),
        placement=True,
    ),
    # a BBL student is an employee of the leerbedrijf before the placement starts
    PathRule(
        frozenset({"active", "suspended", "assessment", "completed"}),
        (Guard.EMPLOYMENT_CONTRACT,),
        educations=frozenset({Education.MBO}),
    ),
    PathRule(frozenset({"investigating", "awaiting_external"}), (Guard.CONSENT,)),
)

#: What a transition must carry (any one of) to pass a path rule's guard.
PASSED_BY: Mapping[Guard, tuple[Guard | Effect, ...]] = {
    Guard.SIGNATURES: (Guard.SIGNATURES,),
    Guard.NO_RETROACTIVE_START: (Guard.NO_RETROACTIVE_START,),
    Guard.RECOGNITION: (Guard.RECOGNITION,),
    Guard.ASSIGNMENT_APPROVAL: (Guard.ASSIGNMENT_APPROVAL,),
    Guard.MINOR_HOURS: (Guard.MINOR_HOURS,),
    Guard.EMPLOYMENT_CONTRACT: (Guard.EMPLOYMENT_CONTRACT,),
    # consent is granted by the give_consent effect; a move that checks it holds it too
    Guard.CONSENT: (Effect.GIVE_CONSENT, Guard.CONSENT),
}

_AGREEMENT = (Guard.SIGNATURES, Guard.NO_RETROACTIVE_START, Guard.MINOR_HOURS)
#: What a new or cleared employer voids: every check of the placement.
_PLACEMENT = (*PLACEMENT_CHECK.values(), *_AGREEMENT, Guard.EMPLOYMENT_CONTRACT)
#: The path guards an effect voids, on a transition or a fact: they vouched for what it changes.
#: A fact that voids several is refused naming the first (a new employer: its check).
VOIDS: Mapping[Effect, tuple[Guard, ...]] = {
    Effect.NEW_AGREEMENT: _AGREEMENT,
    Effect.REPEAT_PERIOD: _AGREEMENT,  # new dates: the start is judged again
    Effect.RESCHEDULE: _AGREEMENT,  # the same
    Effect.SET_EMPLOYER: _PLACEMENT,
    Effect.CLEAR_PLACEMENT: _PLACEMENT,
    Effect.WITHDRAW_CONSENT: (Guard.CONSENT,),
}

#: A transition or fact with this effect must carry this guard.
FACT_RULES: Mapping[Effect, Guard] = {
    Effect.EMPLOYER_HEARING: Guard.CONSENT,
    Effect.EXTERNAL_REFERRAL: Guard.CONSENT,
    Effect.SIGNATURE: Guard.SIGNATURE_PARTY,
    Effect.GIVE_CONSENT: Guard.CONSENT_GIVER,
    Effect.RAISE_FLAG: Guard.FLAG_BASIS,
    Effect.LIFT_FLAG: Guard.FLAG_RAISED,
    Effect.RECOMMEND_FLAG: Guard.CASE_LINK,
    Effect.DISMISS_ALERT: Guard.ALERT_OPEN,
}

#: A transition or fact with this guard needs required fields of these names and kinds.
FIELD_RULES: Mapping[Guard, tuple[tuple[str, FieldKind], ...]] = {
    Guard.REASON_CODE: (("reason", FieldKind.CODE),),
    Guard.CONSENT_GIVER: (("given_by", FieldKind.CODE),),
    Guard.OUTCOME_HEARD: (("outcome", FieldKind.CODE),),
    Guard.FLAG_BASIS: (("flag", FieldKind.CODE), ("basis", FieldKind.CODE)),
    Guard.FLAG_RAISED: (("flag", FieldKind.CODE),),
    Guard.CASE_LINK: (("flag", FieldKind.CODE), ("case", FieldKind.ID)),
    Guard.ALERT_OPEN: (("alert", FieldKind.INT),),
}


@cache
def path_guards(phase: str, education: Education) -> tuple[Guard, ...]:
    """The guards every way into *phase* must have passed, in the order they are named."""
    return tuple(g for rule in PATH_RULES if phase in rule.phases for g in rule.needs(education))


@cache
def tracked_guards(education: Education) -> tuple[Guard, ...]:
    """The path guards the proof tracks for *education*: those some phase needs."""
    return tuple(dict.fromkeys(g for rule in PATH_RULES for g in rule.needs(education)))
