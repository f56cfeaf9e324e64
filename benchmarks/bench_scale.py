"""Fires per second with 1 and with 4 processes, on PostgreSQL and on SQLite, each beside
its bare floor measured in the same run.

Run from the repository root (PostgreSQL from ``$STAGEBORGING_TEST_POSTGRES_DSN``, or
``--dsn``; each run in a schema of its own, dropped afterwards)::

    .venv/bin/python benchmarks/bench_scale.py [--n N] [--procs 1,4] [--dsn URL]

Every figure is one ``name: value unit`` line; lines starting with ``#`` are context.

* **fire**: each process drives its own internships to ``active``, then alternates
  ``suspend`` / ``resume`` round-robin over them with ``Engine.fire``; all processes
  start together and the figure is every command of every process over the slowest
  process's time.
* **floor**: the SQL one transition cannot avoid, written by hand (psycopg or
  sqlite3), one transaction per transition: lock and read the stream row, insert one
  event row of the same size, update the projection row, commit. As the store does it:
  on PostgreSQL the log position is computed in the insert and the two writes go in
  one round trip (pipeline mode).

* **batched open / fire**: one process opens internships with ``Engine.batch()``, so
  many commands share one transaction (``--batch`` per transaction), then fires
  ``begin_search`` on each of them the same way; beside it the **batched floor**: the
  same rows written by hand, as many per transaction, as the store writes them (the
  batch's stream rows locked and read first: one query on PostgreSQL, one per row on
  SQLite; then per command its event inserted and its stream row inserted or updated,
  on PostgreSQL every write of the batch in one pipeline round trip).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import multiprocessing
import os
import queue
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stageborging import Actor, Engine
from stageborging.store._pg_schema import LOG_POSITION
from stageborging.testing import FakeClock, Journey, KitRegister

COACH = Actor("coach-1", "coach")
SUSPEND = {"reason": "illness"}
DETAILS = {  # an MBO internship's opening data
    "student": "stu-1", "programme": "prog-ict", "qualification": "25604", "level": 4,
    "track": "BOL", "planned_start": "2027-02-01", "planned_end": "2027-06-30",
    "planned_hours": 400, "turns_18_on": "2025-09-01",
}  # fmt: skip


def emit(name: str, value: float | str, unit: str = "") -> None:
    shown = f"{value:.2f}" if isinstance(value, float) else value
    print(f"{name}: {shown}{' ' + unit if unit else ''}", flush=True)


# -- one worker process ----------------------------------------------------------------


def engine_worker(db: str, streams: int, n: int, start: Any, out: Any) -> None:
    clock = FakeClock()
    with Engine(db, plugins=[KitRegister()], clock=clock) as engine:
        journey = Journey(engine, clock)
        sids = []
        for _ in range(streams):
            sid = journey.open()
            journey.to_active(sid)
            sids.append(sid)
        active = dict.fromkeys(sids, True)
        start.wait()
        began = time.perf_counter()
        for i in range(n):
            sid = sids[i % len(sids)]
            if active[sid]:
                engine.fire(sid, "suspend", actor=COACH, data=SUSPEND)
            else:
                engine.fire(sid, "resume", actor=COACH)
            active[sid] = not active[sid]
        out.put(time.perf_counter() - began)


_HEADER = b"x" * 420  # about the size of a real header
_BODY = b'{"data":{"reason":"illness"},"date":"2027-02-01","findings":[]}'
_FACTS = "{" + '"details":{},' * 0 + '"x":"' + "y" * 600 + '"}'
#: The stream columns the floor fills (the institution keeps its default).
STREAM_COLUMNS = (
    "id, kind, lifecycle, definition, state, version, head_hash, facts, opened_at, updated_at"
)


def _insert_event(postgres: bool) -> str:
    """The event insert the store runs (on PostgreSQL its position is computed in it)."""
    columns = "stream_id, seq, type, name, occurred_at, actor_id, actor_role, from_state, "
    columns += "to_state, lifecycle, definition, header, body, body_hash, prev_hash, hash"
    if postgres:
        marks = ", ".join(["%s"] * 16)
        return f"INSERT INTO events ({columns}, position) VALUES ({marks}, {LOG_POSITION} + %s)"
    return f"INSERT INTO events ({columns}) VALUES ({', '.join('?' * 16)})"


def _writes(conn: Any, postgres: bool) -> Any:
    """What the store wraps a command's writes in: one round trip (PostgreSQL pipeline)."""
    return conn.pipeline() if postgres else contextlib.nullcontext()


def _floor_rows(worker: int, streams: int) -> list[str]:
    return [f"floor-{worker}-{i}" for i in range(streams)]


def floor_worker(db: str, worker: int, streams: int, n: int, start: Any, out: Any) -> None:
    postgres = db.startswith("postgresql://")
    if postgres:
        import psycopg

        conn: Any = psycopg.connect(db)
        mark = "%s"
    else:
        conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        mark = "?"
    ids = _floor_rows(worker, streams)
    versions = dict.fromkeys(ids, 1)
    insert = _insert_event(postgres)
    select = f"SELECT version, head_hash, facts FROM streams WHERE id = {mark}"
    update = (
        f"UPDATE streams SET state = {mark}, version = {mark}, head_hash = {mark}, "
        f"facts = {mark}, updated_at = {mark} WHERE id = {mark} AND version = {mark}"
    )
    begin = "BEGIN" if postgres else "BEGIN IMMEDIATE"
    start.wait()
    began = time.perf_counter()
    for i in range(n):
        sid = ids[i % len(ids)]
        if not postgres:
            conn.execute(begin)
        cursor = conn.execute(select + (" FOR UPDATE" if postgres else ""), (sid,))
        version, head, _ = cursor.fetchone()
        digest = hashlib.sha256(f"{sid}{version}".encode()).hexdigest()
        state = "suspended" if version % 2 else "active"
        values: tuple[Any, ...] = (
            sid, version + 1, "transitioned", "suspend", "2027-02-01T09:00:00.000000Z",
            "coach-1", "coach", "active", state, "mbo_bpv", "0" * 64, _HEADER, _BODY,
            digest, head, digest,
        )  # fmt: skip
        if postgres:  # the log position: the transaction's id, shifted, plus its index
            values += (0,)
        with _writes(conn, postgres):
            conn.execute(insert, values)
            conn.execute(update, (state, version + 1, digest, _FACTS, "2027-02-01", sid, version))
        conn.commit() if postgres else conn.execute("COMMIT")
        versions[sid] = version + 1
    out.put(time.perf_counter() - began)
    conn.close()


def seed_floor(db: str, workers: int, streams: int) -> None:
    """The floor's streams, and the schema (an engine creates it)."""
    Engine(db).close()
    rows = [
        (sid, "internship", "mbo_bpv", "0" * 64, "active", 1, "0" * 64, _FACTS, "t", "t")
        for w in range(workers)
        for sid in _floor_rows(w, streams)
    ]
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as conn:
            conn.cursor().executemany(
                f"INSERT INTO streams ({STREAM_COLUMNS}) VALUES ({', '.join(['%s'] * 10)})", rows
            )
    else:
        with sqlite3.connect(db) as conn:
            conn.executemany(
                f"INSERT INTO streams ({STREAM_COLUMNS}) VALUES ({', '.join('?' * 10)})", rows
            )


def batch_engine_worker(db: str, n: int, size: int, start: Any, out: Any) -> None:
    """Open *n* internships in batches of *size*, then fire ``begin_search`` on each."""
    clock = FakeClock()
    office, student = Actor("po-1", "placement_office"), Actor("stu-1", "student")
    with Engine(db, plugins=[KitRegister()], clock=clock) as engine:
        start.wait()
        began = time.perf_counter()
        sids: list[str] = []
        for first in range(0, n, size):
            with engine.batch() as batch:
                sids += [batch.open("mbo_bpv", actor=office, data=DETAILS)
                         for _ in range(min(size, n - first))]  # fmt: skip
            assert not batch.failed
        opened = time.perf_counter()
        for first in range(0, n, size):
            with engine.batch() as batch:
                for sid in sids[first : first + size]:
                    batch.fire(sid, "begin_search", actor=student)
            assert not batch.failed
        out.put((opened - began, time.perf_counter() - opened))


def batch_floor_worker(db: str, n: int, size: int, start: Any, out: Any) -> None:
    """The same rows as batch_engine_worker, written by hand, *size* per transaction."""
    postgres = db.startswith("postgresql://")
    mark = "%s" if postgres else "?"
    if postgres:
        import psycopg

        conn: Any = psycopg.connect(db)
    else:
        conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    insert_event = _insert_event(postgres)
    insert_stream = f"INSERT INTO streams ({STREAM_COLUMNS}) VALUES ({', '.join([mark] * 10)})"
    select = f"SELECT version, head_hash FROM streams WHERE id = {mark}"
    update = (
        f"UPDATE streams SET state = {mark}, version = {mark}, head_hash = {mark}, "
        f"updated_at = {mark} WHERE id = {mark} AND version = {mark}"
    )
    ids = [f"floor-{i}" for i in range(n)]

    def event(sid: str, seq: int, name: str, prev: str, index: int) -> tuple[Any, ...]:
        digest = hashlib.sha256(f"{sid}{seq}".encode()).hexdigest()
        values = (
            sid, seq, "opened" if seq == 1 else "transitioned", name,
            "2027-02-01T09:00:00.000000Z", "po-1", "placement_office", "orientation",
            "searching", "mbo_bpv", "0" * 64, _HEADER, _BODY, digest, prev, digest,
        )  # fmt: skip
        return (*values, index) if postgres else values

    def transaction(work: Callable[[list[str]], None], chunk: list[str]) -> None:
        if not postgres:
            conn.execute("BEGIN IMMEDIATE")
        work(chunk)
        conn.commit() if postgres else conn.execute("COMMIT")

    def rows_of(chunk: list[str]) -> dict[str, tuple[int, str]]:
        """The chunk's stream rows, locked: in one query on PostgreSQL, as the store
        locks a batch's streams; one by one on SQLite, as its store reads them."""
        if postgres:
            cursor = conn.execute(
                "SELECT id, version, head_hash FROM streams WHERE id = ANY(%s) ORDER BY id "
                "FOR UPDATE",
                (chunk,),
            )
            return {sid: (version, head) for sid, version, head in cursor}
        found = {}
        for sid in chunk:
            row = conn.execute(select, (sid,)).fetchone()
            if row is not None:
                found[sid] = row
        return found

    def open_some(chunk: list[str]) -> None:
        assert not rows_of(chunk)
        with _writes(conn, postgres):  # every write of the batch in one round trip
            for index, sid in enumerate(chunk):
                conn.execute(insert_event, event(sid, 1, "mbo_bpv", "0" * 64, index))
                conn.execute(insert_stream, (
                    sid, "internship", "mbo_bpv", "0" * 64, "orientation", 1, "0" * 64,
                    _FACTS, "t", "t",
                ))  # fmt: skip

    def fire_some(chunk: list[str]) -> None:
        rows = rows_of(chunk)
        with _writes(conn, postgres):
            for index, sid in enumerate(chunk):
                version, head = rows[sid]
                conn.execute(insert_event, event(sid, version + 1, "begin_search", head, index))
                conn.execute(update, ("searching", version + 1, "h", "t", sid, version))

    start.wait()
    began = time.perf_counter()
    for first in range(0, n, size):
        transaction(open_some, ids[first : first + size])
    opened = time.perf_counter()
    for first in range(0, n, size):
        transaction(fire_some, ids[first : first + size])
    out.put((opened - began, time.perf_counter() - opened))
    conn.close()


# -- running processes together --------------------------------------------------------


def together(target: Callable[..., None], args: Sequence[tuple[Any, ...]]) -> Any:
    """Run one process per argument tuple, started together: the slowest one's result
    (seconds, or a tuple of seconds)."""
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    processes = [context.Process(target=target, args=(*a, start, out)) for a in args]
    for process in processes:
        process.start()
    time.sleep(0.5 + 0.5 * len(processes))  # let every process finish its setting up
    start.set()
    elapsed: list[Any] = []
    while len(elapsed) < len(processes):
        try:
            elapsed.append(out.get(timeout=1))
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                for process in processes:
                    process.kill()
                raise SystemExit("a worker failed") from None
    for process in processes:
        process.join()
        if process.exitcode:
            raise SystemExit(f"a worker failed (exit {process.exitcode})")
    return max(elapsed)


def bench(label: str, new_db: Callable[[], str], procs: Sequence[int], n: int) -> None:
    streams = 8
    rates: dict[str, dict[int, float]] = {"fire": {}, "floor": {}}
    for count in procs:
        db = new_db()
        elapsed = together(engine_worker, [(db, streams, n)] * count)
        rates["fire"][count] = count * n / elapsed
        db = new_db()
        seed_floor(db, count, streams)
        elapsed = together(floor_worker, [(db, w, streams, n) for w in range(count)])
        rates["floor"][count] = count * n / elapsed
        emit(f"{label} fire {count} proc", rates["fire"][count], "fires/s")
        emit(f"{label} floor {count} proc", rates["floor"][count], "fires/s")
        ratio = rates["floor"][count] / rates["fire"][count]
        emit(f"{label} engine/floor ratio {count} proc", ratio)
    low, high = min(procs), max(procs)
    if high > low:
        emit(f"{label} fire scaling {high}/{low}", rates["fire"][high] / rates["fire"][low], "x")
        emit(f"{label} floor scaling {high}/{low}", rates["floor"][high] / rates["floor"][low], "x")


def bench_batches(label: str, new_db: Callable[[], str], n: int, size: int) -> None:
    db = new_db()
    engine_open, engine_fire = together(batch_engine_worker, [(db, n, size)])
    db = new_db()
    Engine(db).close()  # the schema
    floor_open, floor_fire = together(batch_floor_worker, [(db, n, size)])
    for what, engine_s, floor_s in (("open", engine_open, floor_open),
                                    ("fire", engine_fire, floor_fire)):  # fmt: skip
        emit(f"{label} batched {what} (batch {size})", n / engine_s, f"{what}s/s")
        emit(f"{label} batched {what} floor", n / floor_s, f"{what}s/s")
        emit(f"{label} batched {what} engine share of floor", floor_s / engine_s)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=400, help="fires per process")
    parser.add_argument("--procs", default="1,4", help="process counts, comma-separated")
    parser.add_argument("--batch", type=int, default=500, help="commands per batch")
    parser.add_argument("--batched", type=int, default=4000, help="streams opened in batches")
    parser.add_argument("--dsn", default=os.environ.get("STAGEBORGING_TEST_POSTGRES_DSN"))
    args = parser.parse_args(argv)
    procs = [int(p) for p in args.procs.split(",")]
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, n={args.n}")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        files = iter(range(1_000_000))
        bench("sqlite", lambda: str(Path(tmp) / f"s{next(files)}.db"), procs, args.n)
        bench_batches(
            "sqlite", lambda: str(Path(tmp) / f"s{next(files)}.db"), args.batched, args.batch
        )
    if not args.dsn:
        print("# PostgreSQL skipped: no --dsn and no $STAGEBORGING_TEST_POSTGRES_DSN")
        return 0
    import psycopg

    schemas: list[str] = []

    def new_schema() -> str:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[call-overload]
        schemas.append(schema)
        separator = "&" if "?" in args.dsn else "?"
        return f"{args.dsn}{separator}options=-csearch_path%3D{schema}"

    try:
        bench("postgresql", new_schema, procs, args.n)
        bench_batches("postgresql", new_schema, args.batched, args.batch)
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[call-overload]
    return 0


if __name__ == "__main__":
    sys.exit(main())
