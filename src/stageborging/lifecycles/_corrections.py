"""Corrections: a recorded fact a person got wrong, reversed by a later event.

Nothing in the log is edited. A ``corrected`` event names the ``recorded`` event it
corrects (its ``seq``) and why; from then on the facts are what the stream's events
make without the corrected one (:func:`~._projection.fold` leaves it out), so its
effect is reversed and the original stays in the log. Only facts whose effect can be
taken back without unsettling the lifecycle are corrected: hours, guidance contacts,
application outcomes, midterm reviews, and a signature while its agreement is still
pending (once confirmed, the agreement is amended instead). What a transition did is
compensated by another transition, never corrected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..core import Role
from ._definition import LifecycleDefinition
from ._fields import FieldKind, FieldSpec
from ._model import Effect

__all__ = [
    "CORRECTABLE",
    "CORRECTION_FIELDS",
    "CORRECTION_REASONS",
    "correct_roles",
    "corrected_seqs",
    "correction_problem",
]

#: The effects a correction takes back.
CORRECTABLE = frozenset(
    {
        Effect.HOURS,
        Effect.GUIDANCE_CONTACT,
        Effect.APPLICATION_OUTCOME,
        Effect.MIDTERM_REVIEW,
        Effect.SIGNATURE,
    }
)
#: Why a fact is corrected.
CORRECTION_REASONS = ("mistyped", "duplicate", "wrong_stream", "wrong_party", "other")
#: The data of a ``corrected`` event.
CORRECTION_FIELDS = (
    FieldSpec("seq", FieldKind.INT, minimum=1, maximum=2**31 - 1),
    FieldSpec("reason", FieldKind.CODE, codes=CORRECTION_REASONS),
)
#: The phase in which a signature may still be taken back.
_SIGNING_PHASE = "agreement_pending"


def correct_roles(definition: LifecycleDefinition, fact: str) -> tuple[Role, ...]:
    """Who may correct a *fact* of *definition*: whoever may record it, and the placement
    office."""
    roles = definition.facts_by_name[fact].roles
    return roles if Role.PLACEMENT_OFFICE in roles else (*roles, Role.PLACEMENT_OFFICE)


def corrected_seqs(events: Iterable[Mapping[str, Any]]) -> frozenset[int]:
    """The seqs the ``corrected`` events among *events* (decoded: ``type``, ``body``) name."""
    return frozenset(
        event["body"]["data"]["seq"] for event in events if event["type"] == "corrected"
    )


def correction_problem(
    definition: LifecycleDefinition | None,
    state: str,
    target: Mapping[str, Any] | None,
    corrected: frozenset[int],
) -> str | None:
    """Why the event *target* (decoded: ``seq``, ``type``, ``name``, ``body``; under the
    version *definition*) of a stream now in *state* cannot be corrected, or None.

    *corrected* holds the seqs corrected already.
    """
    if target is None:
        return "no event of the stream has this seq"
    if target["type"] != "recorded":
        return f"the event is {target['type']}: only recorded facts are corrected"
    if target["seq"] in corrected:
        return "corrected already"
    if definition is None:
        return "under a version this engine does not know"
    if state in definition.final:
        return f"the stream has ended in {state}"
    spec = definition.facts_by_name.get(target["name"])
    if spec is None or spec.effect not in CORRECTABLE:
        return f"the fact {target['name']} is not corrected (compensate it with a transition)"
    if spec.effect is Effect.SIGNATURE and definition.phase_of.get(state) != _SIGNING_PHASE:
        return "a signature is corrected only while its agreement is pending (amend it instead)"
    return None
