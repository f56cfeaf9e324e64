"""Institution facts (stageborging_institution_facts): a VOG received and a three-way talk,
the talk completing a guidance step."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from stageborging import (
    Actor,
    Engine,
    FieldKind,
    FieldSpec,
    GuidanceStep,
    InstitutionFact,
    Refused,
    hookimpl,
)
from stageborging.testing import FakeClock

VOG = InstitutionFact(
    name="vog_received",
    roles=["placement_office"],
    fields=[FieldSpec("issued_on", FieldKind.DATE)],
    description="The certificate of conduct (VOG) was received.",
    description_nl="De VOG is ontvangen.",
)
TALK = InstitutionFact(
    name="three_way_talk",
    roles=["coach"],
    states=["active"],
    description="The student, the workplace supervisor and the coach talked.",
    description_nl="Driegesprek gevoerd.",
)
#: The start intake: a three-way talk within two weeks of the start.
INTAKE = GuidanceStep(
    name="start_intake",
    anchor="entered:active",
    role="coach",
    offset=2,
    unit="weeks",
    done_by="three_way_talk",
    escalate_to="team_lead",
)


class RocFacts:
    name = "roc-facts"

    @hookimpl
    def stageborging_institution_facts(self):
        return [VOG, TALK]

    @hookimpl
    def stageborging_guidance_steps(self):
        return [INTAKE]

    @hookimpl
    def stageborging_verify_recognition(self):
        return True


office, coach = Actor("po-17", "placement_office"), Actor("coach-3", "coach")
student = Actor("stu-4711", "student")
details = {
    "student": "stu-4711",
    "programme": "zorg-25480",
    "qualification": "25480",
    "level": 3,
    "track": "BOL",
    "planned_start": "2027-02-01",
    "planned_end": "2027-06-30",
    "planned_hours": 640,
    "turns_18_on": "2025-09-01",
}
clock = FakeClock(datetime(2027, 1, 11, 9, tzinfo=UTC))

with (
    tempfile.TemporaryDirectory() as tmp,
    Engine(Path(tmp) / "school.db", plugins=[RocFacts()], clock=clock) as engine,
):
    print([fact.name for fact in engine.institution_facts])
    sid = engine.open("mbo_bpv", actor=office, data=details).stream_id
    engine.fire(sid, "begin_search", actor=student)
    event = engine.record(sid, "vog_received", actor=office, data={"issued_on": "2027-01-08"})
    print(event.type, event.name, event.from_state, "->", event.to_state)
    try:
        engine.record(sid, "vog_received", actor=student, data={"issued_on": "2027-01-08"})
    except Refused as refused:
        print("refused:", [f.code for f in refused.findings], "written:", refused.event)
    engine.fire(sid, "propose_placement", actor=student, data={"employer": "lb-100"})
    engine.fire(sid, "verify_employer", actor=office)
    engine.fire(sid, "draft_agreement", actor=office, data={
        "document": "pok-1", "hours_per_week": 32,
        "fields_present": ["parties", "qualification", "level", "track", "dates", "hours",
                           "allowance", "workplace_supervisor", "work_processes",
                           "assessment", "termination_conditions"]})  # fmt: skip
    for party, who in (("student", student), ("school", office),
                       ("employer", Actor("lb-100", "employer"))):  # fmt: skip
        engine.record(sid, "signature", actor=who, data={"party": party, "agreement_version": 1})
    engine.fire(sid, "confirm_signatures", actor=office)
    clock.set("2027-02-01")
    engine.fire(sid, "start", actor=coach)
    print("intake due:", [d.due_at[:10] for d in engine.store.deadlines(sid)])
    engine.record(sid, "three_way_talk", actor=coach)
    print("live after the talk:", engine.store.deadlines(sid))
    noted = engine.stream(sid).facts["noted"]
    print("noted:", {name: noted[name]["count"] for name in noted})
    print("VOG issued on", noted["vog_received"]["values"]["issued_on"])
    print("verified:", engine.verify().ok)
