"""Opening a database never fails because another process is writing or starting.

Real processes (``spawn``, so nothing is inherited but the arguments) on real
files; no wall-clock assertions: a blocker holds its lock for a moment, the
opener must simply succeed.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

import pytest

from stageborging import Actor, Engine, StoreError, verify_database
from stageborging.store import SCHEMA_VERSION

_CONTEXT = multiprocessing.get_context("spawn")
ADVISOR = Actor("vp-1", "confidential_advisor")


def _hold_write_lock(path: str, locked: Event, seconds: float) -> None:
    """Create *path* as a plain SQLite file and hold BEGIN IMMEDIATE for *seconds*."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    locked.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def _start_and_open_a_stream(
    path: str, barrier: Barrier, stream_id: str, results: Queue[str]
) -> None:
    """Wait for every other starter, then start an engine and open one stream."""
    barrier.wait()
    try:
        with Engine(path) as engine:
            engine.open("case", actor=ADVISOR, stream_id=stream_id, data={"phase": "search"})
    except StoreError as exc:  # reported to the parent, which fails the test
        results.put(f"{stream_id}: {exc}")
    else:
        results.put("ok")


def test_a_new_file_opens_while_another_process_holds_a_write_lock(tmp_path: Path) -> None:
    """Engine(path) on a new file waits for a writer's BEGIN IMMEDIATE instead of failing."""
    path = tmp_path / "school.db"
    locked = _CONTEXT.Event()
    blocker = _CONTEXT.Process(target=_hold_write_lock, args=(str(path), locked, 0.3))
    blocker.start()
    try:
        assert locked.wait(30), "the blocker never took its lock"
        with Engine(path) as engine:
            engine.open("case", actor=ADVISOR, data={"phase": "search"})
    finally:
        blocker.join(30)
    assert blocker.exitcode == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert verify_database(path).ok


def test_a_write_lock_held_beyond_the_retries_fails_the_open_with_a_store_error(
    tmp_path: Path,
) -> None:
    """Opening is bounded like a command: busy timeout, then the retries, then a StoreError."""
    from stageborging import SQLiteStore

    path = tmp_path / "school.db"
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="locked"):
            SQLiteStore(path, busy_timeout=0.01, retries=2)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_concurrent_first_starts_on_one_fresh_file_all_succeed(tmp_path: Path) -> None:
    """Twelve processes starting on one new file at once: one migrates, the others wait."""
    path = tmp_path / "school.db"
    starters = 16
    barrier = _CONTEXT.Barrier(starters)
    queue: Queue[str] = _CONTEXT.Queue()
    processes = [
        _CONTEXT.Process(
            target=_start_and_open_a_stream, args=(str(path), barrier, f"case-{n:02d}", queue)
        )
        for n in range(starters)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
    assert results == ["ok"] * starters
    assert [process.exitcode for process in processes] == [0] * starters
    report = verify_database(path)
    assert report.ok, report.breaks
    assert (report.streams, report.events) == (starters, starters)
