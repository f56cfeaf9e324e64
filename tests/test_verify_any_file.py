"""``audit verify`` gives a verdict on any file and writes nothing.

Exit 0 intact, 1 a break naming the stream and seq, 2 one line saying why the
file cannot be read as a stageborging database; never a traceback, and never a
``-wal`` or ``-shm`` left behind. Real files, and the real command in a process
where it matters (a folder nobody may write to).
"""

from __future__ import annotations

import os
import runpy
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from stageborging import Actor, Engine, SQLiteStore, StoreError, verify_database
from stageborging.cli import main
from stageborging.store import MIGRATIONS, SCHEMA_VERSION

ADVISOR = Actor("vp-1", "confidential_advisor")
CASE = "case-1"
#: The functions of the independent verifier the docs show (docs/examples).
INDEPENDENT = runpy.run_path(
    str(Path(__file__).parent.parent / "docs" / "examples" / "independent_verifier.py")
)


def _build(path: Path) -> None:
    with Engine(path) as engine:
        engine.open("case", actor=ADVISOR, stream_id=CASE, data={"phase": "search"})
        engine.fire(CASE, "acknowledge", actor=ADVISOR)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "school.db"
    _build(path)
    assert not Path(f"{path}-wal").exists()
    return path


@pytest.fixture
def copy(template: Path, tmp_path: Path) -> Path:
    """A one-file copy of a closed database, alone in its folder."""
    folder = tmp_path / "auditor"
    folder.mkdir()
    path = folder / "school.db"
    shutil.copyfile(template, path)
    return path


def _cli(path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["audit", "verify", "--db", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def read_only_folder(copy: Path) -> Iterator[Path]:
    """The copy in a folder (and a file) without write permission."""
    copy.chmod(stat.S_IRUSR | stat.S_IRGRP)
    copy.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        yield copy
    finally:
        copy.parent.chmod(stat.S_IRWXU)
        copy.chmod(stat.S_IRUSR | stat.S_IWUSR)


# -- writes nothing ----------------------------------------------------------


def test_a_one_file_copy_in_a_read_only_folder_verifies_and_leaves_nothing(
    read_only_folder: Path,
) -> None:
    """An auditor's copy in a folder they may not write to verifies, exit 0, no side files."""
    result = subprocess.run(
        [sys.executable, "-m", "stageborging", "audit", "verify", "--db", str(read_only_folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("intact: 1 stream, 2 events verified")
    assert os.listdir(read_only_folder.parent) == ["school.db"]


def test_a_one_file_copy_in_a_writable_folder_leaves_nothing(copy: Path) -> None:
    """Verification creates no -wal or -shm beside a closed database either."""
    mtime = copy.stat().st_mtime_ns
    assert verify_database(copy).ok
    assert _cli(copy)[0] == 0
    assert os.listdir(copy.parent) == ["school.db"]
    assert copy.stat().st_mtime_ns == mtime


def test_a_live_database_verifies_through_its_shared_memory(db_path: Path) -> None:
    """While an engine writes, verification sees its committed events and adds no file."""
    with Engine(db_path) as engine:
        engine.open("case", actor=ADVISOR, stream_id=CASE, data={"phase": "search"})
        before = sorted(os.listdir(db_path.parent))
        assert f"{db_path.name}-wal" in before
        report = verify_database(db_path)
        assert (report.ok, report.events) == (True, 1)
        engine.fire(CASE, "acknowledge", actor=ADVISOR)
        assert verify_database(db_path).events == 2
        assert sorted(os.listdir(db_path.parent)) == before


def test_a_copy_with_its_wal_but_no_shm_verifies_every_committed_event(
    db_path: Path, tmp_path: Path
) -> None:
    """A two-file copy (the file and its -wal) is read whole, and gains no -shm."""
    folder = tmp_path / "auditor"
    folder.mkdir()
    with Engine(db_path) as engine:
        engine.open("case", actor=ADVISOR, stream_id=CASE, data={"phase": "search"})
        engine.fire(CASE, "acknowledge", actor=ADVISOR)
        for suffix in ("", "-wal"):
            shutil.copyfile(f"{db_path}{suffix}", folder / f"school.db{suffix}")
    report = verify_database(folder / "school.db")
    assert (report.ok, report.streams, report.events) == (True, 1, 2)
    assert sorted(os.listdir(folder)) == ["school.db", "school.db-wal"]


def test_a_database_of_an_older_schema_verifies_with_a_warning(db_path: Path) -> None:
    """Verification never migrates; an older file verifies, missing triggers only warn."""
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        for statements in MIGRATIONS[:2]:
            for statement in statements:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
    report = verify_database(db_path)
    assert report.ok
    assert report.warnings == ("the append-only triggers on the events table are missing",)
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (2,)


def test_an_older_schema_gains_the_replace_trigger_when_opened_for_writing(
    db_path: Path,
) -> None:
    """Opening a schema 2 database for writing migrates it and closes REPLACE INTO."""
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        for statements in MIGRATIONS[:2]:
            for statement in statements:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
    SQLiteStore(db_path).close()
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert "events_no_replace" in names
    assert verify_database(db_path).warnings == ()


@pytest.mark.parametrize(
    "statement",
    [
        "REPLACE INTO events SELECT * FROM events WHERE seq = 1",
        "INSERT OR REPLACE INTO events SELECT * FROM events WHERE seq = 2",
        # a new (stream, seq) but the position of an existing row
        "INSERT OR REPLACE INTO events SELECT position, stream_id, 99, type, name, occurred_at,"
        " actor_id, actor_role, from_state, to_state, lifecycle, definition, header, body,"
        " body_hash, prev_hash, hash, command_id, institution FROM events WHERE seq = 1",
    ],
)
def test_replace_into_events_is_refused(copy: Path, statement: str) -> None:
    """An insert that would replace an event is refused like UPDATE and DELETE."""
    with closing(sqlite3.connect(copy, isolation_level=None)) as conn:
        before = conn.execute("SELECT position, hash FROM events ORDER BY position").fetchall()
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
        after = conn.execute("SELECT position, hash FROM events ORDER BY position").fetchall()
    assert after == before
    assert verify_database(copy).ok


# -- a verdict on any file ----------------------------------------------------


def _sql(*statements: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            for statement in statements:
                conn.execute(statement)

    return damage


def _garble(first_page: int, fill: bytes) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        data = bytearray(path.read_bytes())
        page = int.from_bytes(data[16:18], "big") or 65536
        for offset in range(first_page * page, len(data), page):
            data[offset : offset + page] = (fill * page)[:page]
        path.write_bytes(bytes(data))

    return damage


def _garble_table(table: str) -> Callable[[Path], None]:
    """Overwrite the root page of *table*: the schema stays readable, the rows do not."""

    def damage(path: Path) -> None:
        with closing(sqlite3.connect(path)) as conn:
            (root,) = conn.execute(
                "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
            ).fetchone()
        data = bytearray(path.read_bytes())
        page = int.from_bytes(data[16:18], "big") or 65536
        data[(root - 1) * page : root * page] = b"\xff" * page
        path.write_bytes(bytes(data))

    return damage


def _empty_with_version(path: Path) -> None:
    path.unlink()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


#: damage -> what the single error line says
UNREADABLE: dict[str, tuple[Callable[[Path], None], str]] = {
    "no events table": (_sql("DROP TABLE events"), "no table events"),
    "no streams table": (_sql("DROP TABLE streams"), "no table streams"),
    "a renamed column": (
        _sql("ALTER TABLE events RENAME COLUMN occurred_at TO happened_at"),
        "table events has no column occurred_at",
    ),
    "an empty file with our user_version": (_empty_with_version, "no table"),
    "schema version 0": (_sql("PRAGMA user_version = 0"), "not a stageborging database"),
    "garbled pages": (_garble_table("events"), "cannot read the database"),
    "a garbled first page": (_garble(0, b"\x5a"), "cannot open database"),
    "an empty file": (lambda path: path.write_bytes(b""), "not a stageborging database"),
}


@pytest.mark.parametrize("name", UNREADABLE)
def test_a_file_that_is_not_a_readable_stageborging_database_exits_2(copy: Path, name: str) -> None:
    """Exit 2 with one line saying why; no traceback, nothing written beside the file."""
    damage, reason = UNREADABLE[name]
    damage(copy)
    with pytest.raises(StoreError, match=reason):
        verify_database(copy)
    code, stdout, stderr = _cli(copy)
    assert code == 2
    assert stdout == ""
    assert stderr.count("\n") == 1
    assert stderr.startswith(f"error: {copy}: ")
    assert reason in stderr
    assert INDEPENDENT["main"](["independent_verifier.py", str(copy)]) == 2
    assert os.listdir(copy.parent) == ["school.db"]


def test_an_unreadable_file_exits_2_in_a_real_process(copy: Path) -> None:
    """The command itself, in its own process: one line on stderr, exit 2."""
    _sql("DROP TABLE events")(copy)
    result = subprocess.run(
        [sys.executable, "-m", "stageborging", "audit", "verify", "--db", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {copy}: not a stageborging database (no table events)"
    ]


#: damage -> (stream, seq) of every break, in the order reported
BROKEN: dict[str, tuple[Callable[[Path], None], list[tuple[str, int]]]] = {
    "projection version as text": (_sql("UPDATE streams SET version = 'two'"), [(CASE, 2)]),
    "projection version as a real": (_sql("UPDATE streams SET version = 2.5"), [(CASE, 2)]),
    "projection state as a number": (_sql("UPDATE streams SET state = 7"), [(CASE, 2)]),
    "projection id as a number": (_sql("UPDATE streams SET id = 7"), [("7", 1), (CASE, 1)]),
    "event seq as text": (
        _sql("DROP TRIGGER events_no_update", "UPDATE events SET seq = 'one' WHERE seq = 1"),
        [(CASE, 1)],
    ),
    "event stream id as a number": (
        _sql("DROP TRIGGER events_no_update", "UPDATE events SET stream_id = 7 WHERE seq = 2"),
        [("7", 1), (CASE, 2)],
    ),
    "event hash as a blob": (
        _sql("DROP TRIGGER events_no_update", "UPDATE events SET hash = X'00' WHERE seq = 2"),
        [(CASE, 2)],
    ),
}


@pytest.mark.parametrize("name", BROKEN)
def test_values_of_the_wrong_type_are_a_break_naming_the_stream_and_seq(
    copy: Path, name: str
) -> None:
    """Exit 1 is a verdict: the stream and seq of the first broken link, never a crash."""
    damage, where = BROKEN[name]
    damage(copy)
    report = verify_database(copy)
    assert [(b.stream_id, b.seq) for b in report.breaks] == where
    code, stdout, _ = _cli(copy)
    assert code == 1
    for stream, seq in where:
        assert f"stream {stream} seq {seq}: " in stdout
    assert [(stream, seq) for stream, seq, _ in INDEPENDENT["verify"](str(copy))[2]] == where
