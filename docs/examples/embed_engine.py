"""A first program: embed the engine, take one internship to its start, read its log."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from stageborging import Actor, Engine, Refused, hookimpl


class Clock:
    """A clock we can set. A real host passes no clock and gets the wall clock."""

    def __init__(self, day: str) -> None:
        self.set(day)

    def set(self, day: str) -> None:
        self.now = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class EveryEmployerRecognised:
    """Stands in for an SBB register (see the recognition hook); never use it for real."""

    name = "example-register"

    @hookimpl
    def stageborging_verify_recognition(self, employer, qualification, on):
        return True


# Actors are pseudonymous ids from the SIS, each with one role.
office = Actor("po-17", "placement_office")
student = Actor("stu-4711", "student")
employer = Actor("emp-signatory-9", "employer")
coach = Actor("coach-3", "coach")

AGREEMENT = [
    "parties", "qualification", "level", "track", "dates", "hours", "allowance",
    "workplace_supervisor", "work_processes", "assessment", "termination_conditions",
]  # fmt: skip


def main() -> None:
    clock = Clock("2027-01-11")
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(Path(tmp) / "school.db", plugins=[EveryEmployerRecognised()], clock=clock) as engine,
    ):
        opened = engine.open(
            "mbo_bpv",
            actor=office,
            data={
                "student": "stu-4711",  # the SIS's pseudonymous id, never a name
                "programme": "ict-25604",
                "qualification": "25604",  # crebo
                "level": 4,
                "track": "BOL",
                "planned_start": "2027-02-01",
                "planned_end": "2027-06-30",
                "planned_hours": 640,
                "turns_18_on": "2025-09-01",  # required for MBO: a date in the past is an adult
            },
        )
        sid = opened.stream_id
        engine.fire(sid, "begin_search", actor=student)
        engine.record(
            sid, "application_sent", actor=student, data={"application": "a1", "employer": "lb-42"}
        )
        engine.fire(sid, "propose_placement", actor=student, data={"employer": "lb-42"})
        engine.fire(sid, "verify_employer", actor=office)
        engine.fire(
            sid,
            "draft_agreement",
            actor=office,
            data={"document": "pok-2027-118", "fields_present": AGREEMENT, "hours_per_week": 32},
        )
        for actor, party in [(student, "student"), (office, "school")]:
            engine.record(
                sid, "signature", actor=actor, data={"party": party, "agreement_version": 1}
            )

        try:  # the employer has not signed yet: refused, and the refusal is recorded
            engine.fire(sid, "confirm_signatures", actor=office)
        except Refused as refused:
            for finding in refused.findings:
                print(f"refused: {finding.code}: {finding.message}")

        engine.record(
            sid, "signature", actor=employer, data={"party": "employer", "agreement_version": 1}
        )
        engine.fire(sid, "confirm_signatures", actor=office)

        decision = engine.check(sid, "start", actor=coach)  # a dry run writes nothing
        codes = ", ".join(f.code for f in decision.blocking)
        print(f"start allowed today: {decision.allowed} ({codes})")

        clock.set("2027-02-01")
        engine.fire(sid, "start", actor=coach)

        stream = engine.stream(sid)
        print(f"state: {stream.state}, version {stream.version}")
        for event in engine.history(sid):
            print(f"{event.seq:>2} {event.type:<12} {event.name:<18} -> {event.to_state}")
        print(f"audit log intact: {engine.verify().ok}")


if __name__ == "__main__":
    main()
