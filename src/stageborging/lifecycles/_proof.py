"""Phases, and the proof that no path through a lifecycle bypasses a hard rule.

Every state of a definition maps to one canonical *phase*, named after the
states of the default definitions. The proof explores every way through the
definition's graph while tracking which hard rules the way has passed since the
facts they vouch for last changed:

* ``S``: the signatures guard, since the agreement last changed;
* ``R``: the no-retroactive-start guard, likewise;
* ``V``: the recognition guard (MBO) or assignment-approval guard (HBO), since
  the placement last changed;
* ``K``: consent given (the ``give_consent`` effect), since it was last withdrawn.

A new agreement resets ``S`` and ``R``; a new or cleared placement resets ``S``,
``R`` and ``V``; withdrawn consent resets ``K``. Entering a protected phase
without the rules it needs is a *bypass*, reported with the shortest way there:
the counterexample. Because the exploration is over (state, rules passed)
pairs, walks through cycles count too, not only simple paths.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..core import Bypass

if TYPE_CHECKING:
    from ._model import LifecycleDefinition, Transition

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
PHASES: Mapping[str, tuple[str, ...]] = {"internship": INTERNSHIP_PHASES, "case": CASE_PHASES}
FINAL_PHASES = frozenset({"completed", "withdrawn", "closed"})

_STARTED = frozenset({"S", "R", "V"})
#: phase -> the rules every way into it must have passed
NEEDS: Mapping[str, frozenset[str]] = {
    "employer_verified": frozenset({"V"}),
    "agreement_pending": frozenset({"V"}),
    "ready_to_start": frozenset({"V"}),
    "active": _STARTED,
    "suspended": _STARTED,
    "assessment": _STARTED,
    "completed": _STARTED,
    "investigating": frozenset({"K"}),
}
#: phase -> the guard the transition entering it must carry itself
ENTRY_GUARD: Mapping[str, str] = {
    "suspended": "reason_code",
    "terminated": "reason_code",
    "completed": "assessment_decision",
    "closed": "reporter_feedback",
}
_RULE_NAMES = {
    "S": "signatures",
    "R": "no_retroactive_start",
    "K": "consent (the give_consent effect)",
}
_RESETS = {
    "new_agreement": frozenset({"S", "R"}),
    "set_employer": frozenset({"S", "R", "V"}),
    "clear_placement": frozenset({"S", "R", "V"}),
    "withdraw_consent": frozenset({"K"}),
}


def _rule_name(rule: str, education: str) -> str:
    if rule == "V":
        return "recognition" if education == "mbo" else "assignment_approval"
    return _RULE_NAMES[rule]


def passes(transition: Transition, rules: frozenset[str], education: str) -> frozenset[str]:
    """The rules passed after *transition*, given *rules* passed before it."""
    gained = set()
    for guard in transition.guards:
        if guard == "signatures":
            gained.add("S")
        elif guard == "no_retroactive_start":
            gained.add("R")
        elif (guard == "recognition" and education == "mbo") or (
            guard == "assignment_approval" and education == "hbo"
        ):
            gained.add("V")
    if "give_consent" in transition.effects:
        gained.add("K")
    lost: set[str] = set()
    for effect in transition.effects:
        lost |= _RESETS.get(effect, frozenset())
    return frozenset((rules | gained) - lost)


def entry_problem(
    transition: Transition, phase: str, rules: frozenset[str], education: str
) -> str | None:
    """The rule missing when *transition* enters *phase* having passed *rules*, if any."""
    needed = ENTRY_GUARD.get(phase)
    if needed is not None and needed not in transition.guards:
        return needed
    missing = sorted(NEEDS.get(phase, frozenset()) - rules)
    return _rule_name(missing[0], education) if missing else None


def find_bypass(definition: LifecycleDefinition) -> Bypass | None:
    """The shortest way into a protected phase that misses a hard rule, or None.

    Explores (state, rules passed) pairs breadth first from the initial state.
    """
    phase_of = definition.phase_of
    education = definition.education
    by_source: dict[str, list[Transition]] = {s: [] for s in definition.states}
    for t in definition.transitions:
        for source in t.sources:
            by_source[source].append(t)
    start = (definition.initial, frozenset[str]())
    parent: dict[tuple[str, frozenset[str]], tuple[tuple[str, frozenset[str]], Transition]] = {}
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        state, rules = node
        for t in by_source[state]:
            after = passes(t, rules, education)
            problem = entry_problem(t, phase_of[t.dest], after, education)
            if problem is not None:
                path = [(t.trigger, state, t.dest)]
                back = node
                while back in parent:
                    back, via = parent[back]
                    path.append((via.trigger, back[0], via.dest))
                return Bypass(phase_of[t.dest], t.dest, problem, tuple(reversed(path)))
            nxt = (t.dest, after)
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = (node, t)
                queue.append(nxt)
    return None
