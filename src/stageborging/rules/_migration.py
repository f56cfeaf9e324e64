"""The judgement of a migration: may a stream move to another version of its definition?

A migration is a move that carries no guard and no effect (the proof's view,
:func:`~stageborging.lifecycles.migration_needs`). It keeps the stream's facts,
what its history passed and its **phase** (what its state means): it places the
stream in the state its mapping names, of the same phase. Changing the phase is
what transitions do, with their guards and effects. It is refused when that
state is gone, final or of another phase, or when the new version's hard rules
let a stream into that phase only after a guard the stream has not passed since
the facts it vouches for last changed, and that the recorded facts do not
satisfy either (recognition is asked of a verifier at the time, never recorded,
so only the history can vouch for it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from ..core import Actor, EventType, Finding, finding
from ..lifecycles import (
    MIGRATE_ROLES,
    Carrier,
    Guard,
    LifecycleDefinition,
    migration_needs,
    passed_along,
)
from ..pluginhost import RecognitionAnswer
from ._guards import GUARD_CHECKS, Command, Context, Lookup, nothing_linked
from ._moves import Move

__all__ = ["MIGRATE_ROLES", "judge_migration"]

#: Guards no recorded fact can satisfy: only an accepted move in the history vouches.
_HISTORY_ONLY = frozenset({Guard.RECOGNITION})


def _no_verifier(employer: str, qualification: str, on: date) -> RecognitionAnswer:
    return RecognitionAnswer(recognised=None, source="")  # pragma: no cover - never asked


def judge_migration(
    source: LifecycleDefinition,
    target: LifecycleDefinition,
    state: str,
    mapping: Mapping[str, str],
    facts: Mapping[str, Any],
    history: Sequence[Carrier],
    actor: Actor,
    now: datetime,
    employer: Lookup = nothing_linked,
) -> tuple[str, list[Finding]]:
    """The state a migration from *source* to *target* puts the stream in, and every finding.

    Args:
        source: The version the stream is under.
        target: The version it would move to (same lifecycle, kind and education).
        state: The stream's state now.
        mapping: Old state -> new state, for the states that are renamed or gone.
        facts: The stream's facts (kept as they are).
        history: The accepted moves of the stream, each as the version stamped on
            it had it (transitions and facts), oldest first.
        actor: Who migrates.
        now: The engine's local time (guards judge dates by it).
        employer: Looks up the employer's standing (the ``employer_standing`` rule).
    """
    version = target.digest[:12]
    dest = mapping.get(state, state)
    findings: list[Finding] = []
    if actor.role not in MIGRATE_ROLES:
        allowed = ", ".join(str(r) for r in MIGRATE_ROLES)
        findings.append(
            finding("role.not_allowed", role=actor.role, command="migrate", allowed=allowed)
        )
    if source.digest == target.digest:
        return dest, [*findings, finding("migrate.already", version=version)]
    if state in source.final:
        return dest, [*findings, finding("migrate.final", state=state)]
    if dest not in target.states:
        return dest, [*findings, finding("migrate.state_gone", state=dest, version=version)]
    if dest in target.final:
        return dest, [*findings, finding("migrate.ends_stream", state=dest, version=version)]
    education = target.education
    old_phase, new_phase = source.phase_of[state], target.phase_of[dest]
    if old_phase != new_phase:
        return dest, [
            *findings,
            finding("migrate.phase_change", from_phase=old_phase, phase=new_phase, state=dest),
        ]
    missing = migration_needs(new_phase, passed_along(history, education), education)
    move = Move(type=EventType.MIGRATED, name="migrate", dest=dest, roles=MIGRATE_ROLES, data={})
    cmd = Command(definition=target, state=dest, facts=facts, actor=actor, move=move, now=now)
    context = Context(_no_verifier, employer)
    for guard in missing:
        witnessed = [] if guard in _HISTORY_ONLY else GUARD_CHECKS[guard](cmd, context)
        if guard in _HISTORY_ONLY or any(f.blocks for f in witnessed):
            findings.append(
                finding(
                    "migrate.unsafe_state",
                    version=version,
                    state=dest,
                    phase=new_phase,
                    guard=guard.value,
                )
            )
            findings.extend(witnessed)
    return dest, findings
