"""``stageborging report``, ``employer …`` and ``alerts`` on a real database file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from stageborging import Engine
from stageborging.cli import main
from stageborging.privacy import MasterKey
from support import ADVISOR, STUDENT, journey


@pytest.fixture
def school(tmp_path: Path) -> tuple[Path, Path]:
    """A database with a placement proposed at lb-1, and a master key file."""
    db, key = tmp_path / "school.db", tmp_path / "master.key"
    key.write_text(MasterKey.generate().to_base64())
    key.chmod(0o600)
    with Engine(db) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "lb-1"})
    return db, key


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


def test_a_report_seals_its_description_read_from_stdin(school: tuple[Path, Path]) -> None:
    db, key = school
    code, out = run("report", "--db", str(db), "--actor", "student:stu-2", "--phase", "search",
                    "--employer", "lb-1", "--ground", "origin", "--description-file", "-",
                    "--key-file", str(key), stdin="They said the place was filled.")  # fmt: skip
    assert code == 0, out
    case = out.split("case ")[1].strip()
    assert b"the place was filled" not in db.read_bytes()
    with Engine(db, master_key=MasterKey.from_file(key)) as engine:
        revealed = engine.reveal(case, actor=ADVISOR)
    assert {r.field: r.value for r in revealed}["description"] == "They said the place was filled."


def test_the_employer_commands_flag_revoke_and_show(school: tuple[Path, Path]) -> None:
    db, _ = school
    code, out = run("employer", "raise-flag", "--db", str(db), "lb-1", "watch", "--actor",
                    "team_lead:tl-1", "--reason", "guidance_failure", "--basis",
                    "school_observation", "--review-on", "2027-06-01", "--expires-on",
                    "2028-01-01")  # fmt: skip
    assert code == 0, out
    code, out = run("employer", "revoke-recognition", "--db", str(db), "lb-1", "25604", "--on",
                    "2026-01-10")  # fmt: skip
    assert code == 0, out
    code, out = run("employer", "show", "--db", str(db), "lb-1", "--format", "json")
    shown = json.loads(out)
    assert [f["flag"] for f in shown["flags"]] == ["watch"]
    assert shown["recognitions"] == {"25604": {"status": "revoked", "effective_on": "2026-01-10",
                                               "seq": 3}}  # fmt: skip
    code, out = run("employer", "show", "--db", str(db), "lb-1")
    assert "watch" in out
    assert "recognition 25604: revoked" in out
    code, out = run("streams", "--db", str(db), "--lifecycle", "mbo_bpv")
    assert "assisted_search" in out  # the cascade cancelled the placement, then helped


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["employer", "show", "lb-404"], "no stream with this id"),
        (["employer", "raise-flag", "lb-1", "block", "--actor", "placement_office:po",
          "--reason", "discrimination", "--basis", "school_observation", "--review-on",
          "2027-06-01", "--expires-on", "2028-01-01"], "flag.block_basis"),
        (["employer", "revoke-recognition", "lb-1", "25604", "--on", "tomorrow"],
         "give a date YYYY-MM-DD"),
        (["employer", "raise-flag", "lb-1", "watch", "--actor", "nobody", "--reason",
          "discrimination", "--basis", "school_observation", "--review-on", "2027-06-01",
          "--expires-on", "2028-01-01"], "give ROLE:ID"),
        (["report", "--actor", "student:stu-2", "--phase", "search", "--internship", "nope"],
         "internship"),
    ],
)  # fmt: skip
def test_bad_input_is_a_message_and_exit_2(
    school: tuple[Path, Path], args: list[str], needle: str
) -> None:
    db, _ = school
    with Engine(db) as engine:
        before = engine.statistics().events
    code, out = run(*args[:2] if args[0] == "employer" else args[:1], "--db", str(db),
                    *(args[2:] if args[0] == "employer" else args[1:]))  # fmt: skip
    assert code == 2, out
    assert needle in out
    assert "Traceback" not in out
    with Engine(db) as engine:  # a refusal is recorded, bad input writes nothing
        assert engine.statistics().events == before + (needle == "flag.block_basis")


def test_alerts_refresh_and_list(school: tuple[Path, Path]) -> None:
    db, _ = school
    with Engine(db) as engine:
        for employer, outcomes in (("lb-bad", ["rejected"] * 24 + ["invited"]),
                                   ("lb-ok", ["invited", "rejected"] * 20)):  # fmt: skip
            for n, outcome in enumerate(outcomes):
                sid = journey(engine).open(student=f"s-{employer}-{n}")
                engine.record(sid, "application_sent", actor=STUDENT,
                              data={"application": "a", "employer": employer})  # fmt: skip
                engine.record(sid, "application_outcome", actor=STUDENT,
                              data={"application": "a", "outcome": outcome})  # fmt: skip
    code, out = run("alerts", "--db", str(db))
    assert (code, out.strip()) == (0, "no open alerts")
    code, out = run("alerts", "--db", str(db), "--refresh")
    assert code == 0, out
    assert "1 new alert(s)" in out
    assert "lb-bad: alert" in out
    assert "invited 1 of 25" in out
    code, out = run("alerts", "--db", str(db), "--format", "json")
    (alert,) = json.loads(out)
    assert (alert["employer"], alert["status"], alert["applications"]) == ("lb-bad", "open", 25)
