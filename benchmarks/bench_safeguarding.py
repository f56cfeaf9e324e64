"""What safeguarding costs: a revocation cascading over hundreds of placements, a block's
notices, and the rejection-pattern statistics over a year of applications, on SQLite and
PostgreSQL.

Run from the repository root (PostgreSQL from ``$STAGEBORGING_TEST_POSTGRES_DSN``, or
``--dsn``; in a schema of its own, dropped afterwards)::

    .venv/bin/python benchmarks/bench_safeguarding.py [--placements 500] \
        [--applications 20000] [--dsn URL]

``--placements`` internships are proposed at one employer (half of them verified), then
SBB's revocation of its recognition is recorded: the figure is the wall time of that
command and its cascade (each placement cancelled and moved to assisted search, in
pages of 50, one transaction each), per placement. The same number of placements at a
second employer get a block's notices and their coaches' proposals. Then
``--applications`` applications with outcomes (200 employers, two programmes)
are written through the store, and one ``refresh_alerts`` reads the counts and tests
every employer exactly. Every figure is one ``name: value unit`` line.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from stageborging import Actor, Engine, hookimpl
from stageborging.testing import FakeClock

OFFICE = Actor("po-bench", "placement_office")
STUDENT = Actor("stu-bench", "student")
ADVISOR = Actor("vp-bench", "confidential_advisor")
DETAILS = {"programme": "p-ict", "qualification": "25604", "level": 4, "track": "BOL",
           "planned_start": "2027-09-01", "planned_end": "2028-01-31", "planned_hours": 400,
           "turns_18_on": "2005-01-01"}  # fmt: skip


class RecognisesAll:
    name = "bench-recognises"

    @hookimpl
    def stageborging_verify_recognition(self) -> bool:
        return True


def emit(name: str, value: float | str, unit: str = "") -> None:
    shown = f"{value:.3f}" if isinstance(value, float) else value
    print(f"{name}: {shown}{' ' + unit if unit else ''}", flush=True)


def _placements(engine: Engine, employer: str, n: int, run: str) -> None:
    """*n* placements proposed at *employer*, every other one verified, in batches."""
    for start in range(0, n, 100):
        with engine.batch() as batch:
            for k in range(start, min(n, start + 100)):
                batch.open("mbo_bpv", actor=OFFICE, stream_id=f"{run}-{k}",
                           data={**DETAILS, "student": f"stu-{run}-{k}"})  # fmt: skip
        with engine.batch() as batch:
            for k in range(start, min(n, start + 100)):
                batch.fire(f"{run}-{k}", "begin_search", actor=STUDENT)
                batch.fire(f"{run}-{k}", "propose_placement", actor=STUDENT,
                           data={"employer": employer})  # fmt: skip
                if k % 2:
                    batch.fire(f"{run}-{k}", "verify_employer", actor=OFFICE)


def _applications(engine: Engine, n: int) -> None:
    """*n* applications with outcomes, written through the store (as the pipeline keeps
    them): 200 employers, two programmes, one employer in ten invites rarely."""
    rng = random.Random(7)

    def work(tx) -> None:  # type: ignore[no-untyped-def]
        for k in range(n):
            employer = rng.randrange(200)
            rate = 0.05 if employer % 10 == 0 else 0.4
            sid = f"app-stream-{k // 5}"
            tx.add_application(sid, f"a{k}", f"lb-{employer}", "", f"p-{k % 2}", 2,
                               "2027-03-01")  # fmt: skip
            tx.application_outcome(sid, f"a{k}",
                                   "invited" if rng.random() < rate else "rejected")  # fmt: skip

    engine.store.run(work)


def run(label: str, db: str, placements: int, applications: int) -> None:
    clock = FakeClock(datetime(2027, 3, 10, 9, 0, tzinfo=UTC))
    with Engine(db, plugins=[RecognisesAll()], clock=clock) as engine:
        _placements(engine, "lb-revoked", placements, "r")
        started = time.perf_counter()
        engine.revoke_recognition("lb-revoked", "25604", "2027-03-10")
        took = time.perf_counter() - started
        moved = engine.statistics().states["mbo_bpv"].get("assisted_search", 0)
        emit(f"{label} revocation cascade ({moved} placements ended)", took * 1000, "ms")
        emit(f"{label} cascade per placement", took * 1000 / max(moved, 1), "ms")
        _placements(engine, "lb-blocked", placements, "b")
        case = engine.report(actor=STUDENT, phase="search", employer="lb-blocked").stream_id
        engine.fire(case, "acknowledge", actor=ADVISOR)
        engine.fire(case, "hold_intake", actor=ADVISOR, data={"signposted": ["police"]})
        started = time.perf_counter()
        engine.raise_flag("lb-blocked", "block", actor=OFFICE, reason="discrimination",
                          basis="external_decision", review_on="2027-06-01",
                          expires_on="2028-03-01")  # fmt: skip
        took = time.perf_counter() - started
        noticed = len(engine.due(role="coach", limit=100_000))
        emit(f"{label} block notices ({noticed} coaches asked)", took * 1000, "ms")
        _applications(engine, applications)
        started = time.perf_counter()
        result = engine.refresh_alerts()
        took = time.perf_counter() - started
        emit(f"{label} pattern run ({applications} applications, {len(result.tested)} tested, "
             f"{len(result.raised)} alerts)", took * 1000, "ms")  # fmt: skip
        emit(f"{label} verify", "ok" if engine.verify().ok else "BROKEN")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--placements", type=int, default=500, help="placements per employer")
    parser.add_argument("--applications", type=int, default=20_000, help="applications")
    parser.add_argument("--dsn", default=os.environ.get("STAGEBORGING_TEST_POSTGRES_DSN"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", str(Path(tmp) / "safeguarding.db"), args.placements, args.applications)
    if args.dsn:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[call-overload]
        separator = "&" if "?" in args.dsn else "?"
        try:
            run("postgresql", f"{args.dsn}{separator}options=-csearch_path%3D{schema}",
                args.placements, args.applications)  # fmt: skip
        finally:
            with psycopg.connect(args.dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[call-overload]
    return 0


if __name__ == "__main__":
    sys.exit(main())
