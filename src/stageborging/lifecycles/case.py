"""The discrimination report (case) lifecycle (DOMAIN.md §5)."""

from __future__ import annotations

from functools import cache

from ..core import Role
from ._definition import LifecycleDefinition
from ._fields import FieldKind, FieldSpec
from ._model import Effect, FactSpec, Guard, Kind, Transition
from ._proof import CASE_PHASES

__all__ = ["GROUNDS", "OUTCOMES", "REFERRAL_TARGETS", "case"]

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
OUTCOMES = ("founded", "unfounded", "undetermined", "withdrawn")
REFERRAL_TARGETS = ("sbb_meldpunt", "antidiscrimination_bureau", "student_union", "other")

CA = Role.CONFIDENTIAL_ADVISOR


#: Free text of a report (its description, evidence notes): sealed under the key of the
#: student it names, else the reporter's; read by the confidential advisor only (and
#: the subject, and whoever wrote it).
def _text(name: str) -> FieldSpec:
    return FieldSpec(name, FieldKind.TEXT, required=False, readers=(CA,))


#: Where a hearing or referral may be attempted; the consent guard then decides, so
#: an attempt without consent is refused and recorded. After the outcome: no more.
HANDLING = ("intake_held", "investigating", "registered_only")


@cache
def case() -> LifecycleDefinition:
    """A discrimination report: hearing and referral only with the reporter's consent."""
    return LifecycleDefinition(
        name="case",
        kind=Kind.CASE,
        description="Melding stagediscriminatie",
        states=CASE_PHASES,  # the default states are the canonical phases themselves
        initial="received",
        final=("closed",),
        transitions=(
            Transition("acknowledge", ["received"], "acknowledged", [CA]),
            Transition("hold_intake", ["acknowledged"], "intake_held", [CA]),
            Transition(
                "give_consent",
                ["intake_held", "registered_only"],
                "investigating",
                [CA],
                fields=[FieldSpec("form", FieldKind.CODE, codes=("written", "verbal"))],
                effects=[Effect.GIVE_CONSENT],
            ),
            Transition("register_only", ["intake_held"], "registered_only", [CA]),
            Transition(
                "withdraw_consent",
                ["investigating"],
                "registered_only",
                [CA],
                effects=[Effect.WITHDRAW_CONSENT],
            ),
            Transition(
                "record_outcome",
                ["investigating", "registered_only"],
                "outcome_recorded",
                [CA],
                fields=[FieldSpec("outcome", FieldKind.CODE, codes=OUTCOMES)],
            ),
            Transition(
                "close", ["outcome_recorded"], "closed", [CA], guards=[Guard.REPORTER_FEEDBACK]
            ),
        ),
        facts=(
            FactSpec(
                "employer_hearing",
                [CA],
                Effect.EMPLOYER_HEARING,
                fields=[FieldSpec("held_on", FieldKind.DATE)],
                guards=[Guard.CONSENT],
                states=HANDLING,
            ),
            FactSpec(
                "external_referral",
                [CA],
                Effect.EXTERNAL_REFERRAL,
                fields=[FieldSpec("to", FieldKind.CODE, codes=REFERRAL_TARGETS)],
                guards=[Guard.CONSENT],
                states=HANDLING,
            ),
            FactSpec(
                "reporter_feedback",
                [CA],
                Effect.REPORTER_FEEDBACK,
                fields=[
                    FieldSpec("channel", FieldKind.CODE, codes=("in_person", "written", "phone"))
                ],
                states=["outcome_recorded"],
            ),
            FactSpec(
                "evidence",
                [CA],
                Effect.EVIDENCE,
                fields=[
                    FieldSpec(
                        "kind",
                        FieldKind.CODE,
                        codes=("statement", "message", "document", "observation", "other"),
                    ),
                    _text("note"),
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
        ],
        open_fields=(
            FieldSpec("phase", FieldKind.CODE, codes=("search", "internship")),
            FieldSpec("internship", FieldKind.ID, required=False),
            FieldSpec("employer", FieldKind.ID, required=False),
            FieldSpec("student", FieldKind.ID, required=False),
            # special-category data (GDPR art. 9): sealed like free text
            FieldSpec(
                "ground", FieldKind.CODE, codes=GROUNDS, required=False, sealed=True, readers=(CA,)
            ),
            _text("description"),
        ),
    )
