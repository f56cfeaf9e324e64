"""Idempotent commands: a SIS message delivered twice is applied once."""

import tempfile
from pathlib import Path

from stageborging import Actor, Engine, InvalidInput

office, student = Actor("po-1", "placement_office"), Actor("stu-4711", "student")
details = {"student": "stu-4711", "programme": "ict", "planned_start": "2027-09-01",
           "planned_end": "2028-01-31", "planned_hours": 640,
           "turns_18_on": "2026-03-01"}  # fmt: skip

with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "school.db") as engine:
    # The SIS's message id is the command id. Opening under it derives the stream id,
    # so a retried open finds the stream its first attempt opened.
    opened = engine.open("hbo_stage", actor=office, data=details, command_id="sis-msg-1001")
    retried = engine.open("hbo_stage", actor=office, data=details, command_id="sis-msg-1001")
    print(
        "same stream:",
        retried.stream_id == opened.stream_id,
        "| events:",
        len(engine.history(opened.stream_id)),
    )

    sid = opened.stream_id
    first = engine.fire(sid, "begin_search", actor=student, command_id="sis-msg-1002")
    # The reply was lost; the SIS sends the message again: the first event comes back.
    again = engine.fire(sid, "begin_search", actor=student, command_id="sis-msg-1002")
    print("same event:", again == first, "| seq", again.seq, "| command", again.command_id)

    try:  # a different command under a used id is a bug in the caller
        engine.fire(sid, "request_assistance", actor=student, command_id="sis-msg-1002")
    except InvalidInput as error:
        print(f"{error.field}: {error.problem}")
    print("events on the stream:", len(engine.history(sid)))
