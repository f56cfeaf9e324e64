"""Phases, and the proof that no path through a lifecycle bypasses a hard rule.

Every state of a definition maps to one canonical *phase*, named after the
states of the default definitions. The proof explores every way through the
definition's graph while tracking which path guards of the hard rules
(:mod:`._hardrules`) the way has passed since the facts they vouch for last
changed: the signatures and no-retroactive-start guards since the agreement
last changed, the placement check (recognition for MBO, assignment approval
for HBO) since the placement last changed, and consent (the ``give_consent``
effect) since it was last withdrawn.

Entering a phase without a rule it needs, or by a transition that lacks the
guard or effect its entry rule asks for, is a *bypass*, reported with the
shortest way there: the counterexample. Because the exploration is over
(state, guards passed) pairs, walks through cycles count too, not only simple
paths.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..core import Bypass
from ._hardrules import ENTRY_RULES, PASSED_BY, VOIDS, carries, path_guards, tracked_guards
from ._model import Education, Guard, Kind

if TYPE_CHECKING:
    from ._definition import LifecycleDefinition
    from ._model import Effect, Transition

__all__ = ["CASE_PHASES", "FINAL_PHASES", "INTERNSHIP_PHASES", "PHASES", "find_bypass"]

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
    "registered_only",
    "outcome_recorded",
    "closed",
)
PHASES: Mapping[Kind, tuple[str, ...]] = {
    Kind.INTERNSHIP: INTERNSHIP_PHASES,
    Kind.CASE: CASE_PHASES,
}
FINAL_PHASES = frozenset({"completed", "withdrawn", "closed"})


def passes(
    transition: Transition, passed: frozenset[Guard], education: Education
) -> frozenset[Guard]:
    """The path guards passed after *transition*, given *passed* before it."""
    gained = {g for g in tracked_guards(education) if carries(transition, PASSED_BY[g])}
    lost = {g for effect in transition.effects for g in VOIDS.get(effect, ())}
    return frozenset((passed | gained) - lost)


def entry_problem(
    transition: Transition,
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


def find_bypass(definition: LifecycleDefinition) -> Bypass | None:
    """The shortest way into a phase that misses a hard rule, or None.

    Explores (state, guards passed) pairs breadth first from the initial state.
    """
    phase_of = definition.phase_of
    education = definition.education
    by_source: dict[str, list[Transition]] = {s: [] for s in definition.states}
    for t in definition.transitions:
        for source in t.sources:
            by_source[source].append(t)
    Node = tuple[str, frozenset[Guard]]
    start: Node = (definition.initial, frozenset())
    parent: dict[Node, tuple[Node, Transition]] = {}
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        state, passed = node
        for t in by_source[state]:
            after = passes(t, passed, education)
            problem = entry_problem(t, phase_of[state], phase_of[t.dest], after, education)
            if problem is not None:
                path = [(t.trigger, state, t.dest)]
                back = node
                while back in parent:
                    back, via = parent[back]
                    path.append((via.trigger, back[0], via.dest))
                return Bypass(phase_of[t.dest], t.dest, problem.value, tuple(reversed(path)))
            nxt = (t.dest, after)
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = (node, t)
                queue.append(nxt)
    return None
