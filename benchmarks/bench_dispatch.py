"""What delivery costs: N outbox entries (each to two recipients) dispatched through a
channel that accepts at once, beside the bare floor of the same run (leasing each entry
and settling it delivered through the store, with no recipients, contacts, templates,
threads or attempt records), on SQLite and PostgreSQL; and three dispatchers at once.

Run from the repository root (PostgreSQL from ``$STAGEBORGING_TEST_POSTGRES_DSN``, or
``--dsn``; in a schema of its own, dropped afterwards)::

    .venv/bin/python benchmarks/bench_dispatch.py [--entries 2000] [--dsn URL]

Each figure is one ``name: value unit`` line. The channel does no I/O, so the figures
are the dispatcher's own cost: a real channel's round trip (an SMTP or HTTP exchange,
milliseconds) comes on top of it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stageborging import Actor, Contact, Engine, MessageTemplate, Notification, hookimpl
from stageborging.store import open_store
from stageborging.testing import KitContacts, RecordingChannel

OFFICE = Actor("po-1", "placement_office")
DETAILS = {"student": "stu-1", "programme": "ict", "planned_start": "2027-09-01",
           "planned_end": "2028-01-31", "planned_hours": 640}  # fmt: skip
BOOK = {"coach": ["coach-1", "coach-2"]}
CONTACTS = {p: Contact(f"{p}@roc.example", p, "https://sis.example/1") for p in BOOK["coach"]}


class Queues:
    """One notification per stream opened, and its template."""

    name = "bench-queues"

    @hookimpl
    def stageborging_after_transition(self) -> list[Notification]:
        return [Notification("email", "coach", "bench.moved", {"step": "x"})]

    @hookimpl
    def stageborging_templates(self) -> list[MessageTemplate]:
        texts = {"nl": "Verplaatst {step}", "en": "Moved {step}"}
        return [MessageTemplate.framed("bench.moved", texts, texts)]


def fill(url: str, entries: int) -> None:
    with Engine(url, plugins=[Queues()]) as engine, engine.batch() as batch:
        for n in range(entries):
            batch.open("hbo_stage", actor=OFFICE, data=DETAILS, stream_id=f"s-{n:06d}")
            batch.fire(f"s-{n:06d}", "begin_search", actor=Actor("stu-1", "student"))


def engine(url: str) -> tuple[Engine, RecordingChannel]:
    channel = RecordingChannel()
    plugins = [Queues(), KitContacts(BOOK, CONTACTS), channel.plugin()]
    return Engine(url, plugins=plugins), channel


def dispatched(url: str, entries: int) -> float:
    """Seconds to dispatch every entry in one pass."""
    found, channel = engine(url)
    with found:
        started = time.perf_counter()
        report = found.dispatch(limit=entries)
        took = time.perf_counter() - started
    assert report.delivered == entries, report
    assert len(channel.delivered) == 2 * entries
    return took


def bare(url: str, entries: int) -> float:
    """Seconds to lease and settle every entry through the store alone."""
    store = open_store(url)
    now = datetime.now(UTC)
    try:
        started = time.perf_counter()
        for _ in range(entries):
            [entry] = store.lease_outbox("bare", now, timedelta(minutes=5), 1, "email")
            store.settle_outbox(entry.key, "bare", now, delivered=True)
        return time.perf_counter() - started
    finally:
        store.close()


def _worker(url: str, start: Any) -> None:
    found, _ = engine(url)
    with found:
        start.wait()
        while found.dispatch().entries:
            pass


def three(url: str) -> float:
    """Seconds for three dispatcher processes to deliver everything."""
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_worker, args=(url, start)) for _ in range(3)]
    for worker in workers:
        worker.start()
    time.sleep(2)  # let them import and open
    started = time.perf_counter()
    start.set()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def run(backend: str, make_url: Any, entries: int) -> None:
    url = make_url("one")
    fill(url, entries)
    took = dispatched(url, entries)
    url = make_url("bare")
    fill(url, entries)
    floor = bare(url, entries)
    url = make_url("three")
    fill(url, entries)
    parallel = three(url)
    print(f"{backend} entries: {entries} (two recipients each)")
    each = took * 1000 / entries
    print(f"{backend} dispatch: {entries / took:.0f} entries/s ({each:.2f} ms each)")
    print(f"{backend} floor (lease and settle only): {entries / floor:.0f} entries/s")
    print(f"{backend} dispatch / floor (time): {took / floor:.2f}")
    print(f"{backend} three dispatchers: {entries / parallel:.0f} entries/s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--dsn", default=os.environ.get("STAGEBORGING_TEST_POSTGRES_DSN"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        run("sqlite", lambda name: str(Path(folder) / f"{name}.db"), args.entries)
    if args.dsn:
        import psycopg

        schemas: list[str] = []
        separator = "&" if "?" in args.dsn else "?"

        def schema_url(name: str) -> str:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(args.dsn, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[call-overload]
            schemas.append(schema)
            return f"{args.dsn}{separator}options=-csearch_path%3D{schema}"

        try:
            run("postgresql", schema_url, args.entries)
        finally:
            with psycopg.connect(args.dsn, autocommit=True) as conn:
                for schema in schemas:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[call-overload]
    else:
        print("postgresql: skipped (no --dsn, no $STAGEBORGING_TEST_POSTGRES_DSN)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
