"""Who holds a role for a stream (stageborging_recipients): coaches by programme."""

import tempfile
from pathlib import Path

from stageborging import Actor, Engine, hookimpl


class CoachesByProgramme:
    """Resolves ``coach`` from an extract of the SIS: the coaches of each programme."""

    name = "roc-sis-coaches"

    def __init__(self, coaches: dict[str, list[str]]) -> None:
        self.coaches = coaches

    @hookimpl
    def stageborging_recipients(self, role, stream):
        if role != "coach":
            return None  # not a role this plugin knows: the next plugin is asked
        return self.coaches.get(stream.facts["details"]["programme"])


office = Actor("po-17", "placement_office")
details = {"student": "stu-4711", "programme": "ict", "planned_start": "2027-02-01",
           "planned_end": "2027-06-30", "planned_hours": 640}  # fmt: skip
coaches = CoachesByProgramme({"ict": ["coach-3", "coach-8"], "zorg": ["coach-5"]})


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(Path(tmp) / "school.db", plugins=[coaches]) as engine,
    ):
        engine.open("hbo_stage", actor=office, data=details, stream_id="int-0001")
        print(f"int-0001 coach: {engine.recipients('coach', 'int-0001')}")
        print(f"int-0001 team_lead: {engine.recipients('team_lead', 'int-0001')}")
        # A programme the extract does not list: no plugin knows, so no one.
        engine.open("hbo_stage", actor=office, data={**details, "programme": "bouw"},
                    stream_id="int-0002")  # fmt: skip
        print(f"int-0002 coach: {engine.recipients('coach', 'int-0002')}")


if __name__ == "__main__":
    main()
