"""The judgement of an import: may a running internship be opened straight into its state?

The evidence stands for the moves the stream skips (see
:mod:`stageborging.lifecycles._imports`). It is refused unless the actor may
import, every piece of evidence the way into the state needs is given, no recorded
date lies in the future, and every hard rule a stream passes on that way is
witnessed by the facts the evidence makes, judged as the guard judges it: the
signatures and a minor's hours on the day the agreement was confirmed, the start
today. Recognition is asked of a verifier at the time, so an import carries the
answer the earlier system recorded: its source and the day it was checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..core import Actor, EventType, Finding, finding
from ..lifecycles import (
    IMPORT_ROLES,
    Guard,
    ImportNeeds,
    LifecycleDefinition,
    imported_facts,
    initial_facts,
)
from ._guards import GUARD_CHECKS, Command, Context
from ._moves import Move

__all__ = ["judge_import"]

#: The guards judged on the day the agreement was confirmed (capacity counts at signing).
_AT_SIGNING = frozenset({Guard.SIGNATURES, Guard.MINOR_HOURS})
_DATES = ("recognition_checked_on", "assignment_approved_on", "agreement_confirmed_on")


def judge_import(
    definition: LifecycleDefinition,
    needs: ImportNeeds,
    details: Mapping[str, Any],
    evidence: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> tuple[dict[str, Any], list[Finding]]:
    """The facts an import of *evidence* gives a stream opened with *details*, and every
    finding that refuses it (none: it may be imported).

    Args:
        definition: The stream's definition.
        needs: What its state needs (:func:`~stageborging.lifecycles.import_needs`).
        details: The validated opening data.
        evidence: The validated evidence.
        actor: Who imports.
        now: The engine's local time.
    """
    facts = imported_facts(initial_facts(details), evidence)
    findings: list[Finding] = []
    if actor.role not in IMPORT_ROLES:
        allowed = ", ".join(str(r) for r in IMPORT_ROLES)
        findings.append(
            finding("role.not_allowed", role=actor.role, command="import", allowed=allowed)
        )
    missing = [name for name in needs.required if name not in evidence]
    for name in missing:
        findings.append(finding("import.evidence_missing", field=name, state=needs.state))
    today = now.date().isoformat()
    for name in _DATES:
        if name in evidence and evidence[name] > today:
            findings.append(finding("import.future_date", field=name, date=evidence[name]))
    if missing:
        return facts, findings  # the guards would only repeat what is missing
    move = Move(type=EventType.IMPORTED, name="import", dest=needs.state, roles=IMPORT_ROLES,
                data=evidence)  # fmt: skip
    confirmed = evidence.get("agreement_confirmed_on")
    for guard in needs.guards:
        if guard is Guard.RECOGNITION:
            continue  # witnessed by the recorded answer, required above
        moment = now
        if guard in _AT_SIGNING and confirmed is not None:
            moment = now.replace(year=int(confirmed[:4]), month=int(confirmed[5:7]),
                                 day=int(confirmed[8:10]))  # fmt: skip
        cmd = Command(definition=definition, state=needs.state, facts=facts, actor=actor,
                      move=move, now=moment)  # fmt: skip
        witnessed = GUARD_CHECKS[guard](cmd, Context(_unasked))
        if any(f.blocks for f in witnessed):
            findings.append(finding("import.unproven", guard=guard.value, state=needs.state))
            findings.extend(witnessed)
    return facts, findings


def _unasked(*_: object) -> Any:  # pragma: no cover - recognition is never asked here
    raise AssertionError("an import asks no verifier")
