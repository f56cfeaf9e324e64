"""A check plugin (stageborging_check_transition), and how a failing check fails closed."""

import tempfile
from pathlib import Path

from stageborging import Actor, Engine, Finding, Refused, hookimpl


class EmployerFlags:
    """Block or warn when a placement is proposed at an employer a person has flagged.

    The flags come from the institution's own list, kept by people after founded
    discrimination reports: ``watch`` warns, ``review_before_new_placement`` blocks.
    """

    name = "roc-employer-flags"  # recorded in the findings and events it influences

    def __init__(self, flags: dict[str, str]) -> None:
        self.flags = flags

    @hookimpl
    def stageborging_check_transition(self, transition, data):
        # Only the arguments it names are passed: here transition and data.
        if transition.trigger != "propose_placement":
            return None
        employer = data["employer"]
        flag = self.flags.get(employer)
        if flag == "review_before_new_placement":
            return [
                Finding(
                    "roc.employer_review",
                    "block",
                    f"Employer {employer} must be reviewed before a new placement.",
                    f"Leerbedrijf {employer} moet eerst worden beoordeeld.",
                    params={"employer": employer},
                )
            ]
        if flag == "watch":
            return [Finding("roc.employer_watch", "warn", f"Employer {employer} is watched.")]
        return None


class BrokenCheck:
    """A check whose data source is down: it raises on every call."""

    name = "roc-broken-check"

    @hookimpl
    def stageborging_check_transition(self, transition):
        raise ConnectionError("register unavailable")


student = Actor("stu-4711", "student")
details = {
    "student": "stu-4711",
    "programme": "ict-25604",
    "qualification": "25604",
    "level": 4,
    "track": "BOL",
    "planned_start": "2027-02-01",
    "planned_end": "2027-06-30",
    "planned_hours": 640,
    "turns_18_on": "2025-09-01",
}
flags = EmployerFlags({"lb-7": "watch", "lb-9": "review_before_new_placement"})

with tempfile.TemporaryDirectory() as tmp:
    with Engine(Path(tmp) / "a.db", plugins=[flags]) as engine:
        sid = engine.open("mbo_bpv", actor=Actor("coach-3", "coach"), data=details).stream_id
        engine.fire(sid, "begin_search", actor=student)
        try:
            engine.fire(sid, "propose_placement", actor=student, data={"employer": "lb-9"})
        except Refused as refused:
            for f in refused.findings:
                print(f"refused: {f.code} ({f.severity}) from {f.source}: {f.message}")
        event = engine.fire(sid, "propose_placement", actor=student, data={"employer": "lb-7"})
        for f in event.findings:
            print(f"moved on with: {f.code} ({f.severity}) from {f.source}: {f.message}")
        print(f"plugins on the event: {', '.join(p.name for p in event.plugins)}")

    with Engine(Path(tmp) / "b.db", plugins=[BrokenCheck()]) as engine:
        sid = engine.open("mbo_bpv", actor=Actor("coach-3", "coach"), data=details).stream_id
        decision = engine.check(sid, "begin_search", actor=student)  # dry run
        for f in decision.findings:
            print(f"fail closed: allowed={decision.allowed}: {f.code} from {f.source}: {f.message}")
