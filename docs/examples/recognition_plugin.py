"""A recognition verifier (stageborging_verify_recognition) over a register file."""

import csv
import tempfile
from datetime import date
from pathlib import Path

from stageborging import Actor, Engine, Refused, hookimpl

# An extract of the SBB register: employer id, crebo, recognised from, until (empty: open).
REGISTER = """\
employer,crebo,valid_from,valid_until
lb-100,25604,2020-01-01,
lb-200,25180,2019-08-01,
lb-300,25604,2018-01-01,2025-12-31
"""


class RegisterFile:
    """Answers for the employers in the file; says ``None`` (don't know) for the rest."""

    name = "roc-sbb-register"

    def __init__(self, path: Path) -> None:
        self.rows: dict[str, list[dict[str, str]]] = {}
        with path.open(newline="") as file:
            for row in csv.DictReader(file):
                self.rows.setdefault(row["employer"], []).append(row)

    @hookimpl
    def stageborging_verify_recognition(self, employer, qualification, on):
        rows = self.rows.get(employer)
        if rows is None:
            return None  # not in this register: the next verifier is asked
        return any(
            row["crebo"] == qualification
            and date.fromisoformat(row["valid_from"]) <= on
            and (not row["valid_until"] or on <= date.fromisoformat(row["valid_until"]))
            for row in rows
        )


office = Actor("po-17", "placement_office")
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

with tempfile.TemporaryDirectory() as tmp:
    register = Path(tmp) / "register.csv"
    register.write_text(REGISTER)
    with Engine(Path(tmp) / "school.db", plugins=[RegisterFile(register)]) as engine:
        for employer in ["lb-100", "lb-200", "lb-300", "lb-999"]:
            sid = engine.open("mbo_bpv", actor=office, data=details).stream_id
            engine.fire(sid, "begin_search", actor=student)
            engine.fire(sid, "propose_placement", actor=student, data={"employer": employer})
            try:
                event = engine.fire(sid, "verify_employer", actor=office)
                names = ", ".join(p.name for p in event.plugins)
                print(f"{employer}: {event.to_state} (plugins: {names})")
            except Refused as refused:
                print(f"{employer}: refused: {', '.join(f.code for f in refused.findings)}")
