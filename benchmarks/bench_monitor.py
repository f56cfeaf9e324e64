"""What a monitoring release costs: the demo's cohort of N students through a school year,
then ``Engine.monitor`` over its log, beside the bare floor of the same run (reading the
same streams and events and parsing their JSON, no measure counted), on SQLite and
PostgreSQL; and the suppression of one large table on its own.

Run from the repository root (PostgreSQL from ``$STAGEBORGING_TEST_POSTGRES_DSN``, or
``--dsn``; in a schema of its own, dropped afterwards)::

    .venv/bin/python benchmarks/bench_monitor.py [--students 1000] [--runs 3] [--dsn URL]

The cohort is the demo's (``stageborging demo --students N``, without the guidance
plugin). Each figure is the median of ``--runs`` runs, one ``name: value unit`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from click.testing import CliRunner

from stageborging import Engine
from stageborging.cli import main as cli
from stageborging.monitoring import suppress
from stageborging.store import Store, StreamQuery, open_store

TYPES = ("opened", "transitioned", "escalated")
NAMES = ("reschedule", "guidance_contact", "hours", "application_outcome", "pattern_alert",
         "dismiss_alert", "raise_flag")  # fmt: skip


def median_ms(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def floor(store: Store) -> int:
    """Read what the monitor reads, parse it, count nothing: the events read."""
    after = None
    while True:
        rows = store.streams(StreamQuery(), after, 2000)
        for row in rows:
            json.loads(row.facts)
        if len(rows) < 2000:
            break
        after = rows[-1].id
    position, events = 0, 0
    while True:
        page = store.events_of(TYPES, NAMES, position, 2000)
        for _, sealed in page:
            json.loads(sealed.body or b"{}")
        events += len(page)
        if len(page) < 2000:
            return events
        position = page[-1][0]


def run(backend: str, url: str, students: int, runs: int) -> None:
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["demo", "--db", url, "--students", str(students),
                                      "--block", "mbo-defaults"])  # fmt: skip
    if result.exit_code != 0:
        raise SystemExit(result.output)
    print(f"{backend} cohort: {students} students, {time.perf_counter() - started:.1f} s to drive")
    store = open_store(url)
    try:
        events = floor(store)
        bare = median_ms(runs, lambda: floor(store))
    finally:
        store.close()
    with Engine(url) as engine:
        release = engine.monitor()
        monitor = median_ms(runs, engine.monitor)
    hidden = release.suppressed
    print(f"{backend} events read: {events}")
    print(f"{backend} monitor: {monitor:.0f} ms")
    print(f"{backend} floor (read and parse only): {bare:.0f} ms")
    print(f"{backend} monitor / floor: {monitor / bare:.2f}")
    print(
        f"{backend} cells suppressed: {hidden['primary']} primary, {hidden['secondary']} secondary"
    )


def suppression(runs: int) -> None:
    rng = random.Random(7)
    rows, columns = 200, 10
    interior = [[rng.choice((0, 1, 2, 3, 4, 6, 9, 14, 30)) for _ in range(columns)]
                for _ in range(rows)]  # fmt: skip
    grid = [[*row, sum(row)] for row in interior]
    grid.append([sum(column) for column in zip(*grid, strict=True)])
    took = median_ms(runs, lambda: suppress(grid, 5))
    statuses = suppress(grid, 5)
    hidden = sum(s.value != "published" for row in statuses for s in row)
    print(f"suppression of a {rows} x {columns} table: {took:.0f} ms ({hidden} cells hidden)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dsn", default=os.environ.get("STAGEBORGING_TEST_POSTGRES_DSN"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        run("sqlite", str(Path(folder) / "monitor.db"), args.students, args.runs)
    if args.dsn:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[call-overload]
        separator = "&" if "?" in args.dsn else "?"
        try:
            run("postgresql", f"{args.dsn}{separator}options=-csearch_path%3D{schema}",
                args.students, args.runs)  # fmt: skip
        finally:
            with psycopg.connect(args.dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[call-overload]
    else:
        print("postgresql: skipped (no --dsn, no $STAGEBORGING_TEST_POSTGRES_DSN)")
    suppression(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
