"""A SIS sync at the start of a year: many commands in one transaction."""

import tempfile
from pathlib import Path

from stageborging import Actor, Engine

office, sis = Actor("po-1", "placement_office"), Actor("sis-sync", "system")
rows = [  # what the student information system exports (pseudonymous ids only)
    {"student": f"stu-{n}", "programme": "ict", "planned_start": "2027-09-01",
     "planned_end": "2028-01-31", "planned_hours": 640, "turns_18_on": "2026-03-01"}
    for n in range(1, 4)
]  # fmt: skip

with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "school.db") as engine:
    with engine.batch() as batch:
        for row in rows:
            sid = batch.open("hbo_stage", actor=office, data=row, stream_id=row["student"])
            batch.fire(sid, "begin_search", actor=office)
        batch.fire("stu-2", "request_assistance", actor=sis)  # fine: searching by now
        batch.fire("stu-9", "begin_search", actor=office)  # no such stream: its own error
        batch.fire("stu-3", "start", actor=office)  # not from searching: its own error

    for result in batch.results:
        outcome = "ok" if result.ok else type(result.error).__name__
        print(f"{result.index}: {result.command} on {result.stream_id}: {outcome}")
    print({sid: engine.stream(sid).state for sid in ("stu-1", "stu-2", "stu-3")})
