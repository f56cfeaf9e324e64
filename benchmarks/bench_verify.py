"""What verification costs: ``audit verify`` (:func:`stageborging.verify_database`) over
a SQLite file of N events, beside the bare floor of the same run, with the peak memory
of each at two sizes; and the Merkle tree head over a million hashes and one inclusion
proof.

Run from the repository root::

    .venv/bin/python benchmarks/bench_verify.py [--events 1000000] [--small 100000]

* **the log**: one internship driven from opening to its start through the engine
  (the testing kit's journey), then copied under new stream ids, every copy re-sealed
  (its own chain) and written with plain SQL, with its projection row, until the file
  holds ``--events`` events; a second file holds ``--small``.
* **verify**: ``verify_database(path, workers=…)`` in a process of its own: every
  chain, every header against its columns, every event against its definition
  version, every stream's facts recomputed and compared with its projection row; in
  one process, then with ``workers="auto"`` (one process per CPU, as
  ``audit verify`` does by default); the peak memory is that of the parent process.
* **floor**: in a process of its own, the same rows read in the same order with
  ``sqlite3``, each header hashed with ``hashlib`` and parsed with ``json.loads``, each
  projection row read: no library code.

Peak memory is the process's maximum resident set (``ru_maxrss``: the interpreter and
the imports included), and how much it grew during the run; every figure is one
``name: value unit`` line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stageborging import Engine, verify_database
from stageborging.audit import GENESIS, merkle, seal
from stageborging.store import worker_count
from stageborging.testing import FakeClock, Journey, KitRegister

_EVENT_COLUMNS = (
    "stream_id", "seq", "type", "name", "occurred_at", "actor_id", "actor_role", "from_state",
    "to_state", "lifecycle", "definition", "header", "body", "body_hash", "prev_hash", "hash",
    "command_id", "institution",
)  # fmt: skip


def build(path: Path, events: int) -> int:
    """A log of at least *events* events in the SQLite file *path*; the events written."""
    clock = FakeClock()
    with Engine(path, plugins=[KitRegister()], clock=clock) as engine:
        journey = Journey(engine, clock)
        template = journey.open()
        journey.to_active(template)  # opened, searched, placed, signed, started
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM events WHERE stream_id = ? ORDER BY seq", (template,))
    model = [dict(row) for row in rows]
    head = dict(conn.execute("SELECT * FROM streams WHERE id = ?", (template,)).fetchone())
    insert = (f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) "
              f"VALUES ({', '.join('?' * len(_EVENT_COLUMNS))})")  # fmt: skip
    columns = list(head)
    marks = ", ".join("?" * len(columns))
    put_stream = f"INSERT INTO streams ({', '.join(columns)}) VALUES ({marks})"
    written, copy = len(model), 0
    conn.execute("BEGIN")
    while written < events:
        copy += 1
        sid = f"copy-{copy:08d}"
        prev = GENESIS
        for row in model:
            header = json.loads(row["header"])
            sealed = seal(
                stream_id=sid, seq=row["seq"], type=row["type"], name=row["name"],
                occurred_at=row["occurred_at"], actor_id=row["actor_id"],
                actor_role=row["actor_role"], from_state=row["from_state"],
                to_state=row["to_state"], lifecycle=row["lifecycle"],
                definition=row["definition"], plugins=header["plugins"],
                body=json.loads(row["body"]), prev_hash=prev,
                command_id=row["command_id"], institution=row["institution"],
            )  # fmt: skip
            prev = sealed.hash
            conn.execute(insert, tuple(getattr(sealed, c) for c in _EVENT_COLUMNS))
        conn.execute(put_stream, tuple(sid if c == "id" else prev if c == "head_hash" else
                                       head[c] for c in columns))  # fmt: skip
        written += len(model)
        if copy % 500 == 0:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
    conn.execute("COMMIT")
    conn.close()
    return written


def _verify(path: str, out: Any, workers: int | str = 1) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = verify_database(path, workers=workers)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.put((report.ok, report.events, took, (peak, peak - before)))


def _floor(path: str, out: Any) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    count = 0
    for header, body, stored in conn.execute(
        "SELECT header, body, hash FROM events ORDER BY stream_id, seq"
    ):
        if hashlib.sha256(header).hexdigest() != stored:
            raise SystemExit("the floor found a broken hash")
        json.loads(header)
        hashlib.sha256(body)
        count += 1
    for _ in conn.execute("SELECT * FROM streams ORDER BY id"):
        pass
    conn.close()
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.put((True, count, took, (peak, peak - before)))


def measured(target: Any, path: Path, *args: Any) -> tuple[bool, int, float, tuple[int, int]]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=target, args=(str(path), out, *args))
    process.start()
    result = out.get()
    process.join()
    return result  # type: ignore[no-any-return]


def merkle_figures(size: int) -> None:
    rng = random.Random(9162)
    leaves = [rng.randbytes(32) for _ in range(size)]
    started = time.perf_counter()
    head = merkle.root(leaves)
    took = (time.perf_counter() - started) * 1000
    print(f"merkle head over {size} hashes: {took:.0f} ms")
    started = time.perf_counter()
    proof = merkle.inclusion_proof(size // 3, leaves)
    proved = (time.perf_counter() - started) * 1000
    assert merkle.verify_inclusion(size // 3, size, leaves[size // 3], proof, head)
    started = time.perf_counter()
    merkle.verify_inclusion(size // 3, size, leaves[size // 3], proof, head)
    checked = (time.perf_counter() - started) * 1000
    print(f"inclusion proof in a tree of {size}: {proved:.0f} ms to make "
          f"({len(proof)} nodes), {checked:.2f} ms to check")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        for size in (args.small, args.events):
            path = Path(folder) / f"log-{size}.db"
            started = time.perf_counter()
            written = build(path, size)
            print(f"# log of {written} events built in {time.perf_counter() - started:.0f} s "
                  f"({os.path.getsize(path) // 2**20} MiB)")  # fmt: skip
            _, counted, bare, floor_peak = measured(_floor, path)
            print(f"floor {counted} events: {written / bare:.0f} events/s, peak memory "
                  f"{floor_peak[0] // 1024} MiB ({floor_peak[1] // 1024} MiB more)")  # fmt: skip
            for workers in (1, "auto"):
                ok, events, took, peak = measured(_verify, path, workers)
                assert ok, "the built log did not verify"
                label = (
                    "one process"
                    if workers == 1
                    else f"workers=auto ({worker_count('auto', events)})"
                )
                print(f"verify {events} events, {label}: {events / took:.0f} events/s, peak "
                      f"memory {peak[0] // 1024} MiB ({peak[1] // 1024} MiB more than before "
                      f"it); verify / floor: {bare / took:.2f}")  # fmt: skip
            path.unlink()
    merkle_figures(args.events)
    return 0


if __name__ == "__main__":
    sys.exit(main())
