"""``stageborging audit show``: one stream's timeline for an auditor, on both backends:
the refusal's reasons in the reader's language, a sealed note named but never shown, a
guidance gap, the deadlines, the employer's flags."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from stageborging import Actor, Engine, Refused
from stageborging.cli import main
from stageborging.privacy import MasterKey
from stageborging.testing import FakeClock
from support import COACH, PLACEMENT_OFFICE, Recognises, journey

NOTE = "Ziek, twee weken thuis; de moeder belde."


def story(db: str) -> str:
    clock = FakeClock()
    with Engine(db, clock=clock, master_key=MasterKey.generate(),
                plugins=[Recognises()]) as engine:  # fmt: skip
        walk = journey(engine, clock)
        sid = walk.open()
        walk.to_agreement_pending(sid, employer="emp-7")
        with contextlib.suppress(Refused):  # before the signatures: refused, recorded
            engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
        engine.raise_flag("emp-7", "watch", actor=Actor("po-2", "placement_office"),
                          reason="discrimination", basis="school_observation",
                          review_on="2027-06-01", expires_on="2028-01-10")  # fmt: skip
        walk.sign(sid)
        walk.confirm(sid)
        walk.start(sid)
        engine.fire(sid, "suspend", actor=COACH, data={"reason": "illness", "note": NOTE})
        return sid


def reported(db: str, sid: str) -> str:
    """A case reported about the internship *sid*, acknowledged and taken in."""
    clock = FakeClock()
    with Engine(db, clock=clock, master_key=MasterKey.generate(),
                plugins=[Recognises()]) as engine:  # fmt: skip
        return journey(engine, clock).report("emp-7", consent=False, internship=sid)


def tampered(db: str, statement: str, *params: object) -> None:
    """Run *statement* on the SQLite file *db* past its append-only trigger."""
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER IF EXISTS events_no_update")
    conn.execute(statement, params)
    conn.commit()
    conn.close()


def test_a_timeline_shows_why_and_names_what_is_sealed(backend: str) -> None:
    sid = story(backend)
    runner = CliRunner()
    english = runner.invoke(main, ["audit", "show", "--db", backend, sid])
    assert english.exit_code == 0, english.output
    assert "refused confirm_signatures" in english.stdout
    assert "[block] signatures.missing: Signatures missing on agreement version 1" in english.stdout
    assert "sealed: note" in english.stdout
    assert NOTE not in english.stdout
    assert "flags: watch" in english.stdout
    dutch = runner.invoke(main, ["audit", "show", "--db", backend, sid, "--lang", "nl"])
    assert "Handtekeningen ontbreken" in dutch.stdout
    assert "versleuteld: note" in dutch.stdout
    data = json.loads(runner.invoke(main, ["audit", "show", "--db", backend, sid,
                                           "--format", "json"]).stdout)  # fmt: skip
    assert data["stream"]["state"] == "suspended"
    refused = [e for e in data["events"] if e["what"] == "refused confirm_signatures"]
    assert refused[0]["findings"][0]["code"] == "signatures.missing"
    assert data["employer"]["flags"][0]["flag"] == "watch"
    assert NOTE not in json.dumps(data)


def test_a_timeline_names_its_links_deadlines_and_labels(backend: str) -> None:
    """An internship names the cases reported about it, a case its internship and its
    deadlines; in Dutch the states, roles and event types have their Dutch labels, and
    the JSON keeps the codes beside them, with each finding's source and params."""
    sid = story(backend)
    case = reported(backend, sid)
    runner = CliRunner()
    internship = runner.invoke(main, ["audit", "show", "--db", backend, sid])
    assert f"Linked cases: {case} (registered_only)" in internship.stdout
    report = runner.invoke(main, ["audit", "show", "--db", backend, case])
    assert f"Internship: {sid}" in report.stdout
    assert "case_acknowledgement" in report.stdout.split("Deadlines (UTC):")[1]
    dutch = runner.invoke(main, ["audit", "show", "--db", backend, sid, "--lang", "nl"])
    assert "stagebegeleider:coach-1" in dutch.stdout
    assert "overgang suspend" in dutch.stdout
    assert "lopend -> opgeschort" in dutch.stdout
    data = json.loads(runner.invoke(main, ["audit", "show", "--db", backend, sid, "--format",
                                           "json", "--lang", "nl"]).stdout)  # fmt: skip
    suspend = data["events"][-1]
    assert (suspend["type"], suspend["role"], suspend["to"]) == ("transitioned", "coach",
                                                                "suspended")  # fmt: skip
    assert suspend["labels"]["to"] == "opgeschort"
    refused = next(e for e in data["events"] if e["type"] == "refused")
    assert refused["findings"][0]["source"] == "stageborging"
    assert "missing" in refused["findings"][0]["params"]
    assert data["verified"] is True
    assert data["cases"] == [{"case": case, "state": "registered_only", "outcome": None}]
    employer = runner.invoke(main, ["audit", "show", "--db", backend, "employer:emp-7"])
    assert "Employer: emp-7 (operating); flags: watch" in employer.stdout
    assert f"Linked cases: {case} (registered_only)" in employer.stdout
    assert f"Internships at this employer: {sid} (suspended)" in employer.stdout


def test_a_stream_that_does_not_verify_is_shown_under_a_warning(tmp_path: Path) -> None:
    db = str(tmp_path / "school.db")
    sid = story(db)
    tampered(db, "UPDATE events SET to_state = 'completed' WHERE stream_id = ? AND seq = 3", sid)
    runner = CliRunner()
    shown = runner.invoke(main, ["audit", "show", "--db", db, sid])
    assert shown.exit_code == 1  # shown, and said to be broken, as audit verify says it
    assert shown.stdout.startswith("WARNING: this stream does not verify")  # kept if saved
    assert shown.stderr.startswith("WARNING: this stream does not verify (seq 3: column "
                                   "to_state disagrees with the hashed header)")  # fmt: skip
    data = json.loads(runner.invoke(main, ["audit", "show", "--db", db, sid, "--format",
                                           "json"]).stdout)  # fmt: skip
    assert data["verified"] is False
    assert data["problem"].startswith("seq 3: ")


def test_an_unknown_stream_is_one_line(tmp_path: object) -> None:
    db = str(tmp_path) + "/school.db"  # type: ignore[operator]
    story(db)
    result = CliRunner().invoke(main, ["audit", "show", "--db", db, "no-such-stream"])
    assert result.exit_code == 2
    assert "no-such-stream" in result.output
    assert "Traceback" not in result.output
