"""Phases, and the proof that no path through a lifecycle bypasses a hard rule.

Every state of a definition maps to one canonical *phase*, named after the
states of the default definitions. The proof explores every way through the
definition's graph while tracking which path guards of the hard rules
(:mod:`._hardrules`) the way has passed since the facts they vouch for last
changed: the signatures, no-retroactive-start and minor's-hours guards since
the agreement (or the period's dates) last changed, the placement check
(recognition for MBO, assignment approval for HBO) and, for MBO, the BBL
employment contract since the placement last changed, and consent (the
``give_consent`` effect) since it was last withdrawn.

Recording a fact is a move too: a self-loop in every state the fact may be
recorded in (:meth:`~._definition.LifecycleDefinition.fact_states`), whose
guards pass and whose effect voids exactly as a transition's would. A fact
enters no phase, so entry rules do not apply to it, but it may not void a
path guard its state's phase needs: ``set_employer`` recorded in
``agreement_pending`` leaves that phase without the placement check.

Entering a phase without a rule it needs, or by a transition that lacks the
guard or effect its entry rule asks for, or recording a fact that voids a
rule its phase needs, is a *bypass*, reported with the shortest way there:
the counterexample, where a fact appears as ``state -fact-> state``. Because
the exploration is over (state, guards passed) pairs, walks through cycles
count too, not only simple paths.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from attrs import frozen

from ..core import Bypass
from ._hardrules import (
    ENTRY_RULES,
    PASSED_BY,
    VOIDS,
    Carrier,
    carries,
    carries_any,
    path_guards,
    tracked_guards,
)
from ._model import Education, Effect, Guard, Kind

if TYPE_CHECKING:
    from ._definition import LifecycleDefinition

__all__ = [
    "CASE_PHASES",
    "EMPLOYER_PHASES",
    "FINAL_PHASES",
    "INTERNSHIP_PHASES",
    "PHASES",
    "find_bypass",
    "migration_needs",
    "passed_along",
]

INTERNSHIP_PHASES = (
    "orientation",
    "searching",
    "assisted_search",
    "placement_proposed",
    "employer_verified",
    "agreement_pending",
    "ready_to_start",
    "active",
    "suspended",
    "assessment",
    "completed",
    "terminated",
    "withdrawn",
)
CASE_PHASES = (
    "received",
    "acknowledged",
    "intake_held",
    "investigating",
    "awaiting_external",
    "registered_only",
    "outcome_recorded",
    "closed",
)
EMPLOYER_PHASES = ("operating", "closed_down")
PHASES: Mapping[Kind, tuple[str, ...]] = {
    Kind.INTERNSHIP: INTERNSHIP_PHASES,
    Kind.CASE: CASE_PHASES,
    Kind.EMPLOYER: EMPLOYER_PHASES,
}
FINAL_PHASES = frozenset({"completed", "withdrawn", "closed", "closed_down"})


@frozen
class Step:
    """One move the proof explores: a transition, or a fact recorded (a self-loop)."""

    name: str
    dest: str
    guards: tuple[Guard, ...]
    effects: tuple[Effect, ...]
    fact: bool = False


def passes(carrier: Carrier, passed: frozenset[Guard], education: Education) -> frozenset[Guard]:
    """The path guards passed after *carrier* (a transition or a fact), given *passed* before it.

    Its guards are checked before its effects apply, so a guard it passes and
    an effect that voids it leave the guard not passed.
    """
    gained = {g for g in tracked_guards(education) if carries_any(carrier, PASSED_BY[g])}
    lost = {g for effect in carrier.effects for g in VOIDS.get(effect, ())}
    return frozenset((passed | gained) - lost)


def passed_along(carriers: Iterable[Carrier], education: Education) -> frozenset[Guard]:
    """The path guards passed after the accepted moves *carriers*, from an opening.

    What the proof tracks along every way through a graph, taken along the way
    one stream actually went (each move as the definition it was stamped with had it).
    """
    passed: frozenset[Guard] = frozenset()
    for carrier in carriers:
        passed = passes(carrier, passed, education)
    return passed


def migration_needs(
    phase: str, passed: frozenset[Guard], education: Education
) -> tuple[Guard, ...]:
    """The path guards of *phase* a stream that has passed *passed* lacks.

    A migration keeps a stream's phase and carries no guard and no effect: it keeps
    the facts and the guards passed. What the new version's rules ask of the phase
    and the stream never passed, the rules layer may still find witnessed by the
    recorded facts.
    """
    return tuple(g for g in path_guards(phase, education) if g not in passed)


def fact_problem(
    fact: Carrier, phase: str, passed: frozenset[Guard], education: Education
) -> Guard | None:
    """The path guard of *phase* that *fact*, recorded having passed *passed*, voids, if any.

    A fact enters no phase, so only what it breaks counts against it: a guard
    the phase needs, passed before the fact and voided by its effect (the
    first its effect names). A protected initial state, which no way enters,
    is not a fact's doing.
    """
    needed = path_guards(phase, education)
    voided = (g for effect in fact.effects for g in VOIDS.get(effect, ()))
    return next((g for g in voided if g in needed and g in passed), None)


def entry_problem(
    transition: Carrier,
    source_phase: str,
    dest_phase: str,
    passed: frozenset[Guard],
    education: Education,
) -> Guard | Effect | None:
    """The rule missed when *transition* enters *dest_phase* having passed *passed*, if any.

    An entry rule the transition itself breaks comes first, then the first path
    guard not passed.
    """
    for rule in ENTRY_RULES:
        if rule.applies(source_phase, dest_phase) and not carries(transition, rule.needs):
            return rule.needs
    return next((g for g in path_guards(dest_phase, education) if g not in passed), None)


def steps_from(definition: LifecycleDefinition) -> dict[str, list[Step]]:
    """Every state's moves: its transitions, then the facts it may record, in definition order."""
    steps: dict[str, list[Step]] = {s: [] for s in definition.states}
    for t in definition.transitions:
        for source in t.sources:
            steps[source].append(Step(t.trigger, t.dest, t.guards, t.effects))
    for fact in definition.facts:
        for state in definition.fact_states(fact):
            steps[state].append(Step(fact.name, state, fact.guards, (fact.effect,), fact=True))
    return steps


def _opening_problem(phase: str, education: Education) -> Guard | Effect | None:
    """The rule missed by opening a stream straight into *phase*, if any.

    Opening passes no guard and carries no effect, so the initial state's phase may
    need no path guard, nor an entry rule that applies whatever phase is left.
    """
    for rule in ENTRY_RULES:
        if not rule.leaving and phase in rule.into:
            return rule.needs
    return next(iter(path_guards(phase, education)), None)


def find_bypass(definition: LifecycleDefinition) -> Bypass | None:
    """The shortest way into a phase that misses a hard rule, or None.

    Explores (state, guards passed) pairs breadth first from the initial state,
    through transitions and recorded facts.
    """
    phase_of = definition.phase_of
    education = definition.education
    opened = _opening_problem(phase_of[definition.initial], education)
    if opened is not None:  # opening enters the initial state with nothing passed
        return Bypass(phase_of[definition.initial], definition.initial, opened.value, ())
    by_source = steps_from(definition)
    Node = tuple[str, frozenset[Guard]]
    start: Node = (definition.initial, frozenset())
    parent: dict[Node, tuple[Node, Step]] = {}
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        state, passed = node
        for t in by_source[state]:
            after = passes(t, passed, education)
            problem: Guard | Effect | None
            if t.fact:
                problem = fact_problem(t, phase_of[state], passed, education)
            else:
                problem = entry_problem(t, phase_of[state], phase_of[t.dest], after, education)
            if problem is not None:
                path = [(t.name, state, t.dest)]
                back = node
                while back in parent:
                    back, via = parent[back]
                    path.append((via.name, back[0], via.dest))
                return Bypass(phase_of[t.dest], t.dest, problem.value, tuple(reversed(path)))
            nxt = (t.dest, after)
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = (node, t)
                queue.append(nxt)
    return None
