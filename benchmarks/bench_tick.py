"""How fast ``Engine.tick`` is: idle over a million open deadlines, and busy with ten
thousand due ones, on SQLite and PostgreSQL.

Run from the repository root (PostgreSQL from ``$STAGEBORGING_TEST_POSTGRES_DSN``, or
``--dsn``; in schemas of its own, dropped afterwards)::

    .venv/bin/python benchmarks/bench_tick.py [--idle 1000000] [--due 10000] [--dsn URL]

Idle: ``--idle`` open deadlines are written by hand, none due; one ``tick`` is timed
(the median of ``--repeat``) against its floor, the bare indexed claim in a write
transaction of its own. Busy: ``--due`` internships are opened and start searching
through the engine (a batch at a time), each scheduling a check-in; one ``tick`` a day
after it fell due escalates them all, reported in escalations per second against the
floor of writing the same rows by hand (per deadline: the event, the projection update,
the outbox row and the deadline's close, a hundred per transaction). Every figure is one
``name: value unit`` line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stageborging import Actor, Engine, GuidanceStep, hookimpl

OFFICE = Actor("po-bench", "placement_office")
STUDENT = Actor("stu-bench", "student")
#: Opened and searching on this day, the check-in due 14 days later.
OPENED = datetime(2027, 3, 1, 9, tzinfo=UTC)
AFTER_DUE = OPENED + timedelta(days=16)
STAMP = "2027-03-17T09:00:00.000000Z"  # AFTER_DUE as the log writes times
COLUMNS = (
    "key, stream_id, step, due_at, created_at, status, closed_at, data, kind, role, institution"
)
DETAILS = {"student": "stu-bench", "programme": "prog-1", "qualification": "25604", "level": 4,
           "track": "BOL", "planned_start": "2027-09-01", "planned_end": "2028-06-30",
           "planned_hours": 640, "turns_18_on": "2025-01-01"}  # fmt: skip


class Steps:
    """One check-in two weeks after the search begins."""

    name = "bench-steps"

    @hookimpl
    def stageborging_guidance_steps(self) -> list[GuidanceStep]:
        return [GuidanceStep(name="check_in", anchor="entered:searching", role="coach",
                             offset=14, done_by="guidance_contact")]  # fmt: skip


def emit(name: str, value: float | str, unit: str = "") -> None:
    shown = f"{value:.2f}" if isinstance(value, float) else value
    print(f"{name}: {shown}{' ' + unit if unit else ''}", flush=True)


def idle_rows(count: int) -> Iterator[tuple[Any, ...]]:
    """*count* open deadlines, due from next year on (none due at AFTER_DUE)."""
    for n in range(count):
        due = f"2028-{1 + n % 12:02}-{1 + n % 28:02}T22:59:59.999999Z"
        yield (f"s{n:09}:check_in:2:0", f"s{n:09}", "check_in", due,
               "2027-03-01T09:00:00.000000Z", "open", None, "{}", "deadline", "coach",
               f"roc-{n % 10}")  # fmt: skip


def fill_idle_sqlite(path: str, count: int) -> None:
    Engine(path).close()
    with sqlite3.connect(path) as conn:
        conn.executemany(f"INSERT INTO deadlines ({COLUMNS}) VALUES ({', '.join('?' * 11)})",
                         idle_rows(count))  # fmt: skip
        conn.execute("ANALYZE")


def fill_idle_postgres(url: str, count: int) -> None:
    import psycopg

    Engine(url).close()
    with psycopg.connect(url) as conn:
        with conn.cursor() as cursor, cursor.copy(f"COPY deadlines ({COLUMNS}) FROM STDIN") as copy:
            for row in idle_rows(count):
                copy.write_row(row)
        conn.execute("ANALYZE deadlines")


def median_ms(work: Callable[[], object], repeat: int) -> float:
    work()  # warm
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


CLAIM = ("SELECT key FROM deadlines WHERE status = 'open' AND kind = 'deadline' "
         "AND due_at <= {p} ORDER BY due_at, id LIMIT 100")  # fmt: skip


def idle(label: str, db: str, floor: Callable[[], object], repeat: int) -> None:
    with Engine(db, plugins=[Steps()], clock=lambda: AFTER_DUE) as engine:
        tick = median_ms(engine.tick, repeat)
    bare = median_ms(floor, repeat)
    emit(f"{label} idle tick", tick, "ms")
    emit(f"{label} idle floor (bare claim in a transaction)", bare, "ms")


def build_due(db: str, count: int) -> None:
    """*count* internships searching since OPENED, each with its check-in deadline."""
    clock = [OPENED]
    with Engine(db, plugins=[Steps()], clock=lambda: clock[0]) as engine:
        for first in range(0, count, 500):
            with engine.batch() as batch:
                for n in range(first, min(first + 500, count)):
                    sid = f"s{n:09}"
                    batch.open("mbo_bpv", actor=OFFICE, data=DETAILS, stream_id=sid)
                    batch.fire(sid, "begin_search", actor=STUDENT)


def busy(label: str, db: str, count: int) -> float:
    clock = [AFTER_DUE]
    with Engine(db, plugins=[Steps()], clock=lambda: clock[0]) as engine:
        began = time.perf_counter()
        report = engine.tick()
        seconds = time.perf_counter() - began
    assert report.missed == count, report
    rate = count / seconds
    emit(f"{label} busy tick ({count} escalations)", seconds, "s")
    emit(f"{label} escalations per second", rate, "/s")
    return rate


def by_hand(connect: Callable[[], Any], p: str, count: int) -> float:
    """Write what tick writes for each due deadline, by hand: a hundred per transaction."""
    conn = connect()
    position: tuple[Any, ...] = ("", "")  # SQLite numbers the rows itself
    if p == "%s":  # PostgreSQL: the engine's commit-ordered position, as the store writes it
        from stageborging.store._pg_schema import LOG_POSITION

        position = ("position, ", f"{LOG_POSITION} + %s, ")
    header, body = b"h" * 420, b"b" * 230  # the sizes of an escalated event's header and body
    began = time.perf_counter()
    done = 0
    while done < count:
        cursor = conn.cursor()
        lock = " FOR UPDATE SKIP LOCKED" if p == "%s" else ""
        cursor.execute(CLAIM.format(p=p) + lock, (STAMP,))
        keys = [row[0] for row in cursor.fetchall()]
        if not keys:
            break
        for index, key in enumerate(keys):
            sid = key.split(":")[0]
            place = (index,) if p == "%s" else ()
            cursor.execute(f"SELECT version FROM streams WHERE id = {p}", (sid,))
            (version,) = cursor.fetchone()
            digest = uuid.uuid4().hex * 2
            cursor.execute(
                f"INSERT INTO events ({position[0]}stream_id, seq, type, name, occurred_at, "
                "actor_id, actor_role, from_state, to_state, lifecycle, definition, header, "
                f"body, body_hash, prev_hash, hash, institution) VALUES ({position[1]}"
                f"{', '.join([p] * 17)})",
                (*place, sid, version + 1, "escalated", "check_in", STAMP,
                 "guidance", "system", "searching", "searching", "mbo_bpv", "0" * 64, header,
                 body, digest, digest, digest, ""),
            )  # fmt: skip
            cursor.execute(f"UPDATE streams SET version = {p}, head_hash = {p}, updated_at = "
                           f"{p} WHERE id = {p}", (version + 1, digest,
                           STAMP, sid))  # fmt: skip
            cursor.execute(
                "INSERT INTO outbox (key, stream_id, seq, plugin, channel, recipient_role, "
                f"template, params, created_at) VALUES ({', '.join([p] * 9)})",
                (f"{sid}:{version + 1}:guidance:0", sid, version + 1, "guidance", "email",
                 "coach", "guidance.missed", '{"due":"2027-03-15","step":"check_in"}',
                 STAMP),
            )  # fmt: skip
            cursor.execute(f"UPDATE deadlines SET status = 'missed', closed_at = {p} WHERE key = "
                           f"{p}", (STAMP, key))  # fmt: skip
        conn.commit()
        done += len(keys)
    seconds = time.perf_counter() - began
    conn.close()
    return done / seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--idle", type=int, default=1_000_000, help="open deadlines, none due")
    parser.add_argument("--due", type=int, default=10_000, help="deadlines due at the busy tick")
    parser.add_argument("--repeat", type=int, default=5, help="timed idle ticks")
    parser.add_argument("--dsn", default=os.environ.get("STAGEBORGING_TEST_POSTGRES_DSN"))
    args = parser.parse_args(argv)
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
          f"{args.idle} idle and {args.due} due deadlines")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-tick-") as tmp:
        path = str(Path(tmp) / "idle.db")
        fill_idle_sqlite(path, args.idle)

        floor_conn = sqlite3.connect(path, isolation_level=None)

        def sqlite_floor() -> None:
            floor_conn.execute("BEGIN IMMEDIATE")
            floor_conn.execute(CLAIM.format(p="?"), (STAMP,)).fetchall()
            floor_conn.execute("COMMIT")

        idle("sqlite", path, sqlite_floor, args.repeat)
        floor_conn.close()
        busy_path, floor_path = str(Path(tmp) / "busy.db"), str(Path(tmp) / "floor.db")
        build_due(busy_path, args.due)
        shutil.copyfile(busy_path, floor_path)
        for suffix in ("-wal", "-shm"):
            if Path(busy_path + suffix).exists():
                shutil.copyfile(busy_path + suffix, floor_path + suffix)
        rate = busy("sqlite", busy_path, args.due)
        floor = by_hand(lambda: sqlite3.connect(floor_path), "?", args.due)
        emit("sqlite by-hand floor", floor, "/s")
        emit("sqlite tick share of floor", rate / floor * 100, "%")
    if not args.dsn:
        print("# PostgreSQL skipped: no --dsn and no $STAGEBORGING_TEST_POSTGRES_DSN")
        return 0
    import psycopg

    schemas = [f"bench_{uuid.uuid4().hex[:10]}" for _ in range(3)]
    separator = "&" if "?" in args.dsn else "?"
    urls = [f"{args.dsn}{separator}options=-csearch_path%3D{s}" for s in schemas]
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[call-overload]
    try:
        fill_idle_postgres(urls[0], args.idle)
        with psycopg.connect(urls[0]) as floor_conn:

            def postgres_floor() -> None:
                floor_conn.execute(CLAIM.format(p="%s") + " FOR UPDATE SKIP LOCKED",
                                   (STAMP,)).fetchall()  # fmt: skip
                floor_conn.commit()

            idle("postgresql", urls[0], postgres_floor, args.repeat)
        build_due(urls[1], args.due)
        build_due(urls[2], args.due)
        rate = busy("postgresql", urls[1], args.due)
        floor = by_hand(lambda: psycopg.connect(urls[2]), "%s", args.due)
        emit("postgresql by-hand floor", floor, "/s")
        emit("postgresql tick share of floor", rate / floor * 100, "%")
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[call-overload]
    return 0


if __name__ == "__main__":
    sys.exit(main())
