"""Optimistic concurrency: act on what the user saw, or not at all."""

import tempfile
from pathlib import Path

from stageborging import Actor, ConcurrencyConflict, Engine

details = {
    "student": "stu-4711",
    "programme": "ict",
    "planned_start": "2027-02-01",
    "planned_end": "2027-06-30",
    "planned_hours": 640,
    "turns_18_on": "2025-09-01",
}
student, coach = Actor("stu-4711", "student"), Actor("coach-3", "coach")

with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "school.db") as engine:
    sid = engine.open("hbo_stage", actor=coach, data=details).stream_id
    engine.fire(sid, "begin_search", actor=student)

    # The coach's screen shows the internship at this version ...
    seen = engine.stream(sid)
    # ... meanwhile the student records an application (a new event, a new version).
    engine.record(
        sid, "application_sent", actor=student, data={"application": "a1", "employer": "lb-5"}
    )

    try:  # the coach decided on a stale picture: nothing is written
        engine.fire(sid, "request_assistance", actor=coach, expected_version=seen.version)
    except ConcurrencyConflict as conflict:
        print(f"conflict: expected {conflict.expected_version}, at {conflict.actual_version}")
    print(f"state {engine.stream(sid).state}, version {engine.stream(sid).version}")

    # Show the coach the new picture; they decide again, on the current version.
    current = engine.stream(sid)
    engine.fire(sid, "request_assistance", actor=coach, expected_version=current.version)
    print(f"state {engine.stream(sid).state}, version {engine.stream(sid).version}")
