"""The command line: demo, audit verify, lifecycle show."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from stageborging import Engine, verify_database
from stageborging.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database of 30 students, made once for the module (do not alter it)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--db", str(path), "--students", "30"])
    assert result.exit_code == 0, result.output
    return path


def tampered_copy(source: Path, target: Path) -> Path:
    """A copy of *source* with one event's to_state changed, as an attacker would."""
    conn = sqlite3.connect(source)
    conn.execute(f"VACUUM INTO '{target}'")
    conn.close()
    conn = sqlite3.connect(target)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET to_state = 'completed' WHERE position = 50")
    conn.commit()
    conn.close()
    return target


def test_demo_summary_is_what_the_database_holds(demo_db: Path, tmp_path: Path) -> None:
    """The summary's counts are queried from the database the demo wrote."""
    result = CliRunner().invoke(main, ["demo", "--db", str(tmp_path / "d.db"), "--students", "30"])
    assert result.exit_code == 0, result.output
    with Engine(tmp_path / "d.db") as engine:
        stats = engine.statistics()
    assert f"Events written: {stats.events} " in result.output
    for code, count in stats.refusals.items():
        assert re.search(rf"{re.escape(code)}\s+{count}\n", result.output)
    completed = stats.states["mbo_bpv"].get("completed", 0) + stats.states.get("hbo_stage", {}).get(
        "completed", 0
    )
    assert completed > 15  # most students complete normally
    assert "Audit log: intact" in result.output


def test_demo_tells_every_story(demo_db: Path) -> None:
    """The cohort meets each refusal the issue names, and each side path."""
    with Engine(demo_db) as engine:
        stats = engine.statistics()
    assert {
        "recognition.not_recognised",
        "signatures.missing",
        "signature.stale_version",
        "consent.missing",
        "start.no_employment_contract",
        "assessment.failed",
    } <= set(stats.refusals)
    # the two stories, and one report in ten students (30 here) for the monitor
    assert stats.states["case"] == {"closed": 2 + 3}
    assert (
        stats.states["mbo_bpv"].get("withdrawn", 0)
        + stats.states.get("hbo_stage", {}).get("withdrawn", 0)
        >= 1
    )
    conn = sqlite3.connect(demo_db)
    names = {row[0] for row in conn.execute("SELECT DISTINCT name FROM events")}
    assert {"suspend", "resume", "terminate", "seek_replacement", "withdraw"} <= names
    assert {"employment_contract", "repeat_placement"} <= names
    consent = {row[0] for row in conn.execute("SELECT name FROM events WHERE lifecycle='case'")}
    assert {"give_consent", "register_only", "employer_hearing"} <= consent


def test_demo_is_reproducible_from_its_seed(tmp_path: Path) -> None:
    """The same seed gives the same cohort: same states, same refusals."""
    outputs = []
    for name in ("a.db", "b.db"):
        path = tmp_path / name
        CliRunner().invoke(main, ["demo", "--db", str(path), "--students", "12", "--seed", "7"])
        with Engine(path) as engine:
            stats = engine.statistics()
        outputs.append((stats.states, stats.refusals, stats.events))
    assert outputs[0] == outputs[1]


def test_demo_starts_fresh_but_never_overwrites_real_data(tmp_path: Path) -> None:
    """A second demo run replaces the first; a database with real data is kept."""
    path = tmp_path / "d.db"
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "--db", str(path), "--students", "3"]).exit_code == 0
    assert runner.invoke(main, ["demo", "--db", str(path), "--students", "3"]).exit_code == 0
    # three students, the two cases, the four students of the safeguarding stories and
    # the seven employers they named: not twice as many
    assert verify_database(path).streams == 16
    real = tmp_path / "school.db"
    from support import journey

    with Engine(real) as engine:
        journey(engine).open()
    result = runner.invoke(main, ["demo", "--db", str(real), "--students", "3"])
    assert result.exit_code == 2
    assert "not from the demo" in result.output
    assert verify_database(real).streams == 1


def test_db_defaults_to_the_environment_variable(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--db falls back to $STAGEBORGING_DB."""
    monkeypatch.setenv("STAGEBORGING_DB", str(tmp_path / "env.db"))
    assert runner.invoke(main, ["demo", "--students", "2"]).exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_db_defaults_to_the_current_directory(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --db or $STAGEBORGING_DB the file is ./stageborging.db."""
    monkeypatch.delenv("STAGEBORGING_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["demo", "--students", "2"]).exit_code == 0
    assert (tmp_path / "stageborging.db").exists()


def test_audit_verify_intact(runner: CliRunner, demo_db: Path) -> None:
    """An untouched database verifies with exit status 0."""
    result = runner.invoke(main, ["audit", "verify", "--db", str(demo_db)])
    assert result.exit_code == 0
    assert result.output.startswith("intact: ")


def test_audit_verify_names_the_broken_link(
    runner: CliRunner, demo_db: Path, tmp_path: Path
) -> None:
    """One altered column: exit status 1, naming the stream and the sequence number."""
    path = tampered_copy(demo_db, tmp_path / "bad.db")
    stream, seq = (
        sqlite3.connect(path)
        .execute("SELECT stream_id, seq FROM events WHERE position = 50")
        .fetchone()
    )
    result = runner.invoke(main, ["audit", "verify", "--db", str(path)])
    assert result.exit_code == 1
    assert f"stream {stream} seq {seq}: column to_state" in result.output
    assert "append-only triggers" in result.output  # the warning about the dropped trigger


def test_audit_verify_json(runner: CliRunner, demo_db: Path, tmp_path: Path) -> None:
    """--format json gives tools the verdict and every break."""
    path = tampered_copy(demo_db, tmp_path / "bad.db")
    result = runner.invoke(main, ["audit", "verify", "--db", str(path), "--format", "json"])
    payload = json.loads(result.stdout)
    assert result.exit_code == 1
    assert payload["ok"] is False
    assert len(payload["breaks"]) == 1
    assert set(payload["breaks"][0]) == {"stream", "seq", "problem"}


@pytest.mark.parametrize("content", [None, b"not a database at all" * 50])
def test_audit_verify_cannot_open(runner: CliRunner, tmp_path: Path, content: bytes | None) -> None:
    """A missing or foreign file: exit status 2 and a message naming it."""
    path = tmp_path / "missing.db"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(main, ["audit", "verify", "--db", str(path)])
    assert result.exit_code == 2
    assert "missing.db" in result.output
    assert content is not None or not path.exists()


def test_lifecycle_show_defaults_to_the_mbo_table(runner: CliRunner) -> None:
    """Without arguments, the mbo_bpv lifecycle is shown as a table."""
    result = runner.invoke(main, ["lifecycle", "show"])
    assert result.exit_code == 0
    assert result.output.startswith("mbo_bpv (internship")
    assert "verify_employer" in result.output


def test_lifecycle_show_mermaid(runner: CliRunner) -> None:
    """--format mermaid prints a stateDiagram-v2."""
    result = runner.invoke(main, ["lifecycle", "show", "case", "--format", "mermaid"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "stateDiagram-v2"
    assert "intake_held --> investigating: give_consent" in result.output


def test_lifecycle_show_unknown(runner: CliRunner) -> None:
    """An unknown name is a usage error listing the known ones."""
    result = runner.invoke(main, ["lifecycle", "show", "mbo"])
    assert result.exit_code == 2
    assert "mbo_bpv, hbo_stage, case" in result.output


def test_verbose_logs_one_line_per_command(runner: CliRunner, tmp_path: Path) -> None:
    """-v renders the library's log: one line per command, without personal data."""
    result = runner.invoke(main, ["-v", "demo", "--db", str(tmp_path / "d.db"), "--students", "1"])
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if "command=" in line]
    with Engine(tmp_path / "d.db") as engine:
        statistics = engine.statistics()
        # one event per command, but those the library writes within a command or a tick:
        # employers' streams opened on first reference, cascades, escalations
        own = sum(
            entry.event.actor.role == "system"
            and entry.event.actor.id in ("employers", "cascade", "guidance", "replacement")
            for entry in engine.events_since(0, limit=10_000)
        )
        assert len(lines) == statistics.events - own
    assert all("outcome=" in line and "duration_ms=" in line for line in lines)
    assert "demo-student" not in result.stderr  # actor and student ids are never logged


def test_library_errors_are_messages_not_tracebacks(runner: CliRunner, tmp_path: Path) -> None:
    """A database that cannot be created is reported in one line, exit status 2."""
    result = runner.invoke(main, ["demo", "--db", str(tmp_path / "no" / "such" / "x.db")])
    assert result.exit_code == 2
    assert "cannot open database" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["audit", "verify"], ["demo", "--students", "1"]])
@pytest.mark.parametrize("where", ["long", "under_a_file"])
def test_a_db_path_the_system_refuses_is_a_usage_error(
    tmp_path: Path, command: list[str], where: str
) -> None:
    """A 5,000-character path, or one under a file: exit 2 naming the problem, no traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    db = "x" * 5000 if where == "long" else str(blocker / "s.db")
    result = CliRunner().invoke(main, [*command, "--db", db])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Invalid value for '--db'" in result.output
    assert ("File name too long" if where == "long" else "Not a directory") in result.output
    assert "(5000 characters)" in result.output or where != "long"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_an_os_error_on_a_path_is_one_line() -> None:
    """Any command's operating-system error on a path is 'Error: PATH: reason', exit 2."""
    from stageborging.cli._app import _Group  # the root group's error handling

    @click.group(cls=_Group)
    def root() -> None:
        """A root like stageborging's."""

    @root.command()
    def write() -> None:
        raise PermissionError(13, "Permission denied", "/srv/" + "d" * 300 + "/x.db")

    result = CliRunner().invoke(root, ["write"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: /srv/ddd")
    assert result.output.endswith("(310 characters): Permission denied\n")
    assert len(result.output.splitlines()) == 1


def test_output_cut_short_by_its_reader_ends_quietly(tmp_path: Path) -> None:
    """``stageborging events | head -1``: the command stops when the pipe closes, with no
    error message (a reader that has seen enough is no failure to report)."""
    import subprocess
    import sys

    db = tmp_path / "d.db"
    assert CliRunner().invoke(main, ["demo", "--db", str(db), "--students", "40"]).exit_code == 0
    command = [sys.executable, "-m", "stageborging", "events", "--db", str(db)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith(b"{")
        process.stdout.close()  # the reader goes away, as head does
        errors = process.stderr.read()
        process.wait(timeout=60)
    assert errors == b""
