"""Phases and the static proof: no definition the engine accepts can bypass a hard rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import (
    DefinitionError,
    Engine,
    FactSpec,
    FieldKind,
    FieldSpec,
    LifecycleDefinition,
    PluginError,
    Transition,
    UnguardedPath,
    hookimpl,
)
from stageborging.lifecycles import (
    CASE_PHASES,
    FINAL_PHASES,
    INTERNSHIP_PHASES,
    builtin,
    case,
    find_bypass,
    hbo_stage,
    mbo_bpv,
)


@pytest.mark.parametrize("definition", builtin(), ids=lambda d: d.name)
def test_builtin_definitions_are_proven(definition: LifecycleDefinition) -> None:
    """Every built-in lifecycle passes the proof, and every state is its own phase."""
    assert find_bypass(definition) is None
    assert all(state == phase for state, phase in definition.phase_of.items())


def with_transitions(base: LifecycleDefinition, *extra: Transition, name: str = "variant") -> Any:
    return attrs.evolve(base, name=name, transitions=(*base.transitions, *extra))


@pytest.mark.parametrize(
    ("base", "extra", "phase", "rule", "last"),
    [
        (
            mbo_bpv,
            Transition("fast_track", ["agreement_pending"], "ready_to_start", ["placement_office"]),
            "active",
            "signatures",
            ("start", "ready_to_start", "active"),
        ),
        (
            mbo_bpv,
            Transition("skip_check", ["placement_proposed"], "agreement_pending", ["coach"]),
            "agreement_pending",
            "recognition",
            ("skip_check", "placement_proposed", "agreement_pending"),
        ),
        (
            hbo_stage,
            Transition("skip_check", ["placement_proposed"], "employer_verified", ["coach"]),
            "employer_verified",
            "assignment_approval",
            ("skip_check", "placement_proposed", "employer_verified"),
        ),
        (
            mbo_bpv,
            Transition("begin_now", ["ready_to_start"], "active", ["coach"]),
            "active",
            "no_retroactive_start",
            ("begin_now", "ready_to_start", "active"),
        ),
        (
            mbo_bpv,
            Transition("pause_work", ["active"], "suspended", ["coach"]),
            "suspended",
            "reason_code",
            ("pause_work", "active", "suspended"),
        ),
        (
            case,
            Transition("investigate", ["intake_held"], "investigating", ["confidential_advisor"]),
            "investigating",
            "consent",
            ("investigate", "intake_held", "investigating"),
        ),
    ],
)
def test_a_bypass_is_refused_with_its_counterexample(
    base: Any, extra: Transition, phase: str, rule: str, last: tuple[str, str, str]
) -> None:
    """The error names the phase, the rule missed and the shortest path that misses it."""
    with pytest.raises(UnguardedPath) as info:
        with_transitions(base(), extra)
    bypass = info.value.bypass
    assert (bypass.phase, bypass.rule, bypass.path[-1]) == (phase, rule, last)
    assert bypass.path[0][1] == base().initial
    for (_, _, dest), (_, source, _) in zip(bypass.path, bypass.path[1:], strict=False):
        assert dest == source  # a connected path
    assert bypass.describe() in str(info.value)


def test_signatures_before_an_amendment_do_not_count() -> None:
    """Walks through cycles count: signing, amending, then a shortcut is still a bypass."""
    shortcut = Transition("re_ready", ["agreement_pending"], "ready_to_start", ["placement_office"])
    with pytest.raises(UnguardedPath) as info:
        with_transitions(mbo_bpv(), shortcut)
    path = [trigger for trigger, _, _ in info.value.bypass.path]
    assert "re_ready" in path
    assert "confirm_signatures" not in path[path.index("re_ready") :]


def with_facts(base: LifecycleDefinition, *extra: FactSpec, name: str = "variant") -> Any:
    return attrs.evolve(base, name=name, facts=(*base.facts, *extra))


def refused_bypass(definition: Any) -> Any:
    with pytest.raises(UnguardedPath) as info:
        definition()
    return info.value


def test_a_fact_that_swaps_the_employer_after_verification_is_refused() -> None:
    """A fact changing the employer in agreement_pending voids recognition: the path names it."""
    swap = FactSpec(
        "swap_employer",
        ["placement_office"],
        "set_employer",
        fields=[FieldSpec("employer", FieldKind.ID)],
        states=["agreement_pending"],
    )
    error = refused_bypass(lambda: with_facts(mbo_bpv(), swap))
    bypass = error.bypass
    assert (bypass.phase, bypass.state, bypass.rule) == (
        "agreement_pending",
        "agreement_pending",
        "recognition",
    )
    assert bypass.path[-1] == ("swap_employer", "agreement_pending", "agreement_pending")
    assert bypass.describe() == (
        "orientation -begin_search-> searching -propose_placement-> placement_proposed"
        " -verify_employer-> employer_verified -draft_agreement-> agreement_pending"
        " -swap_employer-> agreement_pending"
    )
    assert "agreement_pending -swap_employer-> agreement_pending" in str(error)


def test_a_new_agreement_recorded_as_a_fact_before_the_start_needs_new_signatures() -> None:
    """A fact drafting agreement version 2 in ready_to_start, confirmed by another, then
    start: the proof finds the start without signatures on the new agreement."""
    redraft = FactSpec(
        "redraft",
        ["placement_office"],
        "new_agreement",
        fields=[FieldSpec("document", FieldKind.ID)],
        states=["ready_to_start"],
    )
    reconfirm = FactSpec(
        "reconfirm", ["placement_office"], "confirm_agreement", states=["ready_to_start"]
    )
    bypass = refused_bypass(lambda: with_facts(mbo_bpv(), redraft, reconfirm)).bypass
    assert (bypass.phase, bypass.rule) == ("active", "signatures")
    assert bypass.path[-2:] == (
        ("redraft", "ready_to_start", "ready_to_start"),
        ("start", "ready_to_start", "active"),
    )


@pytest.mark.parametrize(
    ("effect", "state", "rule"),
    [
        ("set_employer", "active", "recognition"),
        ("clear_placement", "suspended", "recognition"),
        ("set_employer", "ready_to_start", "recognition"),
        ("new_agreement", "active", "signatures"),
        ("new_agreement", "assessment", "signatures"),
    ],
)
def test_a_fact_that_voids_a_rule_of_its_protected_phase_is_itself_a_bypass(
    effect: str, state: str, rule: str
) -> None:
    """Recorded in a protected phase, a fact may not void a rule that phase needs."""
    fact = FactSpec("change", ["placement_office"], effect, states=[state])
    bypass = refused_bypass(lambda: with_facts(mbo_bpv(), fact)).bypass
    assert (bypass.phase, bypass.state, bypass.rule) == (state, state, rule)
    assert bypass.path[-1] == ("change", state, state)


def test_a_fact_withdrawing_consent_during_the_investigation_is_refused() -> None:
    """Consent withdrawn by a fact, while the case stays investigating, is a bypass."""
    fact = FactSpec(
        "consent_withdrawn", ["confidential_advisor"], "withdraw_consent", states=["investigating"]
    )
    bypass = refused_bypass(lambda: with_facts(case(), fact)).bypass
    assert (bypass.phase, bypass.rule) == ("investigating", "consent")
    assert bypass.path[-1] == ("consent_withdrawn", "investigating", "investigating")


ELSEWHERE = ["searching", "placement_proposed", "terminated"]


@pytest.mark.parametrize(
    ("base", "fact"),
    [
        (mbo_bpv, FactSpec("other_employer", ["coach"], "set_employer", states=ELSEWHERE)),
        (hbo_stage, FactSpec("redraft", ["coach"], "new_agreement", states=["agreement_pending"])),
        (
            case,
            FactSpec(
                "consent_noted",
                ["confidential_advisor"],
                "give_consent",
                fields=[FieldSpec("given_by", "code", codes=["reporter"])],
                guards=["consent_giver"],
            ),
        ),
        (mbo_bpv, FactSpec("note", ["coach"], "guidance_contact")),
    ],
    ids=["employer-before-the-check", "agreement-before-signing", "consent", "harmless"],
)
def test_a_fact_whose_rules_come_again_on_every_way_on_is_accepted(
    base: Any, fact: FactSpec
) -> None:
    """A new employer before its check, a new agreement before its signing: the rules follow."""
    assert find_bypass(with_facts(base(), fact)) is None


def test_new_states_need_a_phase() -> None:
    """A state that is no phase name must be mapped to one."""
    pause = Transition("pause", ["searching"], "paused", ["coach"])
    back = Transition("unpause", ["paused"], "searching", ["coach"])
    base = mbo_bpv()
    withdraw = base.transitions_by_trigger["withdraw"]
    transitions = [
        *(t for t in base.transitions if t.trigger != "withdraw"),
        attrs.evolve(withdraw, sources=(*withdraw.sources, "paused")),
        pause,
        back,
    ]
    changes = {"name": "v", "states": (*base.states, "paused"), "transitions": transitions}
    with pytest.raises(DefinitionError, match=r"state 'paused'.*map it with phases"):
        attrs.evolve(base, **changes)
    with pytest.raises(DefinitionError, match=r"state 'paused'.*unknown phase"):
        attrs.evolve(base, **changes, phases={"paused": "pausing"})
    assert attrs.evolve(base, **changes, phases={"paused": "searching"}).phase_of["paused"] == (
        "searching"
    )


def test_a_final_phase_is_final() -> None:
    """A state in a final phase must be a final state: nothing leaves it."""
    base = mbo_bpv()
    with pytest.raises(DefinitionError, match="in final phase 'completed' but not final"):
        attrs.evolve(base, name="v", phases={"assessment": "completed"})


class ShortcutVariant:
    name = "roc-shortcut"

    @hookimpl
    def stageborging_lifecycles(self) -> list[LifecycleDefinition]:
        shortcut = Transition("fast_track", ["agreement_pending"], "ready_to_start", ["coach"])
        return [with_transitions(mbo_bpv(), shortcut, name="roc_fast")]


@pytest.mark.hook("stageborging_lifecycles")
def test_a_plugin_variant_that_skips_signing_is_refused_at_start_up(db_path: Path) -> None:
    """The engine does not start, naming the plugin and the path that skips the signatures."""
    with pytest.raises(PluginError) as info:
        Engine(db_path, plugins=[ShortcutVariant()])
    assert info.value.plugin == "roc-shortcut"
    assert "-fast_track-> ready_to_start -start-> active" in str(info.value)


# -- the proof agrees with brute force ---------------------------------------------

GUARDS = [
    "signatures",
    "no_retroactive_start",
    "recognition",
    "assignment_approval",
    "reason_code",
    "assessment_decision",
    "reporter_feedback",
    "consent",
    "minor_hours",
    "employment_contract",
    "assessment_failed",
    "outcome_heard",
]
#: The fields the guards need (the field rules), and the guard an effect needs.
GUARD_FIELDS = {
    "reason_code": FieldSpec("reason", FieldKind.CODE, codes=("x",)),
    "outcome_heard": FieldSpec("outcome", FieldKind.CODE, codes=("founded",)),
    "consent_giver": FieldSpec("given_by", FieldKind.CODE, codes=("reporter",)),
}
EFFECT_GUARD = {"give_consent": "consent_giver"}
EFFECTS = [
    "new_agreement",
    "repeat_period",
    "reschedule",
    "set_employer",
    "clear_placement",
    "confirm_agreement",
    "give_consent",
    "withdraw_consent",
]
#: fact effects that change nothing a path guard vouches for
HARMLESS = ["hours", "guidance_contact", "assignment_decision"]
PLACEMENT = {"placement_proposed", "employer_verified", "agreement_pending", "ready_to_start"}
PROTECTED = {
    "employer_verified": {"V"},
    "agreement_pending": {"V"},
    "ready_to_start": {"V"},
    "active": {"S", "R", "M", "V"},
    "suspended": {"S", "R", "M", "V"},
    "assessment": {"S", "R", "M", "V"},
    "completed": {"S", "R", "M", "V"},
    "investigating": {"K"},
    "awaiting_external": {"K"},
}
#: MBO: a BBL student is an employee before the placement starts (E), in these phases too.
STARTED = {"active", "suspended", "assessment", "completed"}
SEARCH = {"orientation", "searching", "assisted_search"}
#: (phases entered, phases left or None for any, what the entering transition carries)
ENTRY = [
    ({"suspended", "terminated"}, None, ("guards", "reason_code")),
    ({"completed"}, None, ("guards", "assessment_decision")),
    ({"closed"}, None, ("guards", "reporter_feedback")),
    (SEARCH, PLACEMENT, ("guards", "reason_code")),
    (
        {"agreement_pending"},
        {"agreement_pending", "ready_to_start", "active", "suspended", "assessment"},
        ("effects", "new_agreement"),
    ),
    (PLACEMENT | SEARCH, {"assessment"}, ("guards", "assessment_failed")),
    (PLACEMENT | SEARCH, {"assessment"}, ("guards", "reason_code")),
    ({"registered_only"}, {"investigating", "awaiting_external"}, ("effects", "withdraw_consent")),
    ({"outcome_recorded"}, None, ("guards", "outcome_heard")),
]


def brute_force_finds_bypass(
    initial: str,
    transitions: list[Transition],
    phase: dict[str, str],
    education: str,
    facts: tuple[tuple[set[str], list[str], str], ...] = (),
) -> bool:
    """Search every (state, rules passed) reachable from the start, depth first.

    Written from the rules' statement alone: a guard passes its rule (the placement
    check is recognition for mbo, assignment approval for hbo; mbo also needs the
    BBL employment contract once started); the give_consent effect gives consent; a
    new agreement or a repeated period undoes signatures, start and a minor's hours;
    a new or cleared placement undoes those, the placement check and the contract;
    withdrawn consent undoes consent, and a move that checks consent holds it. Some
    entries need the entering transition itself to carry a guard or an effect, and
    opening a stream passes nothing, so the initial state's phase may need none.
    A fact (the states it may be recorded in, its guards, its effect) stays in its
    state: its guards and effect pass and undo rules as a transition's do, no entry
    applies, and it may not undo a rule of its state's phase that the way had passed.
    """
    placement_check = {"mbo": "recognition", "hbo": "assignment_approval"}.get(education)
    grants = {"signatures": "S", "no_retroactive_start": "R", "minor_hours": "M", "consent": "K"}
    if placement_check:
        grants[placement_check] = "V"
    protected = dict(PROTECTED)
    if education == "mbo":
        grants["employment_contract"] = "E"
        protected.update({p: PROTECTED[p] | {"E"} for p in STARTED})
    undo = {
        "new_agreement": {"S", "R", "M"},
        "repeat_period": {"S", "R", "M"},
        "reschedule": {"S", "R", "M"},
        "set_employer": {"S", "R", "M", "V", "E"},
        "clear_placement": {"S", "R", "M", "V", "E"},
        "withdraw_consent": {"K"},
    }

    visited: set[tuple[str, frozenset[str]]] = set()

    def walk(state: str, rules: frozenset[str]) -> bool:
        for states, guards, effect in facts:
            if state not in states:
                continue
            now = {grants[g] for g in guards if g in grants} | rules
            if effect == "give_consent":
                now.add("K")
            now -= undo.get(effect, set())
            if protected.get(phase[state], set()) & rules - now:
                return True
            node = (state, frozenset(now))
            if node not in visited:
                visited.add(node)
                if walk(state, node[1]):
                    return True
        for t in transitions:
            if state not in t.sources:
                continue
            now = {grants[g] for g in t.guards if g in grants} | rules
            if "give_consent" in t.effects:
                now.add("K")
            for effect in t.effects:
                now -= undo.get(effect, set())
            into = phase[t.dest]
            for entered, left, (attribute, needed) in ENTRY:
                applies = into in entered and (left is None or phase[state] in left)
                if applies and needed not in getattr(t, attribute):
                    return True
            if not protected.get(into, set()) <= now:
                return True
            node = (t.dest, frozenset(now))
            if node not in visited:
                visited.add(node)
                if walk(t.dest, node[1]):
                    return True
        return False

    # Opening passes nothing: the initial phase may need no rule, nor an entry guard.
    if protected.get(phase[initial]) or any(
        left is None and phase[initial] in entered for entered, left, _ in ENTRY
    ):
        return True
    visited.add((initial, frozenset()))
    return walk(initial, frozenset())


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """Random internship (mbo, hbo) and case graphs: reachable, without dead ends, guards
    and effects placed at random, and facts with random effects, guards and states."""
    kind, education = draw(st.sampled_from([("internship", "mbo"), ("internship", "hbo"),
                                            ("case", "none")]))  # fmt: skip
    known = INTERNSHIP_PHASES if kind == "internship" else CASE_PHASES
    n = draw(st.integers(3, 7))
    states = [f"s{i}" for i in range(n)]
    open_phases = [p for p in known if p not in FINAL_PHASES]
    last = "withdrawn" if kind == "internship" else "closed"
    phases = {"s0": draw(st.sampled_from(open_phases)), states[-1]: last}
    for state in states[1:-1]:
        phases[state] = draw(st.sampled_from(known))
    final = [s for s in states if phases[s] in FINAL_PHASES]
    sources = [s for s in states if s not in final]
    edges = [(draw(st.sampled_from([s for s in states[:i] if s in sources])), states[i])
             for i in range(1, n)]  # fmt: skip
    edges += draw(st.lists(st.tuples(st.sampled_from(sources), st.sampled_from(states)),
                           max_size=2 * n))  # fmt: skip
    edges += [(s, states[-1]) for s in sources if all(src != s for src, _ in edges)]
    transitions = []
    for k, (source, dest) in enumerate(edges):
        guards = draw(st.lists(st.sampled_from(GUARDS), unique=True, max_size=3))
        if kind == "case" and "reporter_feedback" not in guards and draw(st.booleans()):
            guards.append("reporter_feedback")  # else few random cases could ever close
        effects = draw(st.lists(st.sampled_from(EFFECTS), unique=True, max_size=2))
        guards += [EFFECT_GUARD[e] for e in effects if e in EFFECT_GUARD]
        fields = [GUARD_FIELDS[g] for g in guards if g in GUARD_FIELDS]
        transitions.append(Transition(f"t{k}", [source], dest, ["coach"], guards, fields, effects))
    fact = st.tuples(
        st.sampled_from([*EFFECTS, *HARMLESS]),
        st.lists(st.sampled_from(GUARDS), unique=True, max_size=2),
        st.lists(st.sampled_from(sources), unique=True, max_size=3),  # none: every non-final
    )
    facts = []
    for k, (effect, guards, where) in enumerate(draw(st.lists(fact, max_size=3))):
        guards = [*guards, *([EFFECT_GUARD[effect]] if effect in EFFECT_GUARD else [])]
        fields = [GUARD_FIELDS[g] for g in guards if g in GUARD_FIELDS]
        facts.append(FactSpec(f"f{k}", ["coach"], effect, guards=guards, states=where,
                              fields=fields))  # fmt: skip
    return {
        "name": "random",
        "kind": kind,
        "education": education,
        "states": states,
        "initial": "s0",
        "final": final,
        "transitions": transitions,
        "facts": facts,
        "phases": phases,
    }


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions())
def test_the_validator_accepts_exactly_what_brute_force_proves(spec: dict[str, Any]) -> None:
    """For thousands of random definitions, accepted iff no path reaches a phase unguarded."""
    phase = {state: spec["phases"].get(state, state) for state in spec["states"]}
    final = set(spec["final"])
    facts = tuple(
        (set(f.states or [s for s in spec["states"] if s not in final]), list(f.guards), f.effect)
        for f in spec["facts"]
    )
    expected = brute_force_finds_bypass(
        spec["initial"], spec["transitions"], phase, spec["education"], facts
    )
    try:
        LifecycleDefinition(**spec)
    except UnguardedPath:
        assert expected, "refused, but brute force finds no bypass"
        return
    assert not expected, "accepted, but brute force finds a bypass"


@pytest.mark.parametrize(("phase", "rule"), [("active", "no_retroactive_start"),
                                             ("suspended", "reason_code")])  # fmt: skip
def test_a_stream_cannot_be_opened_straight_into_a_protected_phase(phase: str, rule: str) -> None:
    """Opening passes no guard: an initial state in a protected phase is a bypass of length 0."""
    base = mbo_bpv()
    with pytest.raises(UnguardedPath) as refused:
        attrs.evolve(
            base,
            name="opened_early",
            states=("started", *base.states),
            initial="started",
            phases={"started": phase},
            transitions=(
                *base.transitions,
                Transition("to_orientation", ["started"], "orientation", ["coach"]),
            ),
        )
    assert (refused.value.bypass.phase, refused.value.bypass.rule) == (phase, rule)
    assert refused.value.bypass.path == ()
