"""The employer lifecycle: a leerbedrijf's flags, alerts and recognitions (DOMAIN §5, §8b).

An employer is a stream of its own, opened on its first reference (the first placement
proposed there, the first report naming it). What a school knows about it is recorded
as facts, each by a person but for the system's alerts and register changes: flags
(``watch``, ``review_before_new_placement``, ``block``) raised and lifted by the
placement office or a team lead, never by an algorithm; the confidential advisor's
recommendation, which links a case opaquely; pattern alerts a person accepts (a
``watch``) or dismisses; and SBB's decisions on its recognitions.
"""

from __future__ import annotations

from functools import cache

from ..core import IDENTIFIER, InvalidInput, Role
from ._definition import LifecycleDefinition
from ._fields import FieldKind, FieldSpec
from ._model import Effect, FactSpec, Guard, Kind, Transition
from ._proof import EMPLOYER_PHASES

__all__ = [
    "ALERT_DISMISS_REASONS",
    "CLOSE_REASONS",
    "FLAGS",
    "FLAG_BASES",
    "FLAG_LIFT_REASONS",
    "FLAG_REASONS",
    "RECOGNITION_SOURCES",
    "employer",
    "employer_stream_id",
]

#: The flags a person may raise on an employer, mildest first.
FLAGS = ("watch", "review_before_new_placement", "block")
#: Why a flag is raised.
FLAG_REASONS = (
    "discrimination",
    "unsafe_workplace",
    "guidance_failure",
    "rejection_pattern",
    "agreement_breach",
    "other",
)
#: What a flag rests on: a case the confidential advisor recommended it for (a block:
#: only a founded one), an external decision (SBB, the College voor de Rechten van de
#: Mens, a court), a pattern alert a person accepted (a watch), or what the school saw.
FLAG_BASES = ("recommendation", "external_decision", "pattern_alert", "school_observation")
#: Why a flag is lifted.
FLAG_LIFT_REASONS = ("review_passed", "objection_upheld", "raised_in_error", "other")
#: Why a pattern alert is dismissed.
ALERT_DISMISS_REASONS = ("explained", "already_known", "not_applicable", "other")
#: Where a recognition decision comes from: SBB directly, a register file that no longer
#: lists it, or the placement office entering SBB's letter.
RECOGNITION_SOURCES = ("sbb", "register_import", "placement_office")
#: Why an employer closed down.
CLOSE_REASONS = ("closed", "bankruptcy", "merger", "other")

P, T, X = Role.PLACEMENT_OFFICE, Role.TEAM_LEAD, Role.SYSTEM
#: Who decides on flags and alerts: a person, never the system.
DECIDERS = [P, T]


def employer_stream_id(employer_id: str, institution: str = "") -> str:
    """The id of the stream that holds what *institution* knows of the employer
    *employer_id* (each institution keeps its own memory of an employer).

    Raises:
        InvalidInput: the stream id would be too long (naming ``employer``).
    """
    scope = f"{institution}:" if institution else ""
    stream_id = f"employer:{scope}{employer_id}"
    if IDENTIFIER.fullmatch(stream_id) is None:
        raise InvalidInput("employer", employer_id, "is too long for an employer's stream id")
    return stream_id


def _recognition(name: str, effect: Effect) -> FactSpec:
    return FactSpec(
        name,
        [X, P],
        effect,
        fields=[
            FieldSpec("qualification", FieldKind.ID),
            FieldSpec("effective_on", FieldKind.DATE),
            FieldSpec("source", FieldKind.CODE, codes=RECOGNITION_SOURCES),
        ],
    )


@cache
def employer() -> LifecycleDefinition:
    """An employer (leerbedrijf): what a school knows of it, each flag a person's decision."""
    return LifecycleDefinition(
        name="employer",
        kind=Kind.EMPLOYER,
        description="Leerbedrijf",
        states=EMPLOYER_PHASES,
        initial="operating",
        final=("closed_down",),
        transitions=(
            Transition(
                "close",
                ["operating"],
                "closed_down",
                [P, X],
                guards=[Guard.REASON_CODE],
                fields=[
                    FieldSpec("reason", FieldKind.CODE, codes=CLOSE_REASONS),
                    FieldSpec("effective_on", FieldKind.DATE),
                ],
                effects=[Effect.EMPLOYER_CLOSED],
            ),
        ),
        facts=(
            FactSpec(
                "raise_flag",
                DECIDERS,
                Effect.RAISE_FLAG,
                fields=[
                    FieldSpec("flag", FieldKind.CODE, codes=FLAGS),
                    FieldSpec("reason", FieldKind.CODE, codes=FLAG_REASONS),
                    FieldSpec("basis", FieldKind.CODE, codes=FLAG_BASES),
                    FieldSpec("review_on", FieldKind.DATE),
                    FieldSpec("expires_on", FieldKind.DATE, not_before="review_on"),
                    # the seq of the recommendation or alert the flag answers
                    FieldSpec("recommendation", FieldKind.INT, minimum=1, required=False),
                    FieldSpec("alert", FieldKind.INT, minimum=1, required=False),
                ],
                guards=[Guard.FLAG_BASIS],
            ),
            FactSpec(
                "lift_flag",
                DECIDERS,
                Effect.LIFT_FLAG,
                fields=[
                    FieldSpec("flag", FieldKind.CODE, codes=FLAGS),
                    FieldSpec("reason", FieldKind.CODE, codes=FLAG_LIFT_REASONS),
                ],
                guards=[Guard.FLAG_RAISED],
            ),
            FactSpec(
                "recommend_flag",
                [Role.CONFIDENTIAL_ADVISOR],
                Effect.RECOMMEND_FLAG,
                fields=[
                    FieldSpec("flag", FieldKind.CODE, codes=FLAGS),
                    # the case: opaque to everyone but the confidential advisor
                    FieldSpec(
                        "case", FieldKind.ID, sealed=True, readers=(Role.CONFIDENTIAL_ADVISOR,)
                    ),
                ],
                guards=[Guard.CASE_LINK],
            ),
            FactSpec(
                "pattern_alert",
                [X],
                Effect.PATTERN_ALERT,
                fields=[
                    FieldSpec("programme", FieldKind.ID),
                    FieldSpec("level", FieldKind.INT, minimum=1, maximum=8, required=False),
                    FieldSpec("window_days", FieldKind.INT, minimum=1, maximum=3660),
                    FieldSpec("applications", FieldKind.INT, minimum=1),
                    FieldSpec("invited", FieldKind.INT, minimum=0),
                    FieldSpec("others_applications", FieldKind.INT, minimum=0),
                    FieldSpec("others_invited", FieldKind.INT, minimum=0),
                    FieldSpec("tested", FieldKind.INT, minimum=1),
                    # exact p-values in scientific notation ("3.1e-05"): ids, as no field
                    # kind holds a fraction
                    FieldSpec("p_value", FieldKind.ID),
                    FieldSpec("adjusted_p", FieldKind.ID),
                ],
            ),
            FactSpec(
                "dismiss_alert",
                DECIDERS,
                Effect.DISMISS_ALERT,
                fields=[
                    FieldSpec("alert", FieldKind.INT, minimum=1),
                    FieldSpec("reason", FieldKind.CODE, codes=ALERT_DISMISS_REASONS),
                ],
                guards=[Guard.ALERT_OPEN],
            ),
            _recognition("recognition_revoked", Effect.RECOGNITION_REVOKED),
            _recognition("recognition_suspended", Effect.RECOGNITION_SUSPENDED),
            _recognition("recognition_reinstated", Effect.RECOGNITION_REINSTATED),
            # a register import listed it as recognised for the qualification (what the
            # next import is compared with)
            FactSpec(
                "recognition_listed",
                [X],
                Effect.RECOGNITION_LISTED,
                fields=[FieldSpec("qualification", FieldKind.ID)],
            ),
        ),
        open_roles=[
            X,
            P,
            Role.COACH,
            Role.STUDENT,
            Role.TEAM_LEAD,
            Role.CONFIDENTIAL_ADVISOR,
            Role.CASE_HANDLER,
            Role.WORKPLACE_SUPERVISOR,
        ],
        open_fields=(FieldSpec("employer", FieldKind.ID),),
    )
