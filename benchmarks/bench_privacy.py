"""What privacy costs: sealing free text, reading it back by role, erasing, and a
retention scan, on SQLite and PostgreSQL.

Run from the repository root (PostgreSQL from ``$STAGEBORGING_TEST_POSTGRES_DSN``, or
``--dsn``; in a schema of its own, dropped afterwards)::

    .venv/bin/python benchmarks/bench_privacy.py [--n 2000] [--erase 200] [--dsn URL]

``--n`` reports are opened in batches of a hundred, half with a description and a
sealed ground (a new subject key each: wrapped under the master key) and half
without; the figures are the engine's time per open of each kind and their ratio.
Then every sealed report is read back by the confidential advisor (``reveal``: the
unwrap, the decryption and the access log row), ``--erase`` closed reports' subjects
are erased one by one without a scrub and the files scrubbed once, and one
``erasure_due`` scans every subject. Every figure is one ``name: value unit`` line.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from stageborging import Actor, Engine
from stageborging.privacy import MasterKey

ADVISOR = Actor("vp-bench", "confidential_advisor")
OFFICER = Actor("dpo-bench", "privacy_officer")
TEXT = "At the interview the manager asked where my parents come from, then ended it. " * 3


def emit(name: str, value: float | str, unit: str = "") -> None:
    shown = f"{value:.3f}" if isinstance(value, float) else value
    print(f"{name}: {shown}{' ' + unit if unit else ''}", flush=True)


def _open(engine: Engine, n: int, sealed: bool, run: int) -> list[str]:
    """Open *n* reports in batches of a hundred, each by a reporter of its own; their ids."""
    ids = []
    for start in range(0, n, 100):
        with engine.batch() as batch:
            for k in range(start, min(n, start + 100)):
                data = {"phase": "search"}
                if sealed:
                    data.update(description=TEXT, ground="origin")
                reporter = Actor(f"stu-{run}-{'s' if sealed else 'p'}{k}", "student")
                batch.open("case", actor=reporter, data=data)
        ids.extend(r.event.stream_id for r in batch.results if r.event is not None)
    return ids


def _close(engine: Engine, sid: str) -> None:
    engine.fire(sid, "acknowledge", actor=ADVISOR)
    engine.fire(sid, "hold_intake", actor=ADVISOR, data={"signposted": ["sbb_meldpunt"]})
    engine.fire(sid, "register_only", actor=ADVISOR)
    engine.fire(sid, "record_outcome", actor=ADVISOR, data={"outcome": "undetermined"})
    engine.record(sid, "reporter_feedback", actor=ADVISOR, data={"channel": "written"})
    engine.fire(sid, "close", actor=ADVISOR)


def run(backend: str, db: str, n: int, erase: int) -> None:
    with Engine(db, master_key=MasterKey.generate()) as engine:
        timings: dict[bool, float] = {}
        for number, sealed in enumerate((False, True, False, True)):  # the second run counts
            started = time.perf_counter()
            ids = _open(engine, n // 2, sealed, number)
            timings[sealed] = (time.perf_counter() - started) / len(ids) * 1000
        plain, sealed_ms = timings[False], timings[True]
        emit(f"{backend} open without free text", plain, "ms/open")
        emit(f"{backend} open with a description and a sealed ground", sealed_ms, "ms/open")
        emit(f"{backend} sealed/plain open ratio", sealed_ms / plain)
        reads = []
        for sid in ids:
            started = time.perf_counter()
            engine.reveal(sid, actor=ADVISOR)
            reads.append(time.perf_counter() - started)
        emit(f"{backend} reveal median", statistics.median(reads) * 1000, "ms/read")
        closing = ids[:erase]
        for sid in closing:
            _close(engine, sid)
        erasures = []
        for sid in closing:
            subject = engine.history(sid)[0].actor.id
            started = time.perf_counter()
            engine.erase(subject, actor=OFFICER, basis="retention_expired", scrub=False)
            erasures.append(time.perf_counter() - started)
        emit(f"{backend} erase median (no scrub)", statistics.median(erasures) * 1000, "ms/subject")
        started = time.perf_counter()
        engine.store.scrub()
        emit(f"{backend} scrub once after {len(closing)} erasures",
             (time.perf_counter() - started) * 1000, "ms")  # fmt: skip
        started = time.perf_counter()
        due = engine.erasure_due({"case": 1})
        emit(f"{backend} erasure_due scan of {n * 2} subjects",
             (time.perf_counter() - started) * 1000, "ms")  # fmt: skip
        emit(f"{backend} subjects due (none ended a day ago)", str(len(due)))
        started = time.perf_counter()
        report = engine.verify()
        emit(f"{backend} verify ({report.sealed} sealed, {report.erased} erased)",
             (time.perf_counter() - started) * 1000, "ms")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="reports of each kind, twice")
    parser.add_argument("--erase", type=int, default=200, help="subjects erased")
    parser.add_argument("--dsn", default=os.environ.get("STAGEBORGING_TEST_POSTGRES_DSN"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", str(Path(tmp) / "privacy.db"), args.n, args.erase)
    if args.dsn:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[call-overload]
        separator = "&" if "?" in args.dsn else "?"
        try:
            run("postgresql", f"{args.dsn}{separator}options=-csearch_path%3D{schema}",
                args.n, args.erase)  # fmt: skip
        finally:
            with psycopg.connect(args.dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[call-overload]
    return 0


if __name__ == "__main__":
    sys.exit(main())
