"""The SQLite store: durable, atomic, serialised, and migrated forward on open."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from stageborging import (
    ConcurrencyConflict,
    Engine,
    InvalidInput,
    SchemaVersionError,
    SQLiteStore,
    StoreError,
    verify_database,
)
from stageborging.store import _schema
from stageborging.store._sqlite import _Transaction
from stageborging.testing import FakeClock
from support import COACH, STUDENT, Recognises, journey


@pytest.fixture
def engine(file_engine: Engine) -> Engine:
    """The tests of this module read and alter the SQLite file themselves."""
    return file_engine


def test_a_new_database_gets_the_current_schema(db_path: Path) -> None:
    """Opening a path that does not exist creates the database and its schema."""
    SQLiteStore(db_path).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == _schema.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"streams", "events"} <= tables


def test_an_older_schema_migrates_forward_on_open(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database of an earlier schema version gains the later migrations when opened."""
    SQLiteStore(db_path).close()
    extra = ("CREATE TABLE later_feature (id INTEGER PRIMARY KEY)",)
    monkeypatch.setattr(_schema, "MIGRATIONS", (*_schema.MIGRATIONS, extra))
    monkeypatch.setattr(_schema, "SCHEMA_VERSION", _schema.SCHEMA_VERSION + 1)
    import stageborging.store._sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "MIGRATIONS", _schema.MIGRATIONS)
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", _schema.SCHEMA_VERSION)
    SQLiteStore(db_path).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == _schema.SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM later_feature").fetchone() == (0,)


def test_a_newer_schema_is_refused(db_path: Path) -> None:
    """A database written by a newer stageborging is not touched."""
    SQLiteStore(db_path).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(SchemaVersionError, match="newer"):
        SQLiteStore(db_path)


def test_a_foreign_database_is_refused(db_path: Path) -> None:
    """A SQLite file of another application is never migrated into ours."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StoreError, match="not a stageborging database"):
        SQLiteStore(db_path)


def test_a_file_that_is_not_a_database_is_refused(db_path: Path) -> None:
    """Garbage is reported as a StoreError naming the file."""
    db_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=str(db_path.name)):
        SQLiteStore(db_path)


def test_read_only_never_creates_or_migrates(db_path: Path) -> None:
    """Audit opens read-only: a missing file stays missing."""
    with pytest.raises(StoreError, match="no such database file"):
        SQLiteStore(db_path, read_only=True)
    assert not db_path.exists()


def test_synchronous_is_full_by_default_and_configurable(db_path: Path) -> None:
    """Durability is FULL unless the host chooses NORMAL."""
    for mode, expected in (("FULL", 2), ("NORMAL", 1)):
        store = SQLiteStore(db_path, synchronous=mode)  # type: ignore[arg-type]
        assert store._connection().execute("PRAGMA synchronous").fetchone() == (expected,)
        store.close()
    with pytest.raises(InvalidInput) as error:
        SQLiteStore(db_path, synchronous="OFF")  # type: ignore[arg-type]
    assert error.value.field == "synchronous"


def test_events_are_append_only(engine: Engine, db_path: Path) -> None:
    """UPDATE and DELETE on events are refused by triggers (defence in depth)."""
    journey(engine).open()
    conn = sqlite3.connect(db_path)
    for statement in ("UPDATE events SET name = 'x'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)


def test_expected_version_detects_a_stale_premise(engine: Engine) -> None:
    """A caller acting on an old version gets a conflict, and nothing is written."""
    sid = journey(engine).open()
    seen = engine.stream(sid).version
    engine.fire(sid, "begin_search", actor=STUDENT)
    with pytest.raises(ConcurrencyConflict) as info:
        engine.fire(sid, "request_assistance", actor=STUDENT, expected_version=seen)
    assert (info.value.expected_version, info.value.actual_version) == (seen, seen + 1)
    assert engine.stream(sid).state == "searching"
    assert engine.stream(sid).version == seen + 1
    current = engine.stream(sid).version
    engine.fire(sid, "request_assistance", actor=STUDENT, expected_version=current)


def test_a_failure_inside_the_transaction_writes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the event insert and before the projection update leaves no trace."""
    sid = journey(engine).open()
    before = engine.stream(sid)
    original = _Transaction.write

    def crash_after_insert(self: _Transaction, *args: Any) -> None:
        original(self, *args)
        raise OSError("power cut")

    monkeypatch.setattr(_Transaction, "write", crash_after_insert)
    with pytest.raises(OSError, match="power cut"):
        engine.fire(sid, "begin_search", actor=STUDENT)
    monkeypatch.undo()
    assert engine.stream(sid) == before
    assert len(engine.history(sid)) == 1
    assert engine.verify().ok


def test_concurrent_commands_on_one_stream_serialise(db_path: Path, clock: FakeClock) -> None:
    """Threads with their own engines recording on one stream lose nothing."""
    with Engine(db_path, clock=clock, plugins=[Recognises()]) as setup:
        sid = journey(setup).open()
        journey(setup, clock).to_active(sid)
        start_version = setup.stream(sid).version
    workers, each = 4, 15
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with Engine(db_path, clock=clock) as engine:
                for _ in range(each):
                    engine.record(sid, "hours", actor=STUDENT, data={"hours": 1})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Engine(db_path, clock=clock) as engine:
        stream = engine.stream(sid)
        assert stream.version == start_version + workers * each
        assert stream.facts["hours"] == workers * each
        assert engine.replay(sid) == stream
        assert engine.verify().ok


def test_a_busy_database_is_retried(db_path: Path, clock: FakeClock) -> None:
    """A writer that holds the lock briefly delays a command; it does not fail it."""
    with Engine(SQLiteStore(db_path, busy_timeout=0.05, retries=50), clock=clock) as engine:
        sid = journey(engine).open()
        blocker = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, lambda: blocker.execute("COMMIT"))
        release.start()
        started = time.monotonic()
        engine.fire(sid, "begin_search", actor=COACH)
        release.join()
        assert time.monotonic() - started > 0.1  # it really waited for the lock
        assert engine.stream(sid).state == "searching"


def test_a_database_busy_beyond_the_retries_is_a_store_error(
    db_path: Path, clock: FakeClock
) -> None:
    """Bounded retries: a lock held for good ends in a StoreError, nothing written."""
    with Engine(SQLiteStore(db_path, busy_timeout=0.01, retries=2), clock=clock) as engine:
        sid = journey(engine).open()
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreError, match="locked"):
                engine.fire(sid, "begin_search", actor=COACH)
        finally:
            blocker.execute("ROLLBACK")
        assert engine.stream(sid).state == "orientation"


def test_verify_database_reads_without_writing(engine: Engine, db_path: Path) -> None:
    """verify_database opens read-only and reports an intact log."""
    journey(engine).open()
    engine.close()
    mtime = db_path.stat().st_mtime_ns
    report = verify_database(db_path)
    assert report.ok
    assert (report.streams, report.events) == (1, 1)
    assert db_path.stat().st_mtime_ns == mtime


def test_an_engine_sees_what_another_engine_wrote(db_path: Path, clock: FakeClock) -> None:
    """Facts written by another engine (process, host) are never served stale."""
    from support import PLACEMENT_OFFICE, journey

    with (
        Engine(db_path, clock=clock, plugins=[Recognises()]) as first,
        Engine(db_path, clock=clock) as second,
    ):
        sid = journey(first).open()
        journey(first).to_agreement_pending(sid)
        assert not first.check(sid, "confirm_signatures", actor=PLACEMENT_OFFICE).allowed
        journey(second).sign(sid)
        assert first.check(sid, "confirm_signatures", actor=PLACEMENT_OFFICE).allowed
        first.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
        second.fire(
            sid,
            "amend_agreement",
            actor=PLACEMENT_OFFICE,
            data={"document": "pok-2", "hours_per_week": 32},
        )
        assert first.stream(sid).facts["signatures"] == ()
        assert not first.check(sid, "confirm_signatures", actor=PLACEMENT_OFFICE).allowed


def test_a_damaged_file_read_is_a_store_error(engine: Engine, db_path: Path) -> None:
    """Reads name the file and the reason, as writes do: no raw sqlite3 error."""
    sid = journey(engine).open()
    engine.store.close()  # its log checkpointed into the file
    with closing(sqlite3.connect(db_path)) as conn:
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'events'"
        ).fetchone()
    data = bytearray(db_path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    data[(root - 1) * page : root * page] = b"\xff" * page
    db_path.write_bytes(bytes(data))
    Path(f"{db_path}-wal").unlink(missing_ok=True)
    reader = SQLiteStore(db_path, read_only=True)
    try:
        with pytest.raises(StoreError, match="cannot read the database"):
            reader.read_events(sid)
        with pytest.raises(StoreError, match="cannot read the database"):
            reader.events_after(0, 10)
    finally:
        reader.close()


def test_a_store_inherited_through_a_fork_refuses_to_work(db_path: Path) -> None:
    """A forked child must open its own store: an inherited SQLite connection could
    corrupt the file, so the inherited store says so instead."""
    import os

    store = SQLiteStore(db_path)
    store.read_stream("s-1")  # a connection in this process
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status, touch nothing else
        try:
            store.read_stream("s-1")
        except StoreError as exc:
            store.close()
            os._exit(0 if "another process" in str(exc) else 1)
        os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.read_stream("s-1") is None  # the parent's store is unharmed
    store.close()
