"""Notifications after a recorded fact (stageborging_after_record): an unsafe midterm review."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from stageborging import Actor, Engine, Notification, hookimpl


class SafetyAlert:
    """Alert the confidential advisor when a midterm review finds the workplace unsafe."""

    name = "roc-safety-alert"

    @hookimpl
    def stageborging_after_record(self, event):
        if event.name == "midterm_review" and event.data["social_safety"] == "unsafe":
            return [Notification("email", "confidential_advisor", "midterm.unsafe")]
        return None


office, coach = Actor("po-17", "placement_office"), Actor("coach-3", "coach")
student, employer = Actor("stu-4711", "student"), Actor("emp-signatory-9", "employer")
details = {"student": "stu-4711", "programme": "ict", "planned_start": "2027-02-01",
           "planned_end": "2027-06-30", "planned_hours": 640}  # fmt: skip
AGREEMENT = ["parties", "assignment", "dates", "hours", "allowance", "workplace_supervisor",
             "assessment", "termination_conditions"]  # fmt: skip


def to_active(engine: Engine, sid: str) -> None:
    """An hbo_stage internship from orientation to active (the clock is on its start date)."""
    engine.fire(sid, "begin_search", actor=student)
    engine.fire(sid, "propose_placement", actor=student, data={"employer": "lb-42"})
    engine.record(sid, "assignment_decision", actor=coach, data={"outcome": "approved"})
    engine.fire(sid, "verify_employer", actor=office)
    engine.fire(
        sid, "draft_agreement", actor=office,
        data={"document": "pok-118", "fields_present": AGREEMENT, "hours_per_week": 32},
    )  # fmt: skip
    for actor, party in [(student, "student"), (employer, "employer"), (office, "school")]:
        engine.record(sid, "signature", actor=actor, data={"party": party, "agreement_version": 1})
    engine.fire(sid, "confirm_signatures", actor=office)
    engine.fire(sid, "start", actor=coach)


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(
            Path(tmp) / "school.db",
            plugins=[SafetyAlert()],
            clock=lambda: datetime(2027, 2, 1, 9, tzinfo=UTC),  # the planned start
        ) as engine,
    ):
        for sid, safety in [("int-0001", "safe"), ("int-0002", "concerns"), ("int-0003", "unsafe")]:
            engine.open("hbo_stage", actor=office, data=details, stream_id=sid)
            to_active(engine, sid)
            engine.record(sid, "midterm_review", actor=coach, data={"social_safety": safety})
            print(f"{sid} ({safety}): queued {len(engine.notifications(sid))}")

        for entry in engine.notifications():  # every stream's pending notifications
            note = entry.notification
            print(f"{entry.key}: {note.channel} to {note.recipient_role}, {note.template}")


if __name__ == "__main__":
    main()
