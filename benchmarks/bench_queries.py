"""How fast ``Engine.streams`` returns its first page on a large database, on SQLite and
PostgreSQL.

Run from the repository root (PostgreSQL from ``$STAGEBORGING_TEST_POSTGRES_DSN``, or
``--dsn``; in a schema of its own, dropped afterwards)::

    .venv/bin/python benchmarks/bench_queries.py [--streams 1000000] [--dsn URL]

The streams are written by hand (the projection rows an engine would write, with
realistic facts; no events: a query reads only the streams table), then the database is
analysed as an operator would, and each query's first page of 100 is timed: the median
of ``--repeat`` runs, in milliseconds. Every figure is one ``name: value unit`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stageborging import Engine

#: The stream columns the rows below fill: a school group of ten institutions.
STREAM_COLUMNS = (
    "id, kind, lifecycle, definition, state, version, head_hash, facts, opened_at, updated_at, "
    "institution"
)
STATES = ["orientation", "searching", "assisted_search", "placement_proposed", "active",
          "completed", "terminated", "withdrawn"]  # fmt: skip
QUERIES: dict[str, dict[str, Any]] = {
    "state": {"lifecycle": "mbo_bpv", "state": "searching"},
    "states": {"state": ["searching", "assisted_search", "placement_proposed"]},
    "programme": {"programme": "prog-17"},
    "programme + state": {"programme": "prog-17", "state": "searching"},
    "student": {"student": "stu-123456"},
    "employer": {"employer": "emp-4242"},
    "qualification + level": {"qualification": "q-31", "level": 4},
    "planned-start window": {"planned_from": "2027-02-01", "planned_to": "2027-02-28"},
    "updated since": {"updated_since": datetime(2027, 6, 1, tzinfo=UTC)},
    "institution": {"institution": "roc-3"},
    "institution + state": {"institution": "roc-3", "state": "searching"},
    "no filter": {},
}


def emit(name: str, value: float | str, unit: str = "") -> None:
    shown = f"{value:.2f}" if isinstance(value, float) else value
    print(f"{name}: {shown}{' ' + unit if unit else ''}", flush=True)


def rows(count: int) -> Iterator[tuple[Any, ...]]:
    """Projection rows of *count* internships, their keys spread as a country's would be."""
    chance = random.Random(2027)
    for n in range(count):
        details = {
            "student": f"stu-{chance.randrange(count)}", "programme": f"prog-{n % 200}",
            "qualification": f"q-{n % 400}", "level": 1 + n % 4, "track": ("BOL", "BBL")[n % 2],
            "planned_start": f"2027-{1 + n % 12:02}-01", "planned_end": "2028-06-30",
            "planned_hours": 640,
        }  # fmt: skip
        facts = {"details": details, "employer": f"emp-{chance.randrange(20_000)}",
                 "signatures": [], "agreement_version": 0}  # fmt: skip
        updated = f"2027-{1 + n % 12:02}-{1 + n % 28:02}T09:00:00.000000Z"
        yield (f"{n:012x}{uuid.UUID(int=n).hex[:20]}", "internship", "mbo_bpv", "0" * 64,
               STATES[n % len(STATES)], 5, "0" * 64, json.dumps(facts, sort_keys=True),
               "2027-01-01T09:00:00.000000Z", updated, f"roc-{n % 10}")  # fmt: skip


def fill_sqlite(path: str, count: int) -> None:
    Engine(path).close()
    with sqlite3.connect(path) as conn:
        conn.executemany(
            f"INSERT INTO streams ({STREAM_COLUMNS}) VALUES ({', '.join('?' * 11)})", rows(count)
        )
        conn.execute("ANALYZE")


def fill_postgres(url: str, count: int) -> None:
    import psycopg

    Engine(url).close()
    with psycopg.connect(url) as conn:
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY streams ({STREAM_COLUMNS}) FROM STDIN") as copy,
        ):
            for row in rows(count):
                copy.write_row(row)
        conn.execute("ANALYZE streams")


def time_queries(db: str, label: str, repeat: int) -> None:
    with Engine(db) as engine:
        for name, filters in QUERIES.items():
            engine.streams(**filters, limit=100)  # warm the caches, as a running SIS has
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                page = engine.streams(**filters, limit=100)
                times.append((time.perf_counter() - began) * 1000)
            emit(f"{label} first page, {name} ({len(page.streams)} streams)",
                 statistics.median(times), "ms")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--streams", type=int, default=1_000_000, help="streams in the database")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query")
    parser.add_argument("--dsn", default=os.environ.get("STAGEBORGING_TEST_POSTGRES_DSN"))
    args = parser.parse_args(argv)
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
          f"{args.streams} streams")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-queries-") as tmp:
        path = str(Path(tmp) / "queries.db")
        began = time.perf_counter()
        fill_sqlite(path, args.streams)
        print(f"# sqlite filled in {time.perf_counter() - began:.0f} s")
        time_queries(path, "sqlite", args.repeat)
    if not args.dsn:
        print("# PostgreSQL skipped: no --dsn and no $STAGEBORGING_TEST_POSTGRES_DSN")
        return 0
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[call-overload]
    separator = "&" if "?" in args.dsn else "?"
    url = f"{args.dsn}{separator}options=-csearch_path%3D{schema}"
    try:
        began = time.perf_counter()
        fill_postgres(url, args.streams)
        print(f"# postgresql filled in {time.perf_counter() - began:.0f} s")
        time_queries(url, "postgresql", args.repeat)
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[call-overload]
    return 0


if __name__ == "__main__":
    sys.exit(main())
