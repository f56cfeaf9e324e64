"""The internship lifecycle (DOMAIN.md §4) in its MBO and HBO variants."""

from __future__ import annotations

from functools import cache

from ..core import Role
from ._definition import LifecycleDefinition
from ._fields import FieldKind, FieldSpec
from ._hardrules import PLACEMENT_CHECK
from ._model import Education, Effect, FactSpec, Guard, Kind, Transition
from ._proof import INTERNSHIP_PHASES

__all__ = [
    "AGREEMENT_FIELDS_HBO",
    "AGREEMENT_FIELDS_MBO",
    "ALLOWANCES",
    "CANCEL_REASONS",
    "CONTACT_LOCATIONS",
    "EMPLOYER_NOTICES",
    "NOTICE_STATES",
    "REPEAT_REASONS",
    "REPLACEMENT_REASONS",
    "RESCHEDULE_REASONS",
    "RESCHEDULE_STATES",
    "SUSPEND_REASONS",
    "TERMINATE_REASONS",
    "hbo_stage",
    "mbo_bpv",
]

#: Why a running placement is suspended: during the investigation of a report (with
#: an opaque link to the case), for the student's safety (never waits for consent), …
SUSPEND_REASONS = ("investigation", "unsafe", "illness", "employer_closure", "other")
CANCEL_REASONS = (
    "student_choice",
    "employer_withdrew",
    "not_recognised",
    "agreement_not_signed",
    "discrimination",
    "recognition_revoked",
    "employer_closed",
    "employer_blocked",
    "other",
)
#: What the system tells a placement about its employer: a block raised, or the
#: recognition for the student's qualification suspended (a person decides what next).
EMPLOYER_NOTICES = ("blocked", "recognition_suspended")
#: The placement phases and the running ones: where an employer notice may arrive.
NOTICE_STATES = ("placement_proposed", "employer_verified", "agreement_pending",
                 "ready_to_start", "active", "suspended")  # fmt: skip
TERMINATE_REASONS = (
    "student_initiative",
    "employer_initiative",
    "school_initiative",
    "recognition_revoked",
    "discrimination",
    "unsafe",
    "employer_closed",
    "mismatch",
)
#: The terminations after which the ``system`` actor starts the replacement search in the
#: same command (DOMAIN §4: the student must never be the victim), unless the engine
#: turns it off (``Engine(auto_replacement=False)``).
REPLACEMENT_REASONS = ("discrimination", "recognition_revoked", "unsafe", "employer_closed")
#: Why a placement period is repeated after a failed assessment.
REPEAT_REASONS = ("work_processes_not_shown", "hours_not_met", "other")
#: Where a guidance contact took place: at the workplace (the leerbedrijf), at school,
#: online or by phone (Stagepact: at least one of three on site).
CONTACT_LOCATIONS = ("on_site", "school", "online", "phone")
#: Why an internship is rescheduled (new planned start, end or hours; DOMAIN §4).
RESCHEDULE_REASONS = ("late_confirmation", "employer_request", "student_circumstances",
                      "replacement")  # fmt: skip
#: Where the ``reschedule`` fact may be recorded: before an agreement is drafted, and after
#: a termination (for the replacement). With an agreement drafted or confirmed, new dates
#: are an amendment (``amend_agreement`` with them): a new version, signed again.
RESCHEDULE_STATES = ("orientation", "searching", "assisted_search", "placement_proposed",
                     "employer_verified", "terminated")  # fmt: skip
#: What a placement agreement (POK) must contain, as codes (DOMAIN §4, draft_agreement).
AGREEMENT_FIELDS_MBO = (
    "parties",
    "qualification",
    "level",
    "track",
    "dates",
    "hours",
    "allowance",
    "workplace_supervisor",
    "work_processes",
    "assessment",
    "termination_conditions",
)
AGREEMENT_FIELDS_HBO = (
    "parties",
    "assignment",
    "dates",
    "hours",
    "allowance",
    "workplace_supervisor",
    "assessment",
    "termination_conditions",
)

S, C, P, X = Role.STUDENT, Role.COACH, Role.PLACEMENT_OFFICE, Role.SYSTEM
#: The default states are the canonical phases themselves (see _phases).
STATES = INTERNSHIP_PHASES
FINAL = ("completed", "withdrawn")


def _reason(codes: tuple[str, ...]) -> FieldSpec:
    return FieldSpec("reason", FieldKind.CODE, codes=codes)


#: The optional note on a suspension, a termination or a guidance contact: free text,
#: sealed under the student's key, read by the coach, the placement office and the team
#: lead (and the student, and whoever wrote it).
_NOTE = FieldSpec(
    "note",
    FieldKind.TEXT,
    required=False,
    readers=(Role.COACH, Role.PLACEMENT_OFFICE, Role.TEAM_LEAD),
)

#: The case a suspension for an investigation is about: an opaque link, sealed under the
#: student's key, which only the confidential advisor resolves (DOMAIN §8b).
_CASE_LINK = FieldSpec(
    "case", FieldKind.ID, required=False, sealed=True, readers=(Role.CONFIDENTIAL_ADVISOR,)
)

#: The allowance an agreement records (Stagepact: at least a full expense allowance):
#: none, part of the expenses, the full expenses (onkostenvergoeding), or a stipend beyond
#: them (stagevergoeding). Optional; the monitor counts agreements without it apart.
ALLOWANCES = ("none", "partial", "expenses", "stipend")
_ALLOWANCE = FieldSpec("allowance", FieldKind.CODE, codes=ALLOWANCES, required=False)

#: The agreement's planned hours a week (the minor_hours guard reads them).
_HOURS_PER_WEEK = FieldSpec("hours_per_week", FieldKind.INT, minimum=1, maximum=60)


def _plan(required: bool) -> tuple[FieldSpec, ...]:
    """The fields of a change of plan: its reason, the new dates and hours (each optional:
    what is left out stays as planned)."""
    return (
        FieldSpec("reason", FieldKind.CODE, codes=RESCHEDULE_REASONS, required=required),
        FieldSpec("planned_start", FieldKind.DATE, required=False),
        FieldSpec("planned_end", FieldKind.DATE, required=False, not_before="planned_start"),
        FieldSpec("planned_hours", FieldKind.INT, minimum=1, maximum=10_000, required=False),
    )


def _transitions(education: Education, agreement_fields: tuple[str, ...]) -> tuple[Transition, ...]:
    verify_guard = PLACEMENT_CHECK[education]
    # a BBL student is employed by the leerbedrijf: MBO only (the guard passes for BOL)
    start_guards = [Guard.NO_RETROACTIVE_START]
    if education is Education.MBO:
        start_guards.append(Guard.EMPLOYMENT_CONTRACT)
    return (
        Transition("begin_search", ["orientation"], "searching", [S, C, P]),
        Transition("request_assistance", ["searching"], "assisted_search", [S, C, P, X]),
        Transition("return_to_own_search", ["assisted_search"], "searching", [S, C, P]),
        Transition(
            "propose_placement",
            ["searching", "assisted_search"],
            "placement_proposed",
            [S, C, P],
            fields=[FieldSpec("employer", FieldKind.ID)],
            effects=[Effect.SET_EMPLOYER],
        ),
        Transition(
            "verify_employer",
            ["placement_proposed"],
            "employer_verified",
            [P, X],
            guards=[verify_guard],
        ),
        Transition(
            "draft_agreement",
            ["employer_verified"],
            "agreement_pending",
            [P],
            fields=[
                FieldSpec("document", FieldKind.ID),
                FieldSpec("fields_present", FieldKind.CODES, codes=agreement_fields),
                _HOURS_PER_WEEK,
                _ALLOWANCE,
            ],
            effects=[Effect.NEW_AGREEMENT],
        ),
        Transition(
            "confirm_signatures",
            ["agreement_pending"],
            "ready_to_start",
            [P, X],
            guards=[Guard.SIGNATURES, Guard.MINOR_HOURS],
            effects=[Effect.CONFIRM_AGREEMENT],
        ),
        Transition(
            "amend_agreement",
            ["agreement_pending", "ready_to_start"],
            "agreement_pending",
            [P],
            fields=[
                FieldSpec("document", FieldKind.ID),
                _HOURS_PER_WEEK,
                _ALLOWANCE,
                *_plan(False),
            ],
            effects=[Effect.NEW_AGREEMENT, Effect.RESCHEDULE],
        ),
        Transition("start", ["ready_to_start"], "active", [C, P, X], guards=start_guards),
        Transition(
            "suspend",
            ["active"],
            "suspended",
            [C, P, Role.CONFIDENTIAL_ADVISOR],
            guards=[Guard.REASON_CODE],
            fields=[_reason(SUSPEND_REASONS), _NOTE, _CASE_LINK],
        ),
        Transition("resume", ["suspended"], "active", [C, P]),
        Transition("finish", ["active"], "assessment", [C, P, X]),
        Transition(
            "complete",
            ["assessment"],
            "completed",
            [Role.ASSESSOR],
            guards=[Guard.ASSESSMENT_DECISION],
        ),
        Transition(
            "repeat_placement",
            ["assessment"],
            "agreement_pending",
            [C, P],
            guards=[Guard.ASSESSMENT_FAILED, Guard.REASON_CODE],
            fields=[
                _reason(REPEAT_REASONS),
                FieldSpec("document", FieldKind.ID),
                _HOURS_PER_WEEK,
                _ALLOWANCE,
                FieldSpec("planned_start", FieldKind.DATE),
                FieldSpec("planned_end", FieldKind.DATE, not_before="planned_start"),
            ],
            effects=[Effect.NEW_AGREEMENT, Effect.REPEAT_PERIOD],
        ),
        Transition(
            "cancel_placement",
            ["placement_proposed", "employer_verified", "agreement_pending", "ready_to_start"],
            "searching",
            [S, C, P, X],
            guards=[Guard.REASON_CODE],
            fields=[_reason(CANCEL_REASONS)],
            effects=[Effect.CLEAR_PLACEMENT],
        ),
        Transition(
            "terminate",
            ["active", "suspended"],
            "terminated",
            [C, P, X],
            guards=[Guard.REASON_CODE],
            fields=[_reason(TERMINATE_REASONS), _NOTE],
        ),
        Transition(
            "seek_replacement",
            ["terminated"],
            "assisted_search",
            [C, P, X],
            effects=[Effect.CLEAR_PLACEMENT],
        ),
        Transition("withdraw", [s for s in STATES if s not in FINAL], "withdrawn", [P, X]),
    )


def _facts(education: Education) -> tuple[FactSpec, ...]:
    facts = [
        FactSpec(
            "application_sent",
            [S, C, P],
            Effect.APPLICATION_SENT,
            fields=[FieldSpec("application", FieldKind.ID), FieldSpec("employer", FieldKind.ID)],
        ),
        FactSpec(
            "application_outcome",
            [S, C, P],
            Effect.APPLICATION_OUTCOME,
            fields=[
                FieldSpec("application", FieldKind.ID),
                FieldSpec(
                    "outcome",
                    FieldKind.CODE,
                    codes=("invited", "rejected", "no_response", "withdrawn"),
                ),
            ],
        ),
        FactSpec(
            "reschedule",
            [C, P],
            Effect.RESCHEDULE,
            fields=[
                *_plan(True),
                FieldSpec(
                    "hours_credited", FieldKind.INT, minimum=0, maximum=10_000, required=False
                ),
            ],
            states=list(RESCHEDULE_STATES),
        ),
        FactSpec(
            "guidance_contact",
            [C, P, Role.WORKPLACE_SUPERVISOR],
            Effect.GUIDANCE_CONTACT,
            fields=[
                FieldSpec("moment", FieldKind.CODE, codes=("begin", "middle", "end", "other")),
                FieldSpec("location", FieldKind.CODE, codes=CONTACT_LOCATIONS, required=False),
                _NOTE,
            ],
        ),
        FactSpec(
            "signature",
            [S, Role.GUARDIAN, Role.EMPLOYER, Role.WORKPLACE_SUPERVISOR, P],
            Effect.SIGNATURE,
            fields=[
                FieldSpec(
                    "party", FieldKind.CODE, codes=("student", "school", "employer", "guardian")
                ),
                FieldSpec("agreement_version", FieldKind.INT, minimum=1),
            ],
            guards=[Guard.SIGNATURE_PARTY],
            states=["agreement_pending", "ready_to_start"],
        ),
        FactSpec(
            "hours",
            [S, Role.WORKPLACE_SUPERVISOR, C, P],
            Effect.HOURS,
            fields=[
                FieldSpec("hours", FieldKind.INT, minimum=1, maximum=1000),
                FieldSpec("until", FieldKind.DATE, required=False),
            ],
            states=["active", "suspended", "assessment"],
        ),
        FactSpec(
            "midterm_review",
            [C],
            Effect.MIDTERM_REVIEW,
            fields=[
                FieldSpec("social_safety", FieldKind.CODE, codes=("safe", "concerns", "unsafe"))
            ],
            states=["active", "suspended"],
        ),
        FactSpec(
            "placement_review",
            [P, Role.TEAM_LEAD],
            Effect.PLACEMENT_REVIEW,
            fields=[FieldSpec("decision", FieldKind.CODE, codes=("approved", "rejected"))],
            states=["placement_proposed"],
        ),
        FactSpec(
            "employer_notice",
            [X],
            Effect.EMPLOYER_NOTICE,
            fields=[
                FieldSpec("notice", FieldKind.CODE, codes=EMPLOYER_NOTICES),
                FieldSpec("since", FieldKind.DATE),
            ],
            states=NOTICE_STATES,
        ),
        FactSpec(
            "assessment_decision",
            [Role.ASSESSOR],
            Effect.ASSESSMENT_DECISION,
            fields=[FieldSpec("outcome", FieldKind.CODE, codes=("passed", "failed"))],
            states=["assessment"],
        ),
    ]
    if education is Education.MBO:
        facts.append(
            FactSpec(
                "employment_contract",
                [P, C, Role.EMPLOYER],
                Effect.EMPLOYMENT_CONTRACT,
                fields=[FieldSpec("employer", FieldKind.ID)],
                states=["employer_verified", "agreement_pending", "ready_to_start"],
            )
        )
    if education is Education.HBO:
        facts.append(
            FactSpec(
                "assignment_decision",
                [C, P, Role.EXAM_COMMITTEE],
                Effect.ASSIGNMENT_DECISION,
                fields=[FieldSpec("outcome", FieldKind.CODE, codes=("approved", "rejected"))],
                states=["placement_proposed"],
            )
        )
    return tuple(facts)


_COMMON_OPEN = (
    FieldSpec("student", FieldKind.ID),
    FieldSpec("programme", FieldKind.ID),
)
_DATES_OPEN = (
    FieldSpec("planned_start", FieldKind.DATE),
    FieldSpec("planned_end", FieldKind.DATE, not_before="planned_start"),
    FieldSpec("planned_hours", FieldKind.INT, minimum=1, maximum=10_000),
)
#: MBO: the date the student turns 18 is required (absent must not mean adult); an
#: adult student gives a date in the past.
_TURNS_18_MBO = FieldSpec("turns_18_on", FieldKind.DATE)
_TURNS_18_HBO = FieldSpec("turns_18_on", FieldKind.DATE, required=False)


@cache
def mbo_bpv() -> LifecycleDefinition:
    """The MBO work placement (BPV): SBB recognition is checked for the crebo."""
    return LifecycleDefinition(
        name="mbo_bpv",
        kind=Kind.INTERNSHIP,
        education=Education.MBO,
        description="MBO beroepspraktijkvorming (BPV)",
        states=STATES,
        initial="orientation",
        final=FINAL,
        transitions=_transitions(Education.MBO, AGREEMENT_FIELDS_MBO),
        facts=_facts(Education.MBO),
        open_roles=[C, P, X],
        open_fields=(
            *_COMMON_OPEN,
            FieldSpec("qualification", FieldKind.ID),
            FieldSpec("level", FieldKind.INT, minimum=1, maximum=4),
            FieldSpec("track", FieldKind.CODE, codes=("BOL", "BBL")),
            *_DATES_OPEN,
            _TURNS_18_MBO,
        ),
    )


@cache
def hbo_stage() -> LifecycleDefinition:
    """The higher-education internship (stage): the programme approves the assignment."""
    return LifecycleDefinition(
        name="hbo_stage",
        kind=Kind.INTERNSHIP,
        education=Education.HBO,
        description="HBO/WO stage",
        states=STATES,
        initial="orientation",
        final=FINAL,
        transitions=_transitions(Education.HBO, AGREEMENT_FIELDS_HBO),
        facts=_facts(Education.HBO),
        open_roles=[C, P, X],
        open_fields=(*_COMMON_OPEN, *_DATES_OPEN, _TURNS_18_HBO),
    )
