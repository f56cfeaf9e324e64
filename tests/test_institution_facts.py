"""Institution facts: a plugin's own facts, recorded like built-in ones, counted in
``facts["noted"]``, completing guidance steps, and never touching the hard rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from stageborging import (
    Engine,
    EventType,
    FieldKind,
    FieldSpec,
    GuidanceStep,
    InstitutionFact,
    InvalidInput,
    PluginError,
    Refused,
    hookimpl,
)
from stageborging.testing import FakeClock
from support import COACH, PLACEMENT_OFFICE, STUDENT, Recognises, journey

VOG = InstitutionFact(
    name="vog_received",
    roles=["placement_office"],
    fields=[FieldSpec("issued_on", FieldKind.DATE)],
    states=[
        "searching",
        "placement_proposed",
        "employer_verified",
        "agreement_pending",
        "ready_to_start",
    ],
    description="The certificate of conduct (VOG) was received.",
    description_nl="De VOG is ontvangen.",
)
TALK = InstitutionFact(name="three_way_talk", roles=["coach", "placement_office"])


class Declares:
    """A plugin declaring *facts* (and *steps*)."""

    def __init__(self, *facts: object, steps: Sequence[GuidanceStep] = (), name: str = "roc"):
        self.facts = facts
        self.steps = steps
        self.name = name

    @hookimpl
    def stageborging_institution_facts(self) -> Sequence[object]:
        return self.facts

    @hookimpl
    def stageborging_guidance_steps(self) -> Sequence[GuidanceStep]:
        return self.steps


def _engine(db: str, clock: FakeClock, *plugins: object) -> Engine:
    return Engine(db, plugins=list(plugins), clock=clock)


@pytest.mark.hook("stageborging_institution_facts")
def test_an_institution_fact_is_recorded_counted_and_verified(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Declares(VOG, TALK)) as engine:
        assert [f.name for f in engine.institution_facts] == ["three_way_talk", "vog_received"]
        trip = journey(engine, clock)
        sid = trip.open()
        trip.search(sid)
        event = engine.record(sid, "vog_received", actor=PLACEMENT_OFFICE,
                              data={"issued_on": "2027-01-08"})  # fmt: skip
        assert (event.type, event.name, event.from_state, event.to_state) == (
            EventType.NOTED, "vog_received", "searching", "searching")  # fmt: skip
        engine.record(sid, "three_way_talk", actor=COACH)
        engine.record(sid, "three_way_talk", actor=COACH)
        noted = engine.stream(sid).facts["noted"]
        assert noted["vog_received"] == {"count": 1, "values": {"issued_on": "2027-01-08"}}
        assert noted["three_way_talk"]["count"] == 2
        assert engine.replay(sid) == engine.stream(sid)
        assert engine.verify().ok


def test_an_institution_fact_completes_a_guidance_step(db: str, clock: FakeClock) -> None:
    talk = GuidanceStep(name="talk", anchor="entered:searching", role="coach", offset=7,
                        done_by="three_way_talk", count=2)  # fmt: skip
    with _engine(db, clock, Declares(TALK, steps=[talk])) as engine:
        trip = journey(engine, clock)
        sid = trip.open()
        trip.search(sid)
        engine.record(sid, "three_way_talk", actor=COACH)
        assert [d.status for d in engine.store.deadlines(sid)] == ["open"]  # one of two
        engine.record(sid, "three_way_talk", actor=COACH)
        assert engine.store.deadlines(sid) == []  # met: no longer live
        clock.set("2027-02-01")
        assert engine.tick().missed == 0


def test_a_step_may_not_be_done_by_an_undeclared_fact(db: str, clock: FakeClock) -> None:
    talk = GuidanceStep(name="talk", anchor="entered:searching", role="coach",
                        done_by="three_way_talk")  # fmt: skip
    with pytest.raises(PluginError, match="three_way_talk"):
        _engine(db, clock, Declares(steps=[talk]))


def test_recording_one_by_the_wrong_role_writes_nothing(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Declares(VOG)) as engine:
        trip = journey(engine, clock)
        sid = trip.open()
        trip.search(sid)
        version = engine.stream(sid).version
        with pytest.raises(Refused) as info:
            engine.record(sid, "vog_received", actor=STUDENT, data={"issued_on": "2027-01-08"})
        assert info.value.event is None
        assert [f.code for f in info.value.findings] == ["role.not_allowed"]
        assert engine.stream(sid).version == version


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "data.issued_on"),
        ({"issued_on": "yesterday"}, "data.issued_on"),
        ({"issued_on": "2027-01-08", "note": "x"}, "data.note"),
    ],
)
def test_bad_data_for_an_institution_fact_names_the_field(
    db: str, clock: FakeClock, data: dict[str, Any], field: str
) -> None:
    with _engine(db, clock, Declares(VOG)) as engine:
        trip = journey(engine, clock)
        sid = trip.open()
        trip.search(sid)
        with pytest.raises(InvalidInput) as info:
            engine.record(sid, "vog_received", actor=PLACEMENT_OFFICE, data=data)
        assert info.value.field == field


def test_an_institution_fact_keeps_to_its_states(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Declares(VOG)) as engine:
        sid = journey(engine, clock).open()  # orientation: not among its states
        with pytest.raises(InvalidInput) as info:
            engine.record(sid, "vog_received", actor=PLACEMENT_OFFICE,
                          data={"issued_on": "2027-01-08"})  # fmt: skip
        assert info.value.field == "fact"


def test_a_repeated_command_id_returns_the_first_event(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Declares(VOG)) as engine:
        trip = journey(engine, clock)
        sid = trip.open()
        trip.search(sid)
        data = {"issued_on": "2027-01-08"}
        first = engine.record(sid, "vog_received", actor=PLACEMENT_OFFICE, data=data,
                              command_id="cmd-1")  # fmt: skip
        again = engine.record(sid, "vog_received", actor=PLACEMENT_OFFICE, data=data,
                              command_id="cmd-1")  # fmt: skip
        assert again.seq == first.seq
        assert engine.stream(sid).facts["noted"]["vog_received"]["count"] == 1
        with pytest.raises(InvalidInput) as info:
            engine.record(sid, "vog_received", actor=PLACEMENT_OFFICE,
                          data={"issued_on": "2027-01-09"}, command_id="cmd-1")  # fmt: skip
        assert info.value.field == "command_id"


@pytest.mark.parametrize(
    ("plugins", "needle"),
    [
        ([Declares(InstitutionFact(name="signature", roles=["coach"]))], "signature"),
        ([Declares(InstitutionFact(name="x", roles=["coach"], states=["nowhere"]))], "nowhere"),
        ([Declares(InstitutionFact(name="x", roles=["coach"], states=["completed"]))],
         "final state"),
        ([Declares(InstitutionFact(name="x", roles=["coach"], lifecycles=["nope"]))], "nope"),
        ([Declares(TALK), Declares(TALK, name="other")], "three_way_talk"),
        ([Declares("a fact")], "not an InstitutionFact"),
    ],
)  # fmt: skip
def test_a_declaration_that_cannot_work_stops_the_engine(
    db: str, clock: FakeClock, plugins: list[object], needle: str
) -> None:
    with pytest.raises(PluginError, match=needle):
        _engine(db, clock, *plugins)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "two words", "roles": ["coach"]}, "name"),
        ({"name": "x", "roles": []}, "roles"),
        ({"name": "x", "roles": ["janitor"]}, "roles"),
        ({"name": "x", "roles": ["coach"], "fields": ["issued_on"]}, "fields"),
        ({"name": "x", "roles": ["coach"], "fields": {"a": 1}}, "fields"),
        ({"name": "x", "roles": ["coach"], "states": 7}, "states"),
        ({"name": "x", "roles": ["coach"], "description": 7}, "description"),
        ({"name": "x", "roles": ["coach"],
          "fields": [FieldSpec("a", FieldKind.INT), FieldSpec("a", FieldKind.INT)]}, "fields"),
    ],
)  # fmt: skip
def test_a_malformed_institution_fact_names_its_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        InstitutionFact(**values)
    assert info.value.field == field


def test_an_institution_fact_changes_no_hard_rule(db: str, clock: FakeClock) -> None:
    """Recording one leaves every other fact as it was: the placement, the agreement and
    consent are the built-in facts' and transitions' only."""
    with _engine(db, clock, Declares(VOG), Recognises()) as engine:
        trip = journey(engine, clock)
        sid = trip.open()
        trip.to_agreement_pending(sid)
        before = dict(engine.stream(sid).facts)
        engine.record(sid, "vog_received", actor=PLACEMENT_OFFICE,
                      data={"issued_on": "2027-01-08"})  # fmt: skip
        after = dict(engine.stream(sid).facts)
        assert {k: v for k, v in after.items() if k != "noted"} == before


def test_in_a_batch_a_refused_institution_fact_is_its_own_error(db: str, clock: FakeClock) -> None:
    with _engine(db, clock, Declares(VOG, TALK)) as engine:
        trip = journey(engine, clock)
        sid = trip.open()
        trip.search(sid)
        with engine.batch() as batch:
            batch.record(sid, "vog_received", actor=STUDENT, data={"issued_on": "2027-01-08"})
            batch.record(sid, "three_way_talk", actor=COACH)
        refused, talk = batch.results
        assert isinstance(refused.error, Refused)
        assert refused.event is None
        assert talk.ok
        assert [e.name for e in engine.history(sid)][-2:] == ["begin_search", "three_way_talk"]


@pytest.mark.parametrize(
    "spec",
    [
        FieldSpec("two words", FieldKind.INT),
        FieldSpec("ci", FieldKind.CODE),
        FieldSpec("ci", FieldKind.CODE, codes=["a b"]),
        FieldSpec("ci", FieldKind.CODE, codes=[1, 2]),
        FieldSpec("n", FieldKind.INT, minimum=10, maximum=1),
        FieldSpec("n", FieldKind.INT, minimum=10**30),
        FieldSpec("d", FieldKind.DATE, not_before="nowhere"),
    ],
)
def test_a_field_that_could_never_be_recorded_or_would_leak_text_is_refused(
    spec: FieldSpec,
) -> None:
    """Names and codes are identifiers, bounds integers in order, not_before a date beside."""
    with pytest.raises(InvalidInput) as info:
        InstitutionFact(name="weird", roles=["placement_office"], fields=[spec])
    assert info.value.field == "fields"
