"""Idempotent commands: a command repeated under its caller's command id.

A command may carry a ``command_id`` of the caller's (a SIS message id, a retry
token). The id is unique per stream and stored in the event's hashed header, so a
repeat finds the event the first attempt wrote. The repeat gets that event back,
and nothing new is written, when it is the same command: the same kind, name,
actor and (validated) data. Under the same id anything else is an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..audit import SealedEvent
from ..core import Actor, EventType, InvalidInput, canonical_bytes
from ..lifecycles import (
    InstitutionFact,
    LifecycleDefinition,
    command_fields,
    split_sealed,
    validate_data,
)

__all__ = ["opened_id", "same_command", "same_import", "same_migration"]

#: What an event of each type was commanded as (a refusal: either, by its name).
_KINDS = {
    EventType.OPENED: frozenset({"opened"}),
    EventType.TRANSITIONED: frozenset({"transitioned", "refused"}),
    EventType.RECORDED: frozenset({"recorded", "refused", "noted"}),
    EventType.IMPORTED: frozenset({"imported"}),
    EventType.CORRECTED: frozenset({"corrected"}),
}


def opened_id(institution: str, command_id: str) -> str:
    """The id of the stream an open under *command_id* creates when it names none: the
    same for every repeat, so a retried open finds the stream its first attempt opened."""
    seed = f"stageborging-open\0{institution}\0{command_id}".encode()
    return hashlib.sha256(seed).hexdigest()[:32]


def same_command(
    earlier: SealedEvent,
    definition: LifecycleDefinition | None,
    type: EventType,
    name: str,
    actor: Actor,
    data: Mapping[str, Any] | None,
    own: InstitutionFact | None = None,
) -> None:
    """Raise InvalidInput naming ``command_id`` unless the command is the one that wrote
    *earlier* (under its version *definition*, None when unknown; *own*: the institution
    fact the command records, if it records one)."""
    problem = _difference(earlier, definition, type, name, actor, data, own)
    if problem is not None:
        raise _reused(earlier, problem)


def _reused(earlier: SealedEvent, problem: str) -> InvalidInput:
    """The error of a command id the event *earlier* carries, given to another command."""
    return InvalidInput(
        "command_id",
        earlier.command_id,
        f"was used on stream {earlier.stream_id} (seq {earlier.seq}) for another command: "
        f"{problem}",
    )


def _difference(
    earlier: SealedEvent,
    definition: LifecycleDefinition | None,
    type: EventType,
    name: str,
    actor: Actor,
    data: Mapping[str, Any] | None,
    own: InstitutionFact | None,
) -> str | None:
    if earlier.type not in _KINDS[type] or earlier.name != name:
        return f"{earlier.type} {earlier.name!r}"
    if definition is not None and earlier.type == "refused":
        if type is EventType.TRANSITIONED and name not in definition.transitions_by_trigger:
            return f"the fact {name!r}"
        if type is EventType.RECORDED and name not in definition.facts_by_name:
            return f"the trigger {name!r}"
    if (earlier.actor_id, earlier.actor_role) != (actor.id, str(actor.role)):
        return "another actor"
    if definition is None:
        return None  # a version this engine does not know: the name and actor must do
    fields = own.fields if own is not None else command_fields(definition, str(type), name)
    if fields is None:
        return None  # an institution fact no plugin declares now: the name and actor must do
    try:
        clear, sealed = split_sealed(fields, validate_data(fields, data))
    except InvalidInput:
        return "other data"
    if earlier.body is None:
        return None  # its body is gone: the name and actor must do
    body = json.loads(earlier.body)
    if canonical_bytes(body["data"]) != canonical_bytes(clear):
        return "other data"
    # sealed fields are compared by name: their text is sealed (and a refusal keeps none)
    stored = set(body.get("sealed", {}).get("fields", ()))
    if earlier.type != "refused" and stored != set(sealed):
        return "other data"
    return None


def same_import(
    earlier: SealedEvent,
    opened: SealedEvent,
    definition: LifecycleDefinition,
    state: str,
    actor: Actor,
    data: Mapping[str, Any],
    evidence: Mapping[str, Any],
) -> None:
    """Raise InvalidInput naming ``command_id`` unless the import is the one that wrote
    *earlier* (and *opened*, its stream's opening): the same state, opening data and
    evidence."""
    same_command(earlier, definition, EventType.IMPORTED, "import", actor, evidence)
    problem = None
    if earlier.to_state != state:
        problem = f"an import into {earlier.to_state}"
    elif opened.name != definition.name:
        problem = f"an import of {opened.name}"
    elif opened.body is not None and canonical_bytes(json.loads(opened.body)["data"]) != (
        canonical_bytes(data)
    ):
        problem = "other opening data"
    if problem is not None:
        raise _reused(earlier, problem)


def same_migration(
    earlier: SealedEvent, actor: Actor, target: str, mapping: Mapping[str, str], reason: str
) -> str:
    """The version the migration that wrote *earlier* left, if it is this one (to the
    same version, by the same actor, for the same reason, its mapping among *mapping*);
    else InvalidInput naming ``command_id``."""
    data = json.loads(earlier.body)["data"] if earlier.body is not None else {}
    problem = None
    if earlier.type != "migrated":
        problem = f"{earlier.type} {earlier.name!r}"
    elif (earlier.actor_id, earlier.actor_role) != (actor.id, str(actor.role)):
        problem = "another actor"
    elif (
        data.get("to") != target
        or data.get("reason") != reason
        or any(mapping.get(old) != new for old, new in data.get("mapping", {}).items())
    ):
        problem = "a migration to another version, mapping or reason"
    if problem is not None:
        raise _reused(earlier, problem)
    return str(data["from"])
