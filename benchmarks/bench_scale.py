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
  sqlite3), one transaction per transition: lock and read the stream row, (PostgreSQL)
  take the transaction's log position, insert one event row of the same size, update
  the projection row, commit.

A first version: the batched figures of the PostgreSQL issue are still to come.
"""

from __future__ import annotations

import argparse
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
    columns = 17 if postgres else 16
    insert = (
        "INSERT INTO events (stream_id, seq, type, name, occurred_at, actor_id, actor_role, "
        "from_state, to_state, lifecycle, definition, header, body, body_hash, prev_hash, hash"
        f"{', position' if postgres else ''}) VALUES ({', '.join([mark] * columns)})"
    )
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
        if postgres:  # the log position the store takes: the transaction's id, shifted
            values += (conn.execute(LOG_POSITION).fetchone()[0],)
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
                f"INSERT INTO streams VALUES ({', '.join(['%s'] * 10)})", rows
            )
    else:
        with sqlite3.connect(db) as conn:
            conn.executemany(f"INSERT INTO streams VALUES ({', '.join('?' * 10)})", rows)


# -- running processes together --------------------------------------------------------


def together(target: Callable[..., None], args: Sequence[tuple[Any, ...]]) -> float:
    """Run one process per argument tuple, started together: the slowest one's seconds."""
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    processes = [context.Process(target=target, args=(*a, start, out)) for a in args]
    for process in processes:
        process.start()
    time.sleep(0.5 + 0.5 * len(processes))  # let every process finish its setting up
    start.set()
    elapsed: list[float] = []
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=400, help="fires per process")
    parser.add_argument("--procs", default="1,4", help="process counts, comma-separated")
    parser.add_argument("--dsn", default=os.environ.get("STAGEBORGING_TEST_POSTGRES_DSN"))
    args = parser.parse_args(argv)
    procs = [int(p) for p in args.procs.split(",")]
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, n={args.n}")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        files = iter(range(1_000_000))
        bench("sqlite", lambda: str(Path(tmp) / f"s{next(files)}.db"), procs, args.n)
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
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[call-overload]
    return 0


if __name__ == "__main__":
    sys.exit(main())
