"""A plugin with settings (stageborging_configure): the host passes them to the engine."""

import tempfile
from pathlib import Path

from stageborging import Actor, Engine, Finding, PluginError, hookimpl


class MinimumApplications:
    """Warn when a student asks for assisted search after fewer applications than set."""

    name = "roc-minimum-applications"

    def __init__(self) -> None:
        self.minimum = 4  # the default when the host sets nothing

    @hookimpl
    def stageborging_configure(self, config):
        settings = config.get(self.name, {})
        minimum = settings.get("minimum", self.minimum)
        if not isinstance(minimum, int) or minimum < 0:
            raise ValueError(f"minimum must be a whole number, not {minimum!r}")
        self.minimum = minimum

    @hookimpl
    def stageborging_check_transition(self, stream, transition):
        if transition.trigger != "request_assistance":
            return None
        sent = len(stream.facts.get("applications", {}))
        if sent >= self.minimum:
            return None
        return [
            Finding(
                "roc.few_applications",
                "warn",
                f"Only {sent} applications before asking for assisted search.",
                f"Pas {sent} sollicitaties voor de vraag om begeleid zoeken.",
            )
        ]


def main() -> None:
    office, student = Actor("po-1", "placement_office"), Actor("stu-1", "student")
    details = {"student": "stu-1", "programme": "ict", "planned_start": "2027-02-01",
               "planned_end": "2027-06-30", "planned_hours": 640}  # fmt: skip
    config = {"roc-minimum-applications": {"minimum": 2}}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "school.db"
        with Engine(db, plugins=[MinimumApplications()], config=config) as engine:
            sid = engine.open("hbo_stage", actor=office, data=details).stream_id
            engine.fire(sid, "begin_search", actor=student)
            engine.record(
                sid, "application_sent", actor=student,
                data={"application": "a-1", "employer": "lb-1"},
            )  # fmt: skip
            event = engine.fire(sid, "request_assistance", actor=student)
            print(event.to_state, [f.code for f in event.findings])
        try:
            Engine(db, plugins=[MinimumApplications()], config={"roc-minimum-applications": {
                "minimum": "four"}})  # fmt: skip
        except PluginError as error:
            print(f"refused to start: {error}")


if __name__ == "__main__":
    main()
