"""Notifications after a transition (stageborging_after_transition), queued in the outbox."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from stageborging import Actor, Engine, Notification, Refused, hookimpl


class RocNotices:
    """Tell the coach when an internship is terminated, the placement office when suspended."""

    name = "roc-notices"

    @hookimpl
    def stageborging_after_transition(self, event):
        reason = {"reason": event.data["reason"]} if "reason" in event.data else {}
        if event.to_state == "terminated":
            return [Notification("email", "coach", "internship.terminated", reason)]
        if event.to_state == "suspended":
            return [Notification("email", "placement_office", "internship.suspended", reason)]
        return None


class BrokenNotices:
    """A notification plugin whose template service is down: it raises every time."""

    name = "roc-broken-notices"

    @hookimpl
    def stageborging_after_transition(self, event):
        raise ConnectionError("template service unavailable")


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
    plugins = [RocNotices(), BrokenNotices()]
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(
            Path(tmp) / "school.db",
            plugins=plugins,
            clock=lambda: datetime(2027, 2, 1, 9, tzinfo=UTC),  # the planned start
        ) as engine,
    ):
        sid = engine.open("hbo_stage", actor=office, data=details, stream_id="int-0001").stream_id
        to_active(engine, sid)
        print(f"after the start: {len(engine.notifications(sid))} notifications")

        engine.fire(sid, "suspend", actor=coach, data={"reason": "illness"})
        try:  # a student may not terminate: refused, and nothing is queued
            engine.fire(sid, "terminate", actor=student, data={"reason": "mismatch"})
        except Refused as refused:
            codes = ", ".join(f.code for f in refused.findings)
            print(f"refused (seq {refused.event.seq}): {codes}")
        engine.fire(sid, "terminate", actor=coach, data={"reason": "employer_closed"})
        # a closed employer is no fault of the student: the system seeks a replacement at once
        print(f"state: {engine.stream(sid).state}")

        for entry in engine.notifications(sid):
            note = entry.notification
            print(
                f"{entry.key}: {note.channel} to {note.recipient_role}, {note.template}"
                f" {dict(note.params)}"
            )


if __name__ == "__main__":
    main()
