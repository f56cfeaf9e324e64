"""The discrimination report (case) lifecycle (DOMAIN.md §5)."""

from __future__ import annotations

from functools import cache

from ..core import Role
from ._definition import LifecycleDefinition
from ._fields import FieldKind, FieldSpec
from ._model import Effect, FactSpec, Guard, Kind, Transition
from ._proof import CASE_PHASES

__all__ = [
    "CONSENT_GIVERS",
    "EXTERNAL_OUTCOMES",
    "GROUNDS",
    "OUTCOMES",
    "REFERRAL_TARGETS",
    "REPORTERS",
    "SIGNPOSTS",
    "case",
]

#: Self-reported grounds of a report: optional, a code, never a description.
GROUNDS = (
    "origin",
    "religion",
    "gender",
    "sexual_orientation",
    "disability",
    "age",
    "other",
    "not_stated",
)
#: Who made the report: the affected student, a witness (another student), a member of
#: staff (coach, placement office, workplace supervisor), or someone who stays anonymous
#: (registered only: nobody can give consent). Absent: the opener, in their own name.
REPORTERS = ("student", "witness", "staff", "anonymous")
#: Whose consent is recorded: the affected student's where the report names a student,
#: else the reporter's.
CONSENT_GIVERS = ("affected_student", "reporter")
#: Where a student is pointed to at intake, which needs no consent (DOMAIN §8b): SBB's
#: meldpunt, the student union (JOB, LSVb, ISO), the anti-discrimination bureau, the
#: College voor de Rechten van de Mens, the police.
SIGNPOSTS = (
    "sbb_meldpunt",
    "student_union",
    "antidiscrimination_bureau",
    "human_rights_college",
    "police",
)
OUTCOMES = ("founded", "unfounded", "undetermined", "withdrawn")
#: Where a case is referred, with consent: then it waits for that body's outcome.
REFERRAL_TARGETS = (
    "sbb_meldpunt",
    "antidiscrimination_bureau",
    "student_union",
    "geschillenadviescommissie",
    "human_rights_college",
    "other",
)
#: What the external body decided.
EXTERNAL_OUTCOMES = ("founded", "unfounded", "undetermined", "no_decision")

CA = Role.CONFIDENTIAL_ADVISOR
CH = Role.CASE_HANDLER
#: Intake, consent and its withdrawal, feedback and closing: either of them (DOMAIN §8b).
EITHER = [CA, CH]


#: Free text of a report: sealed under the key of the student it names, else the
#: reporter's; read by the given roles (and the subject, and whoever wrote it).
def _text(name: str, *readers: Role) -> FieldSpec:
    return FieldSpec(name, FieldKind.TEXT, required=False, readers=readers)


#: Where a hearing or referral may be attempted; the consent guard then decides, so
#: an attempt without consent is refused and recorded. After the outcome: no more.
HANDLING = ("intake_held", "investigating", "registered_only")


@cache
def case() -> LifecycleDefinition:
    """A discrimination report: hearing and referral only with the affected student's
    consent; founded only when someone was heard."""
    return LifecycleDefinition(
        name="case",
        kind=Kind.CASE,
        description="Melding stagediscriminatie",
        states=CASE_PHASES,  # the default states are the canonical phases themselves
        initial="received",
        final=("closed",),
        transitions=(
            Transition("acknowledge", ["received"], "acknowledged", EITHER),
            Transition(
                "hold_intake",
                ["acknowledged"],
                "intake_held",
                EITHER,
                fields=[FieldSpec("signposted", FieldKind.CODES, codes=SIGNPOSTS)],
                effects=[Effect.SIGNPOSTING],
            ),
            Transition(
                "give_consent",
                ["intake_held", "registered_only"],
                "investigating",
                EITHER,
                guards=[Guard.CONSENT_GIVER],
                fields=[
                    FieldSpec("form", FieldKind.CODE, codes=("written", "verbal")),
                    FieldSpec("given_by", FieldKind.CODE, codes=CONSENT_GIVERS),
                ],
                effects=[Effect.GIVE_CONSENT],
            ),
            Transition("register_only", ["intake_held"], "registered_only", EITHER),
            Transition(
                "withdraw_consent",
                ["investigating", "awaiting_external"],
                "registered_only",
                EITHER,
                effects=[Effect.WITHDRAW_CONSENT],
            ),
            Transition(
                "refer",
                HANDLING,
                "awaiting_external",
                [CH],
                guards=[Guard.CONSENT],
                fields=[FieldSpec("to", FieldKind.CODE, codes=REFERRAL_TARGETS)],
                effects=[Effect.EXTERNAL_REFERRAL],
            ),
            Transition(
                "record_external_outcome",
                ["awaiting_external"],
                "investigating",
                [CH],
                fields=[FieldSpec("outcome", FieldKind.CODE, codes=EXTERNAL_OUTCOMES)],
                effects=[Effect.EXTERNAL_OUTCOME],
            ),
            Transition(
                "record_outcome",
                ["investigating", "registered_only"],
                "outcome_recorded",
                EITHER,
                guards=[Guard.OUTCOME_HEARD],
                fields=[FieldSpec("outcome", FieldKind.CODE, codes=OUTCOMES)],
                effects=[Effect.OUTCOME],
            ),
            Transition(
                "close", ["outcome_recorded"], "closed", EITHER, guards=[Guard.REPORTER_FEEDBACK]
            ),
        ),
        facts=(
            FactSpec(
                "employer_hearing",
                [CH],
                Effect.EMPLOYER_HEARING,
                fields=[FieldSpec("held_on", FieldKind.DATE)],
                guards=[Guard.CONSENT],
                states=HANDLING,
            ),
            FactSpec(
                "signposting",
                EITHER,
                Effect.SIGNPOSTING,
                fields=[FieldSpec("signposted", FieldKind.CODES, codes=SIGNPOSTS)],
            ),
            FactSpec(
                "reporter_feedback",
                EITHER,
                Effect.REPORTER_FEEDBACK,
                fields=[
                    FieldSpec("channel", FieldKind.CODE, codes=("in_person", "written", "phone"))
                ],
                states=["outcome_recorded"],
            ),
            FactSpec(
                "evidence",
                EITHER,
                Effect.EVIDENCE,
                fields=[
                    FieldSpec(
                        "kind",
                        FieldKind.CODE,
                        codes=("statement", "message", "document", "observation", "other"),
                    ),
                    _text("note", CA, CH),
                ],
                states=[s for s in CASE_PHASES if s != "closed"],
            ),
        ),
        open_roles=[
            Role.STUDENT,
            Role.COACH,
            Role.PLACEMENT_OFFICE,
            Role.WORKPLACE_SUPERVISOR,
            CA,
            CH,
        ],
        open_fields=(
            FieldSpec("phase", FieldKind.CODE, codes=("search", "internship")),
            FieldSpec("reporter", FieldKind.CODE, codes=REPORTERS, required=False),
            FieldSpec("internship", FieldKind.ID, required=False),
            FieldSpec("employer", FieldKind.ID, required=False),
            FieldSpec("student", FieldKind.ID, required=False),
            # special-category data (GDPR art. 9): sealed like free text
            FieldSpec(
                "ground", FieldKind.CODE, codes=GROUNDS, required=False, sealed=True, readers=(CA,)
            ),
            _text("description", CA),
        ),
    )
