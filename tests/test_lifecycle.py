"""Lifecycle definitions: validated on load, with a stable digest and readable renderings."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from stageborging import (
    DefinitionError,
    Education,
    Effect,
    Engine,
    FactSpec,
    FieldKind,
    FieldSpec,
    Guard,
    Kind,
    LifecycleDefinition,
    Transition,
    UnguardedPath,
)
from stageborging.lifecycles import (
    builtin,
    case,
    definition_from_data,
    hbo_stage,
    mbo_bpv,
    to_mermaid,
    to_table,
)
from support import PLACEMENT_OFFICE, STUDENT


def small(**overrides: Any) -> LifecycleDefinition:
    """A three-state internship definition for validation tests."""
    spec: dict[str, Any] = {
        "name": "tiny",
        "kind": "internship",
        "education": "mbo",
        "states": ["a", "b", "c"],
        "initial": "a",
        "final": ["c"],
        "transitions": [
            Transition("go", ["a"], "b", ["student"]),
            Transition("end", ["b"], "c", ["coach"]),
        ],
        "open_roles": ["placement_office"],
        "open_fields": [FieldSpec("student", FieldKind.ID)],
        "phases": {"a": "orientation", "b": "searching", "c": "withdrawn"},
    }
    spec.update(overrides)
    return LifecycleDefinition(**spec)


def test_builtin_definitions_are_valid_and_distinct() -> None:
    """The four built-in definitions load and each has its own digest."""
    digests = {d.digest for d in builtin()}
    assert len(digests) == 4
    assert mbo_bpv().initial == "orientation"
    assert set(mbo_bpv().final) == {"completed", "withdrawn"}
    assert case().final == ("closed",)


def test_internship_states_follow_the_domain() -> None:
    """Both variants share the states of DOMAIN §4; terminated is not final."""
    for definition in (mbo_bpv(), hbo_stage()):
        assert "terminated" not in definition.final
        assert definition.triggers_from("terminated") == ("seek_replacement", "withdraw")
        withdraw = definition.transitions_by_trigger["withdraw"]
        assert set(withdraw.sources) == set(definition.states) - set(definition.final)


def test_verify_employer_guard_depends_on_the_variant() -> None:
    """MBO checks recognition; HBO checks the approved assignment."""
    assert mbo_bpv().transitions_by_trigger["verify_employer"].guards == (Guard.RECOGNITION,)
    assert hbo_stage().transitions_by_trigger["verify_employer"].guards == (
        Guard.ASSIGNMENT_APPROVAL,
    )


def test_digest_is_stable_and_content_addressed() -> None:
    """Building the same definition twice gives the same digest; a change changes it."""
    assert small().digest == small().digest
    other = small(
        transitions=[
            Transition("go", ["a"], "b", ["coach"]),
            Transition("end", ["b"], "c", ["coach"]),
        ]
    )
    assert other.digest != small().digest


#: The digests of the built-in definitions: events in existing databases are stamped
#: with them, so a refactoring of the model must never change them.
BUILTIN_DIGESTS = {
    "mbo_bpv": "b00b5eb3755995b8fa61adaaa35a2771e9ae561839acdae203aa9e89b274624e",
    "hbo_stage": "072cfafa6e85ba0b8459261e4d5f721dcb72b419e97e6ef032ea13c0f115e34d",
    "case": "6b7c699e312100b4924c570b588d93802a4021aed745d32f55959962edb8f98e",
    "employer": "72ee6a88ba11abb4bc47595ed33a0e78f4f7c072de67a5d93005b1f1141912f6",
}


def test_builtin_digests_are_pinned() -> None:
    """The built-in definitions keep the digests existing databases are stamped with."""
    assert {d.name: d.digest for d in builtin()} == BUILTIN_DIGESTS


def test_kind_and_education_are_enums_with_the_old_values() -> None:
    """kind and education hold Kind and Education members, equal to their values."""
    assert mbo_bpv().kind is Kind.INTERNSHIP
    assert mbo_bpv().education is Education.MBO
    assert hbo_stage().education is Education.HBO
    assert case().kind is Kind.CASE
    assert case().education is Education.NONE
    assert small(kind="internship", education="hbo").education is Education.HBO
    assert mbo_bpv().kind == "internship"
    assert mbo_bpv().to_json()["kind"] == "internship"
    assert type(mbo_bpv().to_json()["education"]) is str


def test_definitions_are_immutable_hashable_values() -> None:
    """Tuples only, all the way down: equal definitions are equal and hash equal."""
    base = mbo_bpv()
    again = definition_from_data(base.to_json())
    assert again == base
    assert hash(again) == hash(base)
    assert {base, again, attrs.evolve(base)} == {base}
    assert hash(small()) == hash(small())
    assert hash(small()) != hash(small(name="other"))
    built = small()
    parts = [built.states, built.final, built.transitions, built.open_roles, built.open_fields]
    parts += [built.phases, *(t.sources for t in built.transitions)]
    assert all(type(part) is tuple for part in parts)
    for transition in base.transitions:
        assert hash(transition) == hash(attrs.evolve(transition))
        assert all(type(f.codes) is tuple for f in transition.fields)
    for fact in base.facts:
        assert hash(fact) == hash(attrs.evolve(fact))
    with pytest.raises(TypeError):
        base.phase_of["orientation"] = "searching"  # type: ignore[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        base.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("overrides", "element", "problem"),
    [
        ({"initial": "x"}, "initial state 'x'", "not a declared state"),
        ({"final": ["x"]}, "final state 'x'", "not a declared state"),
        ({"states": ["a", "b", "c", "a"]}, "states", "declared twice"),
        (
            {"transitions": [Transition("go", ["a"], "zz", ["student"])]},
            "transition 'go'",
            "state 'zz' is not declared",
        ),
        (
            {"transitions": [Transition("go", ["a"], "c", ["student"])]},
            "state 'b'",
            "unreachable from 'a'",
        ),
        (
            {
                "states": ["a", "b", "c", "d"],
                "transitions": [
                    Transition("go", ["a"], "b", ["student"]),
                    Transition("end", ["b"], "c", ["coach"]),
                    Transition("trap", ["a"], "d", ["coach"]),
                ],
            },
            "state 'd'",
            "dead end",
        ),
        (
            {
                "transitions": [
                    Transition("go", ["a"], "b", ["student"]),
                    Transition("end", ["b"], "c", ["coach"]),
                    Transition("back", ["c"], "a", ["coach"]),
                ]
            },
            "transition 'back'",
            "leaves final state 'c'",
        ),
        (
            {
                "transitions": [
                    Transition("go", ["a"], "b", ["principal"]),
                    Transition("end", ["b"], "c", ["coach"]),
                ]
            },
            "transition 'go'",
            "unknown role 'principal'",
        ),
        (
            {
                "transitions": [
                    Transition("go", ["a"], "b", ["student"]),
                    Transition("go", ["b"], "c", ["coach"]),
                ]
            },
            "transition 'go'",
            "declared twice",
        ),
        ({"kind": "thing"}, "kind", "not one of"),
        ({"education": "college"}, "education", "'college' is not one of mbo, hbo, none"),
        ({"education": "none"}, "education", "an internship is 'mbo'"),
        (
            {
                "transitions": [
                    Transition("go", ["a"], "b", ["student"]),
                    Transition("end", ["b"], "c", ["coach"]),
                ],
                "facts": [FactSpec("note", ["coach"], "guidance_contact", states=["c"])],
            },
            "fact 'note'",
            "cannot be recorded in final state 'c'",
        ),
        ({"open_roles": ["nobody"]}, "open_roles", "unknown role 'nobody'"),
        (
            {"open_fields": [FieldSpec("ground", FieldKind.CODE)]},
            "open_fields",
            "has no codes",
        ),
    ],
)
def test_validation_names_the_offending_element(
    overrides: dict[str, Any], element: str, problem: str
) -> None:
    """An unsound definition is refused on load, naming the state or transition."""
    with pytest.raises(DefinitionError) as info:
        small(**overrides)
    assert info.value.definition == "tiny"
    assert info.value.element == element
    assert problem in info.value.problem


def _without(definition: LifecycleDefinition, trigger: str, attribute: str) -> LifecycleDefinition:
    """*definition* renamed, with the guards or effects of *trigger* dropped."""
    transitions = [
        attrs.evolve(t, **{attribute: ()}) if t.trigger == trigger else t
        for t in definition.transitions
    ]
    return attrs.evolve(definition, name="custom", transitions=transitions)


@pytest.mark.parametrize(
    ("base", "trigger", "attribute", "rule"),
    [
        (mbo_bpv, "confirm_signatures", "guards", Guard.SIGNATURES),
        (mbo_bpv, "start", "guards", Guard.NO_RETROACTIVE_START),
        (mbo_bpv, "verify_employer", "guards", Guard.RECOGNITION),
        (hbo_stage, "verify_employer", "guards", Guard.ASSIGNMENT_APPROVAL),
        (mbo_bpv, "terminate", "guards", Guard.REASON_CODE),
        (mbo_bpv, "complete", "guards", Guard.ASSESSMENT_DECISION),
        (case, "close", "guards", Guard.REPORTER_FEEDBACK),
        (mbo_bpv, "cancel_placement", "guards", Guard.REASON_CODE),
        (hbo_stage, "cancel_placement", "guards", Guard.REASON_CODE),
        (mbo_bpv, "amend_agreement", "effects", Effect.NEW_AGREEMENT),
        (case, "give_consent", "effects", Guard.CONSENT),
        (case, "withdraw_consent", "effects", Effect.WITHDRAW_CONSENT),
    ],
)
def test_custom_definitions_that_drop_a_hard_rule_are_refused_naming_it(
    base: Any, trigger: str, attribute: str, rule: Guard | Effect
) -> None:
    """A variant that drops a hard guard or effect is refused with UnguardedPath naming it."""
    with pytest.raises(UnguardedPath) as info:
        _without(base(), trigger, attribute)
    bypass = info.value.bypass
    assert bypass.rule == rule.value
    assert trigger in [step for step, _, _ in bypass.path]
    assert f"reachable without the {rule.value} guard: {bypass.describe()}" in str(info.value)


def test_consent_facts_must_carry_the_consent_guard() -> None:
    """A case variant cannot allow an employer hearing without consent."""
    facts = [
        attrs.evolve(f, guards=()) if f.name == "employer_hearing" else f for f in case().facts
    ]
    with pytest.raises(DefinitionError, match="fact 'employer_hearing'"):
        attrs.evolve(case(), name="my_case", facts=facts)


def test_reason_code_guard_needs_a_required_reason_field() -> None:
    """A reason code cannot be made optional in a variant."""
    transitions = [
        attrs.evolve(t, fields=(FieldSpec("reason", FieldKind.CODE, required=False, codes=("x",)),))
        if t.trigger == "suspend"
        else t
        for t in mbo_bpv().transitions
    ]
    with pytest.raises(DefinitionError, match="required code field 'reason'"):
        attrs.evolve(mbo_bpv(), name="custom", transitions=transitions)


def test_a_custom_definition_runs_in_the_engine(db_path: Any, clock: Any) -> None:
    """A variant with an extra state works through the public API."""
    extra = attrs.evolve(
        mbo_bpv(),
        name="roc_bpv",
        states=(*mbo_bpv().states, "intake"),
        initial="intake",
        phases={"intake": "orientation"},
        transitions=(
            Transition("finish_intake", ["intake"], "orientation", ["coach", "placement_office"]),
            *[
                attrs.evolve(t, sources=(*t.sources, "intake")) if t.trigger == "withdraw" else t
                for t in mbo_bpv().transitions
            ],
        ),
    )
    with Engine(db_path, lifecycles=[extra], clock=clock) as engine:
        from support import mbo_details

        sid = engine.open("roc_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        assert engine.stream(sid).state == "intake"
        engine.fire(sid, "finish_intake", actor=PLACEMENT_OFFICE)
        assert engine.fire(sid, "begin_search", actor=STUDENT).to_state == "searching"
        assert all(e.definition == extra.digest for e in engine.history(sid))


def test_engine_refuses_two_definitions_with_one_name(db_path: Any) -> None:
    """Names identify definitions in the log, so they must be unique."""
    clash = attrs.evolve(mbo_bpv(), description="another")
    with pytest.raises(DefinitionError, match="a lifecycle with this name exists"):
        Engine(db_path, lifecycles=[clash])


def test_mermaid_is_a_state_diagram_of_every_transition() -> None:
    """The Mermaid rendering has an edge per source of every transition."""
    text = to_mermaid(mbo_bpv())
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> orientation" in lines
    assert (
        "    ready_to_start --> active: start [no_retroactive_start, employment_contract]" in lines
    )
    edges = [line for line in lines if ": " in line]
    assert len(edges) == sum(len(t.sources) for t in mbo_bpv().transitions)
    assert "    completed --> [*]" in lines


def test_table_lists_every_trigger_and_fact() -> None:
    """The table rendering names each trigger with its roles and guards."""
    text = to_table(case())
    for t in case().transitions:
        assert t.trigger in text
    (hearing,) = [line for line in text.splitlines() if line.startswith("employer_hearing ")]
    assert hearing.split()[:4] == ["employer_hearing", "case_handler", "employer_hearing",
                                   "consent"]  # fmt: skip


def _without_guard(definition: LifecycleDefinition, trigger: str, guard: Guard) -> Any:
    """*definition* renamed, with one guard of *trigger* dropped."""
    transitions = [
        attrs.evolve(t, guards=[g for g in t.guards if g is not guard])
        if t.trigger == trigger
        else t
        for t in definition.transitions
    ]
    return attrs.evolve(definition, name="custom", transitions=transitions)


@pytest.mark.parametrize(
    ("trigger", "guard"),
    [
        ("start", Guard.EMPLOYMENT_CONTRACT),
        ("confirm_signatures", Guard.MINOR_HOURS),
        ("repeat_placement", Guard.ASSESSMENT_FAILED),
        ("repeat_placement", Guard.REASON_CODE),
    ],
)
def test_the_proof_covers_the_guards_of_the_review_of_dutch_practice(
    trigger: str, guard: Guard
) -> None:
    """Dropping the BBL contract, the minor's hours or the repeat's guards is refused by name."""
    with pytest.raises(UnguardedPath) as info:
        _without_guard(mbo_bpv(), trigger, guard)
    bypass = info.value.bypass
    assert bypass.rule == guard.value
    assert trigger in [step for step, _, _ in bypass.path]


def test_a_repeat_without_a_new_agreement_is_refused() -> None:
    """Going back from the assessment to an agreement needs a new agreement version."""
    with pytest.raises(UnguardedPath) as info:
        _without(mbo_bpv(), "repeat_placement", "effects")
    assert info.value.bypass.rule == Effect.NEW_AGREEMENT.value


def test_hbo_needs_no_employment_contract_guard() -> None:
    """The employment-contract rule is for MBO (BBL) only: hbo_stage's start has no such guard."""
    (start,) = (t for t in hbo_stage().transitions if t.trigger == "start")
    assert Guard.EMPLOYMENT_CONTRACT not in start.guards
