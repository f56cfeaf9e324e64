"""The vocabulary of a lifecycle: guards, effects, kinds, education, transitions and facts.

The meaning of a transition comes from its *guards* (the hard rules it
enforces) and its *effects* (what it changes besides the state), both from
fixed vocabularies; its name is a label. Every value here is immutable and
hashable: tuples only, never a list someone else can change.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from attrs import field, frozen

from ..core import Role, as_tuple, parse_enum
from ._fields import FieldSpec

__all__ = [
    "Education",
    "Effect",
    "FactSpec",
    "Guard",
    "Kind",
    "Transition",
    "as_roles",
    "known_or_raw",
]

E = TypeVar("E", bound=StrEnum)


class Guard(StrEnum):
    """Hard rules a transition or fact can carry (DOMAIN.md, *hard*)."""

    #: signatures of student, school and employer on the current agreement
    #: version, plus guardian when the student is a minor on the day it is confirmed
    SIGNATURES = "signatures"
    #: the start date is reached and the agreement was confirmed no later than it
    NO_RETROACTIVE_START = "no_retroactive_start"
    #: the employer is recognised for the student's qualification (MBO), and in good
    #: standing: not blocked, a review before new placements passed, no recorded
    #: revocation or suspension of the recognition in effect, not closed down
    RECOGNITION = "recognition"
    #: the programme approved the assignment (HBO), at an employer in good standing (as
    #: for ``recognition``)
    ASSIGNMENT_APPROVAL = "assignment_approval"
    #: a reason code from the transition's list is required
    REASON_CODE = "reason_code"
    #: a passed assessment decision has been recorded
    ASSESSMENT_DECISION = "assessment_decision"
    #: the assessment failed: only then is a placement period repeated
    ASSESSMENT_FAILED = "assessment_failed"
    #: a BBL placement has an employment contract with its employer recorded
    EMPLOYMENT_CONTRACT = "employment_contract"
    #: a student under 18 on the day the agreement is confirmed works at most 45 hours a week
    MINOR_HOURS = "minor_hours"
    #: the reporter of a case has given consent (and not withdrawn it)
    CONSENT = "consent"
    #: feedback to the reporter has been recorded
    REPORTER_FEEDBACK = "reporter_feedback"
    #: a signature's party matches the role that records it
    SIGNATURE_PARTY = "signature_party"
    #: consent is the affected student's where the report names one; an anonymous
    #: report takes no consent (it is registered only)
    CONSENT_GIVER = "consent_giver"
    #: an outcome ``founded`` needs someone heard: a hearing held, or an external body's
    #: founded outcome, while consent stood (never for a case registered only)
    OUTCOME_HEARD = "outcome_heard"
    #: a block rests on a founded case (the confidential advisor's recommendation) or an
    #: external decision; a flag answering a pattern alert is a watch on an open alert
    FLAG_BASIS = "flag_basis"
    #: a flag is lifted only while it is raised
    FLAG_RAISED = "flag_raised"
    #: a recommendation links a case about this employer; a block only a founded one
    CASE_LINK = "case_link"
    #: a pattern alert is dismissed only while it is open
    ALERT_OPEN = "alert_open"


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
    EVIDENCE = "evidence"
    EMPLOYMENT_CONTRACT = "employment_contract"
    REPEAT_PERIOD = "repeat_period"
    RESCHEDULE = "reschedule"
    SIGNPOSTING = "signposting"
    EXTERNAL_OUTCOME = "external_outcome"
    OUTCOME = "outcome"
    PLACEMENT_REVIEW = "placement_review"
    EMPLOYER_NOTICE = "employer_notice"
    RAISE_FLAG = "raise_flag"
    LIFT_FLAG = "lift_flag"
    RECOMMEND_FLAG = "recommend_flag"
    PATTERN_ALERT = "pattern_alert"
    DISMISS_ALERT = "dismiss_alert"
    RECOGNITION_REVOKED = "recognition_revoked"
    RECOGNITION_SUSPENDED = "recognition_suspended"
    RECOGNITION_REINSTATED = "recognition_reinstated"
    RECOGNITION_LISTED = "recognition_listed"
    EMPLOYER_CLOSED = "employer_closed"


class Kind(StrEnum):
    """What a lifecycle follows: an internship, a discrimination report (case), or an
    employer (a leerbedrijf: its flags and recognitions)."""

    INTERNSHIP = "internship"
    CASE = "case"
    EMPLOYER = "employer"


class Education(StrEnum):
    """The education an internship belongs to, which decides its placement check."""

    MBO = "mbo"  #: vocational: the employer is recognised (``recognition``)
    HBO = "hbo"  #: higher: the programme approves the assignment (``assignment_approval``)
    NONE = "none"  #: not an internship (a case, an employer)


def known_or_raw(kind: type[E], value: Any) -> Any:
    """*value* as a member of *kind* when it is one, else unchanged.

    For converters whose unknown values the definition's validation names (as a
    :class:`~stageborging.DefinitionError`, not an input error).
    """
    return kind(value) if isinstance(value, str) and value in kind._value2member_map_ else value


def as_roles(values: Iterable[str]) -> tuple[Role, ...]:
    return tuple(known_or_raw(Role, v) for v in values)


def _guards(values: Iterable[Guard | str]) -> tuple[Guard, ...]:
    return tuple(parse_enum(Guard, "guards", v) for v in values)


def _effects(values: Iterable[Effect | str]) -> tuple[Effect, ...]:
    return tuple(parse_enum(Effect, "effects", v) for v in values)


def _effect(value: Effect | str) -> Effect:
    return parse_enum(Effect, "effect", value)


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
    sources: tuple[str, ...] = field(converter=as_tuple)
    dest: str
    roles: tuple[Role, ...] = field(converter=as_roles)
    guards: tuple[Guard, ...] = field(default=(), converter=_guards)
    fields: tuple[FieldSpec, ...] = field(default=(), converter=as_tuple)
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
    roles: tuple[Role, ...] = field(converter=as_roles)
    effect: Effect = field(converter=_effect)
    fields: tuple[FieldSpec, ...] = field(default=(), converter=as_tuple)
    guards: tuple[Guard, ...] = field(default=(), converter=_guards)
    states: tuple[str, ...] = field(default=(), converter=as_tuple)

    @property
    def effects(self) -> tuple[Effect, ...]:
        """Its one effect, as a transition's are given (so the hard rules read both alike)."""
        return (self.effect,)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "roles": [str(r) for r in self.roles],
            "effect": str(self.effect),
            "fields": [f.to_json() for f in self.fields],
            "guards": [str(g) for g in self.guards],
            "states": list(self.states),
        }
