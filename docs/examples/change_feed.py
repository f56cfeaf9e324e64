"""A SIS mirrors every internship's state from the change feed, resuming where it stopped."""

import json
import tempfile
from pathlib import Path

from stageborging import Actor, Engine

office, student = Actor("po-1", "placement_office"), Actor("stu-1", "student")
details = {"programme": "ict", "planned_start": "2027-09-01", "planned_end": "2028-01-31",
           "planned_hours": 640, "turns_18_on": "2026-03-01"}  # fmt: skip


def catch_up(engine: Engine, mirror: dict[str, str], position: int) -> int:
    """Apply every event after *position* to *mirror*; the last position handled."""
    while page := engine.events_since(position, limit=100):
        for entry in page:
            mirror[entry.event.stream_id] = entry.event.to_state
            position = entry.position
    return position


with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "school.db") as engine:
    saved = Path(tmp) / "feed-position.json"  # where the SIS keeps its place
    mirror: dict[str, str] = {}
    for n in (1, 2, 3):
        engine.open("hbo_stage", actor=office, data={**details, "student": f"stu-{n}"},
                    stream_id=f"stu-{n}")  # fmt: skip
    engine.fire("stu-1", "begin_search", actor=student)
    saved.write_text(json.dumps(catch_up(engine, mirror, 0)))
    print("after the first sync:", mirror)

    # ... the SIS stops; meanwhile the school goes on ...
    engine.fire("stu-2", "begin_search", actor=student)
    engine.fire("stu-2", "request_assistance", actor=student)

    # ... and resumes after the last position it handled: nothing is missed or repeated
    saved.write_text(json.dumps(catch_up(engine, mirror, json.loads(saved.read_text()))))
    print("after resuming:", mirror)
    assert mirror == {sid: engine.stream(sid).state for sid in mirror}
