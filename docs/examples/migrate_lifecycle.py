"""A school changes its lifecycle between school years and migrates its running streams."""

import tempfile
from pathlib import Path

import attrs

from stageborging import Actor, Engine, Refused, Transition
from stageborging.lifecycles import mbo_bpv

office, student = Actor("po-1", "placement_office"), Actor("stu-1", "student")
details = {"student": "stu-1", "programme": "ict", "qualification": "25604", "level": 4,
           "track": "BOL", "planned_start": "2027-09-01", "planned_end": "2028-01-31",
           "planned_hours": 400, "turns_18_on": "2025-09-01"}  # fmt: skip

# 2026-2027: the school's variant of the BPV lifecycle.
last_year = attrs.evolve(mbo_bpv(), name="roc_bpv", description="ROC BPV 2026-2027")


# 2027-2028: "searching" is called "looking" now, and a coach may pause a search.
def renamed(state: str) -> str:
    return "looking" if state == "searching" else state


this_year = attrs.evolve(
    last_year,
    description="ROC BPV 2027-2028",
    states=[renamed(s) for s in last_year.states],
    transitions=[
        *(
            attrs.evolve(t, sources=[renamed(s) for s in t.sources], dest=renamed(t.dest))
            for t in last_year.transitions
        ),
        Transition("pause_search", ["looking"], "orientation", ["coach"]),
    ],
    facts=[attrs.evolve(f, states=[renamed(s) for s in f.states]) for f in last_year.facts],
    phases={"looking": "searching"},  # the same meaning: the canonical phase "searching"
)

with tempfile.TemporaryDirectory() as tmp:
    db = Path(tmp) / "school.db"
    with Engine(db, lifecycles=[last_year]) as engine:
        sid = engine.open("roc_bpv", actor=office, data=details).stream_id
        engine.fire(sid, "begin_search", actor=student)

    # A new school year: the engine runs this year's file. The running stream keeps
    # last year's version (and its commands) until it is migrated.
    with Engine(db, lifecycles=[this_year]) as engine:
        for version in engine.versions("roc_bpv"):
            status = "current" if version.current else f"pending: {version.running} running"
            print(f"{version.digest[:12]}… {status}")

        system = Actor("sis-2027", "system")
        try:
            engine.migrate(sid, actor=system, reason="school_year_2027")
        except Refused as refused:
            print("refused:", refused.findings[0].message)

        event = engine.migrate(
            sid, actor=system, reason="school_year_2027", mapping={"searching": "looking"}
        )
        print(f"{event.type}: {event.from_state} -> {event.to_state}", dict(event.data["mapping"]))
        engine.fire(sid, "pause_search", actor=Actor("coach-1", "coach"))
        print("now:", engine.stream(sid).state, "| audit intact:", engine.verify().ok)
