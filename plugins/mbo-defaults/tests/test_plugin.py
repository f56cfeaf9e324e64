"""The plugin with the core: its steps, facts, register and VOG check in an engine, its
settings, and its entry point."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path

import pytest
from stageborging import Engine, PluginError, Refused
from stageborging.testing import FakeClock, PluginContract, due_steps

from conftest import COACH, OFFICE, STUDENT, details
from stageborging_mbo_defaults import plugin
from stageborging_mbo_defaults.steps import STEP_NAMES

MakeEngine = Callable[..., Engine]


def _placed(engine: Engine, employer: str = "lb-100", **changes: object) -> str:
    sid = engine.open("mbo_bpv", actor=OFFICE, data=details(**changes)).stream_id
    engine.fire(sid, "begin_search", actor=STUDENT)
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": employer})
    return sid


def _ready(engine: Engine, sid: str) -> None:
    engine.fire(sid, "verify_employer", actor=OFFICE)
    engine.fire(sid, "draft_agreement", actor=OFFICE, data={
        "document": "pok-1", "hours_per_week": 32,
        "fields_present": ["parties", "qualification", "level", "track", "dates", "hours",
                           "allowance", "workplace_supervisor", "work_processes",
                           "assessment", "termination_conditions"]})  # fmt: skip
    for party, role in (("student", "student"), ("school", "placement_office"),
                        ("employer", "employer")):  # fmt: skip
        engine.record(sid, "signature", actor=_actor(role),
                      data={"party": party, "agreement_version": 1})  # fmt: skip
    engine.fire(sid, "confirm_signatures", actor=OFFICE)


def _actor(role: str) -> object:
    from stageborging import Actor

    return Actor(f"{role}-1", role)


def test_the_default_steps_and_facts_are_registered(make_engine: MakeEngine) -> None:
    engine = make_engine()
    steps = {s.name for s in engine.guidance_steps}
    # besides the core's own: a report's deadlines (stageborging.case_deadlines)
    assert steps - {"case_acknowledgement", "case_intake", "case_open_long"} == set(STEP_NAMES)
    assert {f.name for f in engine.institution_facts} == {
        "application_training", "search_talk", "three_way_talk", "vog_received"}  # fmt: skip


@pytest.mark.parametrize(
    ("employer", "code"),
    [
        ("lb-200", "recognition.pending"),
        ("lb-300", "recognition.expired"),
        ("lb-400", "recognition.suspended"),
        ("lb-500", "recognition.not_yet_valid"),
        ("lb-999", "recognition.not_listed"),
    ],
)
def test_verify_employer_asks_the_register(
    make_engine: MakeEngine, employer: str, code: str
) -> None:
    engine = make_engine()
    sid = _placed(engine, employer)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "verify_employer", actor=OFFICE)
    (finding,) = info.value.findings
    assert (finding.code, finding.source) == (code, "mbo-defaults")
    recognised = _placed(engine)
    assert engine.fire(recognised, "verify_employer", actor=OFFICE).to_state == "employer_verified"


def test_without_a_register_another_verifier_is_asked(make_engine: MakeEngine) -> None:
    engine = make_engine(register=None)
    sid = _placed(engine)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "verify_employer", actor=OFFICE)
    assert [f.code for f in info.value.findings] == ["recognition.unknown_employer"]


def test_a_vog_programme_starts_only_with_a_vog(make_engine: MakeEngine, clock: FakeClock) -> None:
    engine = make_engine()
    care, ict = _placed(engine), _placed(engine, programme="ict")
    for sid in (care, ict):
        _ready(engine, sid)
    clock.set("2027-03-01")
    with pytest.raises(Refused) as info:
        engine.fire(care, "start", actor=COACH)
    assert [f.code for f in info.value.findings] == ["mbo.vog_missing"]
    assert "VOG" in info.value.findings[0].message_nl
    assert engine.fire(ict, "start", actor=COACH).to_state == "active"  # no VOG needed
    engine.record(care, "vog_received", actor=OFFICE, data={"issued_on": "2027-02-20"})
    assert engine.fire(care, "start", actor=COACH).to_state == "active"


def test_the_search_escalates_earlier_where_a_vog_is_needed(
    make_engine: MakeEngine, clock: FakeClock
) -> None:
    """T − 8 weeks for zorg (a VOG programme), T − 4 for the rest (DOMAIN §8b)."""
    engine = make_engine()
    plan = {"planned_start": "2027-04-05", "planned_end": "2027-07-30"}
    care = engine.open("mbo_bpv", actor=OFFICE, data=details(**plan)).stream_id
    ict = engine.open("mbo_bpv", actor=OFFICE, data=details(programme="ict", **plan)).stream_id
    for sid in (care, ict):
        engine.fire(sid, "begin_search", actor=STUDENT)
    due = {sid: {d.step: d.due_at[:10] for d in engine.store.deadlines(sid)} for sid in (care, ict)}
    assert due[care]["search_escalation_start_vog"] == "2027-02-08"
    assert "search_escalation_start" not in due[care]
    assert due[ict]["search_escalation_start"] == "2027-03-08"
    assert "search_escalation_start_vog" not in due[ict]
    clock.set("2027-02-09")
    assert engine.tick().fired == 1
    assert engine.stream(care).state == "assisted_search"
    assert engine.stream(ict).state == "searching"


def test_steps_can_be_disabled_and_changed(make_engine: MakeEngine) -> None:
    engine = make_engine(disabled_steps=["search_check_in"],
                         steps={"employer_verification": {"offset": 3}})  # fmt: skip
    names = {s.name: s for s in engine.guidance_steps}
    assert "search_check_in" not in names
    assert names["employer_verification"].offset == 3


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"colour": "blue"}, "unknown setting 'colour'"),
        ({"vog_programmes": "zorg"}, "vog_programmes must be a list"),
        ({"vog_programmes": ["zorg 1"]}, "'zorg 1' is no id"),
        ({"escalation_weeks": 0}, "escalation_weeks"),
        ({"disabled_steps": ["coffee"]}, "no default step is named 'coffee'"),
        ({"steps": {"search_check_in": {"trigger": "withdraw"}}}, "cannot be changed"),
        ({"steps": {"search_check_in": {"offset": "soon"}}}, "offset"),
        ({"register": "/nowhere/register.csv"}, "cannot be read"),
    ],
)
def test_settings_that_cannot_work_stop_the_engine(
    make_engine: MakeEngine, settings: dict[str, object], needle: str
) -> None:
    with pytest.raises(PluginError, match=needle):
        make_engine(**settings)


def test_a_pending_recognition_pauses_the_verification_deadline(
    make_engine: MakeEngine, clock: FakeClock, register: Path
) -> None:
    engine = make_engine()
    sid = _placed(engine, "lb-200")
    with pytest.raises(Refused):
        engine.fire(sid, "verify_employer", actor=OFFICE)
    clock.set("2027-01-20")
    assert engine.tick().paused >= 1
    assert "employer_verification" not in {g.step for g in engine.guidance_gaps()}
    register.write_text(
        register.read_text().replace(
            "lb-200,25480,pending,,", "lb-200,25480,recognised,2027-01-19,"
        )
    )
    assert engine.fire(sid, "verify_employer", actor=OFFICE).to_state == "employer_verified"
    assert "employer_verification" not in due_steps(engine, sid)


def test_the_entry_point_registers_the_plugin(tmp_path: Path, register: Path) -> None:
    """Installed (pip install plugins/mbo-defaults), the plugin loads by its entry point."""
    names = {e.name for e in importlib.metadata.entry_points(group="stageborging")}
    if "mbo-defaults" not in names:
        pytest.skip("the distribution is not installed in this environment")
    config = {"mbo-defaults": {"register": str(register)}}
    with Engine(tmp_path / "x.db", entry_points=True, config=config) as engine:
        status = {p.name: p for p in engine.plugin_status()}
    assert status["mbo-defaults"].source == "entry point"
    assert status["mbo-defaults"].version == importlib.metadata.version("stageborging-mbo-defaults")


class TestContract(PluginContract):
    """The kit's contract suite: well-formed, deterministic findings with Dutch."""

    @pytest.fixture
    def plugin(self) -> object:
        return plugin

    @pytest.fixture
    def plugin_config(self) -> dict[str, object]:
        return {"mbo-defaults": {"vog_programmes": ["zorg"]}}


def test_the_hours_check_runs_every_two_weeks_of_the_placement(
    make_engine: MakeEngine, clock: FakeClock
) -> None:
    """80% of the hours due so far: on track, no gap; behind, a gap for the coach."""
    engine = make_engine(vog_programmes=[])
    on_track, behind = _placed(engine), _placed(engine)
    for sid in (on_track, behind):
        _ready(engine, sid)
    clock.set("2027-03-01")
    for sid in (on_track, behind):
        engine.fire(sid, "start", actor=COACH)
    engine.record(on_track, "hours", actor=STUDENT, data={"hours": 64})
    engine.record(behind, "hours", actor=STUDENT, data={"hours": 20})
    clock.set("2027-03-16")  # 15 days of 124 planned for 600 hours: 73 due, 58 enough
    assert engine.tick().met == 1
    gaps = [(g.stream_id, g.step) for g in engine.guidance_gaps() if g.step == "hours_check"]
    assert gaps == [(behind, "hours_check")]
