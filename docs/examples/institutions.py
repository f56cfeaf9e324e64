"""A school group: two institutions on one database, each engine bound to its own."""

import tempfile
from pathlib import Path

from stageborging import Actor, Engine, StreamNotFound

office = Actor("po-1", "placement_office")
details = {"student": "stu-1", "programme": "ict", "planned_start": "2027-09-01",
           "planned_end": "2028-01-31", "planned_hours": 640,
           "turns_18_on": "2026-03-01"}  # fmt: skip

with tempfile.TemporaryDirectory() as tmp:
    db = Path(tmp) / "group.db"
    with (
        Engine(db, institution="roc-noord") as noord,
        Engine(db, institution="roc-zuid") as zuid,
        Engine(db) as group,  # unbound: the group's own reports
    ):
        sid = noord.open("hbo_stage", actor=office, data=details).stream_id
        zuid.open("hbo_stage", actor=office, data={**details, "student": "stu-2"})
        zuid.open("hbo_stage", actor=office, data={**details, "student": "stu-3"})

        print("noord's stream belongs to", noord.stream(sid).institution)
        try:
            zuid.stream(sid)
        except StreamNotFound:
            print("zuid cannot see it: no stream with this id")
        print(
            "noord sees",
            len(noord.streams().streams),
            "stream(s); zuid",
            len(zuid.streams().streams),
        )
        print("zuid's feed:", len(zuid.events_since(0)), "event(s)")
        counts = {i: group.statistics(institution=i).events for i in ("roc-noord", "roc-zuid")}
        print("the group, per institution:", counts)
