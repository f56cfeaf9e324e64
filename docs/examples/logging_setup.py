"""Render stageborging's log lines in a host application (one JSON line per command)."""

import contextlib
import logging
import sys
import tempfile
from pathlib import Path

import structlog

from stageborging import Actor, Engine, InvalidInput, Refused

details = {
    "student": "stu-4711",
    "programme": "ict",
    "planned_start": "2027-02-01",
    "planned_end": "2027-06-30",
    "planned_hours": 640,
    "turns_18_on": "2025-09-01",
}
office = Actor("po-17", "placement_office")

with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "school.db") as engine:
    # Nothing is configured yet: the library is silent.
    sid = engine.open("hbo_stage", actor=office, data=details).stream_id

    # The host decides: here JSON lines on stdout, fields from the records' extra.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(sort_keys=True),
            ],
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.stdlib.ExtraAdder(),
            ],
        )
    )
    logger = logging.getLogger("stageborging")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    engine.fire(sid, "begin_search", actor=office)  # outcome "ok"
    with contextlib.suppress(Refused):  # outcome "refused": students may not withdraw
        engine.fire(sid, "withdraw", actor=Actor("stu-4711", "student"))
    with contextlib.suppress(InvalidInput):  # outcome "invalid", naming the field
        engine.fire(sid, "suspend", actor=office)  # not allowed from searching
