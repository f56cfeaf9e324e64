"""A small SIS integration: take over the running year, enrol new students, retry safely,
handle every error, and mirror each internship's state from the change feed while two
writers work at once."""

import tempfile
import threading
from pathlib import Path

from stageborging import (
    Actor,
    ConcurrencyConflict,
    Engine,
    InvalidInput,
    InvalidTransition,
    Refused,
)

SIS, OFFICE = Actor("sis-sync", "system"), Actor("po-1", "placement_office")
STUDENT, COACH = Actor("stu-1", "student"), Actor("coach-7", "coach")


def details(student: str, start: str) -> dict[str, object]:
    """What the SIS sends to open an internship: pseudonymous ids and codes only."""
    return {"student": student, "programme": "zorg", "qualification": "25498", "level": 3,
            "track": "BOL", "planned_start": start, "planned_end": "2028-06-30",
            "planned_hours": 800, "turns_18_on": "2005-01-01"}  # fmt: skip


#: The running year, as the earlier system exports it (mid-year onboarding).
RUNNING = [
    ("stu-101", "active", {"source": "eduarte", "employer": "lb-1", "recognition_source": "sbb",
                           "recognition_checked_on": "2025-08-15", "agreement_version": 1,
                           "hours_per_week": 32, "signatures": ["student", "school", "employer"],
                           "agreement_confirmed_on": "2025-08-20", "hours": 240}),
    ("stu-102", "active", {"source": "eduarte", "employer": "lb-1", "recognition_source": "sbb",
                           "recognition_checked_on": "2025-08-15", "agreement_version": 1,
                           "hours_per_week": 32, "signatures": ["student", "school"],
                           "agreement_confirmed_on": "2025-08-20"}),  # the employer never signed
    ("stu-103", "searching", {"source": "eduarte"}),
]  # fmt: skip


class Mirror:
    """The SIS's own copy of every internship's state, kept from the change feed."""

    def __init__(self) -> None:
        self.position = 0  # keep it durably, with what you did with the events
        self.states: dict[str, str] = {}

    def catch_up(self, engine: Engine) -> None:
        while True:
            page = engine.events_since(self.position, limit=50)
            for entry in page:
                self.states[entry.event.stream_id] = entry.event.to_state
                self.position = entry.position
            if len(page) < 50:
                return  # caught up for now


def send(engine: Engine, what: str, command, *args, **kwargs):  # type: ignore[no-untyped-def]
    """One command as the SIS sends it: safe to retry (it carries a command_id), and every
    error a SIS must handle is handled."""
    for _ in range(3):
        try:
            return command(*args, **kwargs)
        except ConcurrencyConflict:
            continue  # another writer moved the stream: decide again (here: retry)
        except InvalidTransition as error:  # the stream is not where the SIS thought
            print(f"{what}: not allowed in {error.state}")
            return None
        except Refused as refusal:  # a rule said no; the refusal is in the log
            print(f"{what}: refused ({', '.join(f.code for f in refusal.findings)})")
            return None
        except InvalidInput as error:  # a bug in what we sent: the field is named
            print(f"{what}: invalid ({error.field})")
            return None
    return None


with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "school.db") as engine:
    ids: dict[str, str] = {}
    for student, state, evidence in RUNNING:  # 1. take over the running year
        event = send(engine, f"import {student}", engine.import_stream, "mbo_bpv", state=state,
                     actor=SIS, data=details(student, "2025-09-01"), evidence=evidence,
                     command_id=f"import-{student}")  # fmt: skip
        if event is not None:
            ids[student] = event.stream_id
    for n in (201, 202):  # 2. enrol new students; the nightly job may run twice
        for _ in range(2):
            event = send(engine, f"open stu-{n}", engine.open, "mbo_bpv", actor=OFFICE,
                         data=details(f"stu-{n}", "2027-09-01"),
                         command_id=f"enrol-stu-{n}")  # fmt: skip
        ids[f"stu-{n}"] = event.stream_id
    send(engine, "stu-201 starts", engine.fire, ids["stu-201"], "start", actor=COACH)

    mirror = Mirror()  # 3. mirror the feed while a coach and a SIS job write at once

    def coach() -> None:
        for _ in range(5):
            engine.record(ids["stu-101"], "hours", actor=COACH, data={"hours": 8})
        engine.fire(ids["stu-101"], "suspend", actor=COACH, data={"reason": "illness"})

    def sis_job() -> None:
        for n in (201, 202):
            send(engine, f"stu-{n} searches", engine.fire, ids[f"stu-{n}"], "begin_search",
                 actor=STUDENT, command_id=f"search-stu-{n}")  # fmt: skip

    writers = [threading.Thread(target=coach), threading.Thread(target=sis_job)]
    for writer in writers:
        writer.start()
    while any(writer.is_alive() for writer in writers):
        mirror.catch_up(engine)
    mirror.catch_up(engine)

    print("imported:", sorted(s for s in ids if s.startswith("stu-1")))
    print("events written:", engine.statistics().events)
    print("mirror:", {student: mirror.states[sid] for student, sid in sorted(ids.items())})
    print("mirror equals the engine:",
          all(engine.stream(sid).state == mirror.states[sid] for sid in ids.values()))  # fmt: skip
    print("audit log intact:", engine.verify().ok)
