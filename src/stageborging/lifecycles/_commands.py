"""The fields each kind of command carries, under one version of a definition."""

from __future__ import annotations

from ._corrections import CORRECTION_FIELDS
from ._definition import LifecycleDefinition
from ._fields import FieldSpec
from ._imports import EVIDENCE_FIELDS

__all__ = ["command_fields"]


def command_fields(
    definition: LifecycleDefinition, type: str, name: str
) -> tuple[FieldSpec, ...] | None:
    """The fields of the command that writes an event of *type* named *name* under
    *definition*; None when the version has no such command (an institution fact, an
    escalation …)."""
    if type == "opened":
        return definition.open_fields
    if type == "imported":
        return EVIDENCE_FIELDS
    if type == "corrected":
        return CORRECTION_FIELDS
    transition = definition.transitions_by_trigger.get(name)
    fact = definition.facts_by_name.get(name)
    if type in ("transitioned", "refused") and transition is not None:
        return transition.fields
    if type in ("recorded", "refused") and fact is not None:
        return fact.fields
    return None
