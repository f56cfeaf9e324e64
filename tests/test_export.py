"""The export and its verification with no database: a whole export verifies, and its
tree head is the checkpoint's; any change to its lines (a changed, deleted, inserted,
duplicated or reordered line, a cut tail, events swapped between streams) is caught and
the message names the line (Hypothesis). And the commands."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import Actor, Engine
from stageborging.audit import verify_export
from stageborging.cli import main
from stageborging.core import canonical_bytes
from stageborging.privacy import MasterKey
from stageborging.store import SCHEMA_VERSION, export_lines, make_checkpoint, open_store
from stageborging.testing import FakeClock
from support import COACH, STUDENT, journey

AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def fill(db: str) -> list[str]:
    """Three internships, one suspended with a sealed note, and a report."""
    key = MasterKey.generate()
    with Engine(db, clock=FakeClock(), master_key=key) as engine:
        sids = [journey(engine).open() for _ in range(3)]
        for sid in sids:
            engine.fire(sid, "begin_search", actor=STUDENT)
        engine.record(sids[0], "guidance_contact", actor=COACH, data={"moment": "begin"})
        engine.report(actor=Actor("stu-9", "student"), phase="search", employer="lb-1",
                      description="They said no because of my name.")  # fmt: skip
    return sids


def lines_of(db: str, **options: object) -> list[str]:
    store = open_store(db, read_only=True)
    try:
        return list(export_lines(store, schema=SCHEMA_VERSION, **options))  # type: ignore[arg-type]
    finally:
        store.close()


def test_a_whole_export_verifies_and_its_tree_is_the_checkpoints(backend: str) -> None:
    fill(backend)
    key = Ed25519PrivateKey.generate()
    store = open_store(backend)
    try:
        held = make_checkpoint(store, key, AT)
    finally:
        store.close()
    lines = lines_of(backend)
    report = verify_export(lines, held)
    assert report.ok, report.problems
    assert (report.events, report.root, report.partial) == (held.tree_size, held.root, False)
    assert report.streams == 5  # three internships, the case, the employer it names
    assert report.definitions >= 3
    assert "my name" not in "\n".join(lines)  # the report's text stays sealed


def test_a_part_of_the_log_verifies_as_a_part(backend: str) -> None:
    sids = fill(backend)
    one = lines_of(backend, stream_id=sids[0])
    report = verify_export(one)
    assert report.ok, report.problems
    assert (report.events, report.streams, report.partial, report.root) == (3, 1, True, None)
    whole = lines_of(backend)
    fourth = json.loads(whole[_events(whole)[3]])["position"]  # positions need not be 1, 2 …
    later = lines_of(backend, since=fourth)
    assert verify_export(later).ok
    assert verify_export(later).events == verify_export(whole).events - 4


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    db = str(tmp_path_factory.mktemp("export") / "school.db")
    fill(db)
    return lines_of(db)


def _events(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if json.loads(line)["kind"] == "event"]


TAMPERS = st.sampled_from(["change", "delete", "insert", "duplicate", "reorder", "cut",
                           "swap", "body"])  # fmt: skip


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tamper=TAMPERS, data=st.data())
def test_any_change_to_the_lines_is_caught_and_named(
    exported: list[str], tamper: str, data: st.DataObject
) -> None:
    lines = list(exported)
    events = _events(lines)
    at = data.draw(st.sampled_from(events))
    if tamper == "change":  # a value of the header, re-encoded canonically
        line = json.loads(lines[at])
        header = json.loads(line["header"])
        header["time"] = "2026-12-31T23:59:59.000000Z"
        line["header"] = json.dumps(header, sort_keys=True, separators=(",", ":"))
        lines[at] = json.dumps(line)
    elif tamper == "body":
        line = json.loads(lines[at])
        line["body"] = (line.get("body") or "{}").replace("}", ',"x":1}', 1)
        lines[at] = json.dumps(line)
    elif tamper == "delete":
        del lines[at]
    elif tamper == "insert":
        lines.insert(at, lines[data.draw(st.sampled_from(events))])
    elif tamper == "duplicate":
        lines.insert(at + 1, lines[at])
    elif tamper == "reorder":
        other = data.draw(st.sampled_from([e for e in events if e != at]))
        lines[at], lines[other] = lines[other], lines[at]
    elif tamper == "cut":
        lines = lines[: data.draw(st.integers(1, len(lines) - 1))]
    else:  # an event moved to another stream, its header rewritten to match
        line = json.loads(lines[at])
        header = json.loads(line["header"])
        header["stream"] = "someone-else"
        line["header"] = json.dumps(header, sort_keys=True, separators=(",", ":"))
        line.pop("hash")
        lines[at] = json.dumps(line)
    report = verify_export(lines)
    assert not report.ok, f"{tamper} at line {at + 1} was not caught"
    assert all(problem.startswith("line ") for problem in report.problems)


def test_the_commands_export_and_verify_on_another_machine(tmp_path: Path) -> None:
    runner, db = CliRunner(), tmp_path / "school.db"
    fill(str(db))
    out = tmp_path / "export.jsonl"
    made = runner.invoke(main, ["audit", "export", "--db", str(db), "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = runner.invoke(main, ["audit", "export", "--db", str(db), "--out", str(out)])
    assert again.exit_code == 2
    db.unlink()  # another machine: the export alone
    checked = runner.invoke(main, ["audit", "verify-export", str(out)])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith("intact: ")
    lines = out.read_text().splitlines()
    out.write_text("\n".join(lines[:-3]) + "\n")  # the tail cut off
    cut = runner.invoke(main, ["audit", "verify-export", str(out), "--format", "json"])
    assert cut.exit_code == 1
    assert "no end line: it was cut short" in " ".join(json.loads(cut.stdout)["problems"])
    bad_since = runner.invoke(main, ["audit", "export", "--db", str(out), "--since", "yesterday"])
    assert bad_since.exit_code == 2


def test_a_refused_export_writes_nothing_and_a_part_is_not_judged_by_a_checkpoint(
    tmp_path: Path,
) -> None:
    runner, db = CliRunner(), tmp_path / "school.db"
    sids = fill(str(db))
    out = tmp_path / "part.jsonl"
    for refused in (["--stream", "nosuch"], ["--since", "99999999"], ["--since", "-5"],
                    ["--since", "2027-01-01"]):  # fmt: skip
        result = runner.invoke(main, ["audit", "export", "--db", str(db), "--out", str(out),
                                      *refused])  # fmt: skip
        assert result.exit_code == 2, result.output
        assert not out.exists()
        assert list(tmp_path.glob(".part.jsonl*")) == []
    key = tmp_path / "school.key"
    assert runner.invoke(main, ["audit", "keygen", "--out", str(key)]).exit_code == 0
    point = tmp_path / "point.json"
    made = runner.invoke(main, ["audit", "checkpoint", "--db", str(db), "--key", str(key),
                                "--out", str(point)])  # fmt: skip
    assert made.exit_code == 0, made.output
    part = ["audit", "export", "--db", str(db), "--stream", sids[0], "--out", str(out)]
    assert runner.invoke(main, part).exit_code == 0
    with out.open("a") as file:
        file.write("\n\n")  # blank lines after the end hold nothing
    checked = runner.invoke(main, ["audit", "verify-export", str(out), "--checkpoint",
                                   str(point), "--public-key", f"{key}.pub"])  # fmt: skip
    assert checked.exit_code == 2, checked.output
    assert checked.stdout.startswith("intact: ")
    assert "CANNOT JUDGE: checkpoint" in checked.stdout


def test_export_since_a_time_takes_the_events_recorded_from_then(tmp_path: Path) -> None:
    db = str(tmp_path / "school.db")
    fill(db)
    later = lines_of(db, from_time=datetime(2099, 1, 1, tzinfo=UTC))
    assert [json.loads(line)["kind"] for line in later][-1] == "end"
    assert verify_export(later).events == 0


def test_an_export_of_a_log_written_meanwhile_still_verifies(tmp_path: Path) -> None:
    """The streams' heads are read after the events: a stream that moved on since is left
    out, not reported as tampered (the next export from last_position takes it)."""
    db = str(tmp_path / "school.db")
    sids = fill(db)
    store = open_store(db, read_only=True)
    try:
        lines = export_lines(store, schema=SCHEMA_VERSION)
        taken = [next(lines) for _ in range(12)]  # part way through the events
        with Engine(db, clock=FakeClock()) as engine:
            engine.record(sids[1], "guidance_contact", actor=COACH, data={"moment": "begin"})
        taken += list(lines)
    finally:
        store.close()
    assert verify_export(taken).ok


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("no hash", "hash is missing"),
        ("no body", "body is missing"),
        ("stream twice", "head is given twice"),
        ("first event of a one-stream export", "earlier events are missing"),
        ("another stream in a one-stream export", "the export is of stream"),
        ("blank line", "is no JSON"),
        ("header a list", "no canonical JSON object"),
        ("a key of its own", "has keys the format does not have: evil"),
        ("position as text", "its position is not a whole number"),
        ("body not UTF-8", "its body is not UTF-8 text"),
        ("stream line's state", "are not those its last event ends in"),
        ("body out of the format", "body keys are not data, date and findings"),
    ],
)
def test_what_the_review_found_is_caught(tmp_path: Path, change: str, words: str) -> None:
    db = str(tmp_path / "school.db")
    sids = fill(db)
    lines = lines_of(db, stream_id=sids[0]) if "one-stream" in change else lines_of(db)
    events = _events(lines)
    line = json.loads(lines[events[0]])
    if change == "no hash":
        line.pop("hash")
    elif change == "no body":
        line.pop("body")
    elif change == "header a list":
        line["header"] = "[1,2]"
    elif change == "a key of its own":
        line["evil"] = 1
    elif change == "position as text":
        line["position"] = str(line["position"])
    elif change == "body not UTF-8":
        line["body"] = "\udcff"  # a byte that is not UTF-8, as a file read so gives it
    elif change == "body out of the format":  # re-sealed whole: only the format shows it
        body = b'{"data":{},"date":"2027-01-01","findings":[],"x":1}'
        header = json.loads(line["header"])
        header["body_hash"] = hashlib.sha256(body).hexdigest()
        line["header"] = canonical_bytes(header).decode()
        line["hash"] = hashlib.sha256(line["header"].encode()).hexdigest()
        line["body"] = body.decode()
    if change in ("no hash", "no body", "header a list", "a key of its own",
                  "position as text", "body not UTF-8", "body out of the format"):  # fmt: skip
        lines[events[0]] = json.dumps(line)
    elif change == "stream line's state":
        at = next(i for i, text in enumerate(lines) if '"kind":"stream"' in text)
        lines[at] = json.dumps({**json.loads(lines[at]), "state": "withdrawn"})
    elif change == "stream twice":
        streams = [i for i, text in enumerate(lines) if '"kind":"stream"' in text]
        lines.insert(streams[0], lines[streams[0]])
    elif change == "first event of a one-stream export":
        del lines[events[0]]
        end = json.loads(lines[-1])
        end["events"] -= 1
        lines[-1] = json.dumps(end)
    elif change == "another stream in a one-stream export":
        other = next(text for text in lines_of(db) if sids[1] in text and '"event"' in text)
        lines.insert(events[-1] + 1, other)
    else:
        lines.insert(events[0], "")
    report = verify_export(lines)
    assert not report.ok
    assert any(words in problem for problem in report.problems), report.problems


def test_a_moved_cursor_a_key_twice_or_no_export_is_named(tmp_path: Path) -> None:
    db = str(tmp_path / "school.db")
    fill(db)
    lines = lines_of(db)
    end = json.loads(lines[-1])
    moved = [*lines[:-1], json.dumps({**end, "last_position": end["last_position"] + 1000})]
    assert any("would skip or repeat events" in p for p in verify_export(moved).problems)
    events = _events(lines)
    twice = list(lines)
    twice[events[2]] = twice[events[2]][:-1] + ',"position":1}'
    report = verify_export(twice)
    assert f"line {events[2] + 1}: gives a key twice" in report.problems[0]
    runner = CliRunner()
    sqlite_file = runner.invoke(main, ["audit", "verify-export", db])
    assert sqlite_file.exit_code == 2
    assert "is not an export" in sqlite_file.output
