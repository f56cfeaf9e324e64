"""Mid-year onboarding: internships already running, imported with their evidence."""

from __future__ import annotations

import json
import runpy
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stageborging import Engine, InvalidInput, Refused
from stageborging.audit import seal
from stageborging.cli import main
from stageborging.lifecycles import hbo_stage, import_needs, mbo_bpv
from stageborging.testing import FakeClock
from support import COACH, PLACEMENT_OFFICE, STUDENT, SYSTEM, mbo_details

#: The import runs on 1 March 2027; the internships started on 1 February.
TODAY = "2027-03-01"


@pytest.fixture
def clock() -> FakeClock:
    moment = FakeClock()
    moment.set(TODAY)
    return moment


def evidence(**overrides: Any) -> dict[str, Any]:
    """Everything the earlier system holds of an MBO BOL internship running since February."""
    found: dict[str, Any] = {
        "source": "eduarte",
        "employer": "lb-1",
        "recognition_source": "sbb",
        "recognition_checked_on": "2027-01-05",
        "agreement_version": 2,
        "hours_per_week": 32,
        "signatures": ["student", "school", "employer"],
        "agreement_confirmed_on": "2027-01-20",
        "hours": 120,
    }
    found.update(overrides)
    return {k: v for k, v in found.items() if v is not None}


def test_a_running_internship_is_imported_into_its_state_and_goes_on(engine: Engine) -> None:
    event = engine.import_stream("mbo_bpv", state="active", actor=SYSTEM, data=mbo_details(),
                                 evidence=evidence())  # fmt: skip
    sid = event.stream_id
    assert (event.type.value, event.name, event.from_state, event.to_state) == (
        "imported", "import", "orientation", "active",
    )  # fmt: skip
    stream = engine.stream(sid)
    assert stream.state == "active"
    assert stream.facts["employer"] == "lb-1"
    assert stream.facts["agreement_version"] == 2
    assert stream.facts["signatures"] == ("employer", "school", "student")
    assert stream.facts["hours"] == 120
    assert [e.type.value for e in engine.history(sid)] == ["opened", "imported"]
    assert engine.history(sid)[1].data["source"] == "eduarte"
    assert engine.replay(sid) == stream
    engine.record(sid, "hours", actor=COACH, data={"hours": 40})
    engine.fire(sid, "suspend", actor=COACH, data={"reason": "illness"})
    assert engine.stream(sid).facts["hours"] == 160
    report = engine.verify()
    assert report.ok, report.breaks


#: Complete evidence for every state an MBO BOL internship can be imported into.
_ENOUGH = {
    "orientation": {"source": "eduarte"},
    "searching": {"source": "eduarte"},
    "assisted_search": {"source": "eduarte"},
    "placement_proposed": {"source": "eduarte", "employer": "lb-1"},
    "employer_verified": evidence(
        agreement_version=None,
        hours_per_week=None,
        signatures=None,
        agreement_confirmed_on=None,
        hours=None,
    ),
    "agreement_pending": evidence(signatures=["student"], agreement_confirmed_on=None, hours=None),
    "ready_to_start": evidence(hours=None),
    "active": evidence(),
    "suspended": evidence(reason="illness"),
    "assessment": evidence(),
    "terminated": evidence(reason="mismatch"),
}


@pytest.mark.parametrize("state", sorted(_ENOUGH))
def test_every_running_state_takes_its_evidence(engine: Engine, state: str) -> None:
    sid = engine.import_stream("mbo_bpv", state=state, actor=PLACEMENT_OFFICE,
                               data=mbo_details(), evidence=_ENOUGH[state]).stream_id  # fmt: skip
    assert engine.stream(sid).state == state
    assert engine.replay(sid) == engine.stream(sid)
    assert engine.verify().ok


def test_the_states_evidence_covers_every_state_of_both_internships() -> None:
    """Every running state of the built-in internships is importable (the table above
    covers mbo_bpv's), and what each needs grows along the way."""
    running = {s for s in mbo_bpv().states if s not in mbo_bpv().final}
    assert running == set(_ENOUGH)
    needs = import_needs(mbo_bpv(), "active")
    assert needs.path[-1] == "start"
    assert {g.value for g in needs.guards} >= {"signatures", "recognition", "no_retroactive_start"}
    assert "assignment_approved_on" in import_needs(hbo_stage(), "active").required


def test_missing_evidence_is_refused_naming_each_piece_and_writes_nothing(engine: Engine) -> None:
    with pytest.raises(Refused) as refusal:
        engine.import_stream("mbo_bpv", state="active", actor=SYSTEM, data=mbo_details(),
                             evidence={"source": "eduarte", "employer": "lb-1"})  # fmt: skip
    missing = [dict(f.params)["field"] for f in refusal.value.findings]
    assert missing == ["recognition_source", "recognition_checked_on", "agreement_version",
                       "agreement_confirmed_on"]  # fmt: skip
    assert {f.code for f in refusal.value.findings} == {"import.evidence_missing"}
    assert refusal.value.event is None
    assert engine.statistics().events == 0


@pytest.mark.parametrize(
    ("changes", "details", "codes"),
    [
        ({"signatures": ["student", "school"]}, {},
         ["import.unproven", "signatures.missing"]),
        # a minor on the day the agreement was confirmed: the guardian signs too
        ({}, {"turns_18_on": "2027-02-15"}, ["import.unproven", "signatures.missing"]),
        ({"signatures": ["student", "school", "employer", "guardian"], "hours_per_week": 50},
         {"turns_18_on": "2027-02-15"}, ["import.unproven", "agreement.minor_hours"]),
        ({"agreement_confirmed_on": "2027-02-03"}, {},
         ["import.unproven", "start.retroactive"]),
        ({}, {"planned_start": "2027-04-01"}, ["import.unproven", "start.date_not_reached"]),
        ({}, {"track": "BBL"}, ["import.unproven", "start.no_employment_contract"]),
        ({"recognition_checked_on": "2027-05-01"}, {}, ["import.future_date"]),
    ],
)  # fmt: skip
def test_evidence_that_misses_a_hard_rule_is_refused_with_the_rule(
    engine: Engine, changes: dict[str, Any], details: dict[str, Any], codes: list[str]
) -> None:
    with pytest.raises(Refused) as refusal:
        engine.import_stream("mbo_bpv", state="active", actor=SYSTEM,
                             data=mbo_details(**details), evidence=evidence(**changes))  # fmt: skip
    assert [f.code for f in refusal.value.findings] == codes
    assert engine.statistics().events == 0


def test_a_minor_with_the_guardians_signature_and_a_bbl_contract_is_imported(
    engine: Engine,
) -> None:
    proof = evidence(signatures=["student", "school", "employer", "guardian"],
                     employment_contract="lb-1")  # fmt: skip
    sid = engine.import_stream("mbo_bpv", state="active", actor=SYSTEM,
                               data=mbo_details(turns_18_on="2027-02-15", track="BBL"),
                               evidence=proof).stream_id  # fmt: skip
    assert engine.stream(sid).facts["employment_contract"] == "lb-1"


def test_an_hbo_internship_needs_the_assignment_approval(engine: Engine) -> None:
    data = {"student": "stu-7", "programme": "ict", "planned_start": "2027-02-01",
            "planned_end": "2027-06-30", "planned_hours": 640}  # fmt: skip
    hbo = evidence(recognition_source=None, recognition_checked_on=None)
    with pytest.raises(Refused) as refusal:
        engine.import_stream("hbo_stage", state="active", actor=SYSTEM, data=data, evidence=hbo)
    assert [dict(f.params)["field"] for f in refusal.value.findings] == ["assignment_approved_on"]
    approved = {**hbo, "assignment_approved_on": "2027-01-08"}
    sid = engine.import_stream("hbo_stage", state="active", actor=SYSTEM, data=data,
                               evidence=approved).stream_id  # fmt: skip
    assert engine.stream(sid).facts["assignment_approved"] is True
    with pytest.raises(InvalidInput) as error:  # MBO's recognition is no HBO evidence
        engine.import_stream("hbo_stage", state="active", actor=SYSTEM, data=data,
                             evidence={**approved, "recognition_source": "sbb"})  # fmt: skip
    assert error.value.field == "evidence.recognition_source"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"state": "completed"}, "state"),
        ({"state": "dreaming"}, "state"),
        ({"state": 3}, "state"),
        ({"lifecycle": "case"}, "lifecycle"),
        ({"lifecycle": "nope"}, "lifecycle"),
        ({"state": "searching", "evidence": evidence()}, "evidence.employer"),
        ({"evidence": evidence(colour="red")}, "evidence.colour"),
        ({"evidence": evidence(hours="many")}, "evidence.hours"),
        ({"evidence": evidence(signatures=["mayor"])}, "evidence.signatures"),
        ({"evidence": evidence(source=None)}, "evidence.source"),
        ({"evidence": ["source"]}, "evidence"),
        ({"state": "suspended", "evidence": evidence(reason="holiday")}, "evidence.reason"),
        ({"data": mbo_details(level=None)}, "data.level"),
        ({"command_id": "two words"}, "command_id"),
        ({"institution": "a b"}, "institution"),
    ],
)  # fmt: skip
def test_malformed_imports_are_named_and_write_nothing(
    engine: Engine, arguments: dict[str, Any], field: str
) -> None:
    call: dict[str, Any] = {"lifecycle": "mbo_bpv", "state": "active", "actor": SYSTEM,
                            "data": mbo_details(), "evidence": evidence(), **arguments}  # fmt: skip
    lifecycle = call.pop("lifecycle")
    with pytest.raises(InvalidInput) as error:
        engine.import_stream(lifecycle, **call)
    assert error.value.field == field
    assert engine.statistics().events == 0


def test_only_the_system_or_the_placement_office_imports(engine: Engine) -> None:
    with pytest.raises(Refused) as refusal:
        engine.import_stream("mbo_bpv", state="active", actor=STUDENT, data=mbo_details(),
                             evidence=evidence())  # fmt: skip
    assert [f.code for f in refusal.value.findings] == ["role.not_allowed"]


def test_an_import_repeats_under_its_command_id(engine: Engine) -> None:
    first = engine.import_stream("mbo_bpv", state="active", actor=SYSTEM, data=mbo_details(),
                                 evidence=evidence(), command_id="row-17")  # fmt: skip
    again = engine.import_stream("mbo_bpv", state="active", actor=SYSTEM, data=mbo_details(),
                                 evidence=evidence(), command_id="row-17")  # fmt: skip
    assert again == first
    assert engine.statistics().events == 2
    for other in ({"state": "ready_to_start", "evidence": evidence(hours=None)},
                  {"data": mbo_details(student="stu-2")},
                  {"evidence": evidence(hours=99)}):  # fmt: skip
        call: dict[str, Any] = {"state": "active", "data": mbo_details(), "evidence": evidence(),
                                **other}  # fmt: skip
        with pytest.raises(InvalidInput) as error:
            engine.import_stream("mbo_bpv", actor=SYSTEM, command_id="row-17", **call)
        assert error.value.field == "command_id"
    assert engine.statistics().events == 2


def test_a_bound_engine_imports_into_its_institution(db: str, clock: FakeClock) -> None:
    with Engine(db, clock=clock, institution="roc-a") as engine:
        sid = engine.import_stream("mbo_bpv", state="active", actor=SYSTEM, data=mbo_details(),
                                   evidence=evidence()).stream_id  # fmt: skip
        assert engine.stream(sid).institution == "roc-a"
    with Engine(db, clock=clock, institution="roc-b") as other:
        assert other.streams().streams == ()


def test_a_batch_of_imports_is_one_transaction(engine: Engine) -> None:
    with engine.batch() as batch:
        for n in range(3):
            batch.import_stream("mbo_bpv", state="active", actor=SYSTEM,
                                data=mbo_details(student=f"stu-{n}"), evidence=evidence(),
                                stream_id=f"run-{n}")  # fmt: skip
        batch.import_stream(
            "mbo_bpv",
            state="searching",
            actor=SYSTEM,
            data=mbo_details(),
            evidence={"source": "eduarte"},
            stream_id="run-0",
        )  # id in use
    assert [r.ok for r in batch.results] == [True, True, True, False]
    assert batch.results[3].error.field == "stream_id"  # type: ignore[union-attr]
    assert engine.statistics().states["mbo_bpv"] == {"active": 3}


# -- the log -------------------------------------------------------------------


def _imported_db(path: Path, clock: FakeClock) -> str:
    with Engine(path, clock=clock) as engine:
        return engine.import_stream("mbo_bpv", state="active", actor=SYSTEM, data=mbo_details(),
                                    evidence=evidence()).stream_id  # fmt: skip


def _reseal(path: Path, sid: str, seq: int, **changes: Any) -> None:
    """Rewrite event *seq* of *sid* with *changes* and seal it again (a forger who knows
    the format): only the rules can catch it."""
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT * FROM events WHERE stream_id = ? AND seq = ?",
                                (sid, seq)).fetchone())  # fmt: skip
        body = json.loads(row["body"])
        if "data" in changes:
            body["data"] = changes.pop("data")
        fields = {k: row[k] for k in ("stream_id", "seq", "type", "name", "occurred_at",
                                      "actor_id", "actor_role", "from_state", "to_state",
                                      "lifecycle", "definition", "prev_hash")}  # fmt: skip
        fields.update(changes)
        sealed = seal(**fields, plugins=[], body=body)
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute(
            "UPDATE events SET actor_role = ?, to_state = ?, header = ?, body = ?, body_hash = ?,"
            " hash = ? WHERE stream_id = ? AND seq = ?",
            (sealed.actor_role, sealed.to_state, sealed.header, sealed.body, sealed.body_hash,
             sealed.hash, sid, seq),
        )  # fmt: skip
        conn.execute("UPDATE streams SET head_hash = ?, state = ? WHERE id = ?",
                     (sealed.hash, sealed.to_state, sid))  # fmt: skip
        conn.commit()


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"actor_role": "student"}, "may not import"),
        ({"to_state": "completed"}, "does not fit its version"),
        ({"data": {**evidence(), "agreement_confirmed_on": None}}, "not in its canonical form"),
        (
            {"data": evidence(employer=None, signatures=["employer", "school", "student"])},
            "lacks the evidence employer",
        ),
        ({"data": {**evidence(), "colour": "red"}}, "does not fit its version (evidence.colour"),
    ],
)
def test_a_resealed_import_that_breaks_the_rules_is_caught(
    db_path: Path, clock: FakeClock, changes: dict[str, Any], problem: str
) -> None:
    sid = _imported_db(db_path, clock)
    _reseal(db_path, sid, 2, **changes)
    with Engine(db_path, clock=clock) as engine:
        report = engine.verify()
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(sid, 2)]
    assert problem in report.breaks[0].problem


def test_the_independent_verifier_reads_imports(db_path: Path, clock: FakeClock) -> None:
    independent = runpy.run_path(
        str(Path(__file__).parents[1] / "docs/examples/independent_verifier.py")
    )
    sid = _imported_db(db_path, clock)
    assert independent["verify"](str(db_path)) == (1, 2, [])
    with closing(sqlite3.connect(db_path)) as conn:  # the import moved after a later event
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET type = 'recorded' WHERE stream_id = ? AND seq = 1", (sid,))
        conn.commit()
    assert independent["verify"](str(db_path))[2][0][:2] == (sid, 1)


# -- the command line ------------------------------------------------------------------

_HEADER = ("state,student,programme,qualification,level,track,planned_start,planned_end,"
           "planned_hours,turns_18_on,employer,recognition_source,recognition_checked_on,"
           "agreement_version,hours_per_week,signatures,agreement_confirmed_on,reason,"
           "command_id")  # fmt: skip
# The command line runs on the real clock: every date lies well in the past.
_ROW = "stu-{n},prog-ict,25604,4,BOL,2025-09-01,2027-06-30,400,2005-01-01"
_PROOF = "lb-1,sbb,2025-08-15,1,32,{signed},2025-08-20"


def _csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "running.csv"
    path.write_text("\n".join((_HEADER, *rows)) + "\n", encoding="utf-8")
    return path


def test_the_csv_import_reports_every_row_and_runs_again_safely(
    tmp_path: Path, clock: FakeClock
) -> None:
    signed = "student;school;employer"
    path = _csv(
        tmp_path,
        f"active,{_ROW.format(n=1)},{_PROOF.format(signed=signed)},,r1",
        f"active,{_ROW.format(n=2)},{_PROOF.format(signed='student')},,r2",
        f"searching,{_ROW.format(n=3)},,,,,,,,,r3",
        f"suspended,{_ROW.format(n=4)},{_PROOF.format(signed=signed)},sick,r4",
    )
    db = tmp_path / "school.db"
    arguments = ["import", "--db", str(db), "--lifecycle", "mbo_bpv", "--source", "eduarte",
                 str(path)]  # fmt: skip
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("row 2: imported: into active")
    assert lines[1].startswith("row 3: refused: import.unproven")
    assert "signatures.missing" in lines[1]
    assert lines[2].startswith("row 4: imported: into searching")
    assert lines[3].startswith("row 5: invalid: evidence.reason='sick'")
    assert lines[-1] == "imported 2 of 4 row(s)"
    again = CliRunner().invoke(main, [*arguments[:1], "--format", "jsonl", *arguments[1:]])
    records = [json.loads(line) for line in again.output.splitlines()]
    assert [r["outcome"] for r in records] == [
        "already imported", "refused", "already imported", "invalid",
    ]  # fmt: skip
    assert records[1]["findings"] == ["import.unproven", "signatures.missing"]
    with Engine(db) as engine:
        assert engine.statistics().events == 4  # the second run wrote nothing
        assert engine.verify().ok


def test_a_dry_run_judges_every_row_and_writes_nothing(tmp_path: Path) -> None:
    path = _csv(tmp_path, f"searching,{_ROW.format(n=1)},,,,,,,,,")
    db = tmp_path / "school.db"
    result = CliRunner().invoke(main, ["import", "--db", str(db), "--lifecycle", "mbo_bpv",
                                       "--source", "eduarte", "--dry-run", str(path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "would import 1 of 1" in result.output
    with Engine(db) as engine:
        assert engine.statistics().events == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no header row"),
        ("state,state\nactive,active\n", "appears twice"),
        ("state,student\nactive,stu-1,extra\n", "more cells than the header"),
        (b"state\n\xff\n", "not UTF-8"),
    ],
)
def test_a_csv_that_cannot_be_read_is_a_usage_error(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "--db", str(tmp_path / "x.db"),
                                       "--lifecycle", "mbo_bpv", str(path)])  # fmt: skip
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("state,student,colour", "unknown column(s) 'colour'"),
        ("state;student;programme", "unknown column(s) 'state;student;programme'"),
        ("student,programme", "no 'state' column"),
    ],
)
def test_a_header_an_import_cannot_take_fails_the_whole_file(
    tmp_path: Path, header: str, message: str
) -> None:
    """A mistyped column or another separator is one usage error, before any row is read,
    and never echoes a cell (it may hold a name)."""
    path = tmp_path / "odd.csv"
    path.write_text(f"{header}\nsearching,Jan de Vries,x\n", encoding="utf-8")
    db = tmp_path / "x.db"
    arguments = ["import", "--db", str(db), "--lifecycle", "mbo_bpv", "--source", "x", str(path)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 2
    assert message in result.output
    assert "Jan de Vries" not in result.output
    assert not db.exists()  # refused before any database was opened


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--actor", "coach:c-1", "role coach may not import"),
        ("--lifecycle", "case", "only internships are imported"),
        ("--lifecycle", "nope", "nope"),
        ("--source", "two words", "source"),
        ("--institution", "a b", "institution"),
        ("--source", "", "source"),
    ],
)
def test_options_no_row_can_use_are_usage_errors(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    path = _csv(tmp_path, f"searching,{_ROW.format(n=1)},,,,,,,,,")
    arguments = {"--lifecycle": "mbo_bpv", "--source": "x", option: value}
    flat = [item for pair in arguments.items() for item in pair]
    result = CliRunner().invoke(main, ["import", "--db", str(tmp_path / "x.db"), *flat, str(path)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("cell", ["+3", "1_000", "\u0663", "3.0"])  # " 3 " is 3: cells are trimmed
def test_a_whole_number_cell_is_ascii_digits(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "ints.csv"
    row = _ROW.format(n=1).replace(",4,BOL,", f",{cell},BOL,")
    path.write_text(f"{_HEADER}\nsearching,{row},,,,,,,,,\n", encoding="utf-8")
    arguments = ["import", "--db", str(tmp_path / "x.db"), "--lifecycle", "mbo_bpv",
                 "--source", "x", str(path)]  # fmt: skip
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1
    assert "data.level" in result.output


def test_a_dry_run_creates_no_database_and_a_rerun_says_already_imported(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path, f"searching,{_ROW.format(n=1)},,,,,,,,,r1")
    db = tmp_path / "new.db"
    arguments = ["import", "--db", str(db), "--lifecycle", "mbo_bpv", "--source", "x"]
    dry = CliRunner().invoke(main, [*arguments, "--dry-run", str(path)])
    assert dry.exit_code == 0, dry.output
    assert not db.exists()
    assert CliRunner().invoke(main, [*arguments, str(path)]).output.startswith("row 2: imported")
    again = CliRunner().invoke(main, [*arguments, str(path)])
    assert again.output.startswith("row 2: already imported: into searching")
    assert again.exit_code == 0
