"""Benchmark ``Engine.fire`` against the bare SQLite floor, measured in the same run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_fire.py [--n N] [--db-dir DIR] [--streams S]

Every figure is printed as one ``name: value unit`` line; lines starting with
``#`` are context. See ``benchmarks/README.md`` for what each figure means.

What is measured, on FILE databases (WAL), for ``synchronous=FULL`` and ``NORMAL``:

* **floor**: the SQL one transition cannot avoid, hand-written with stdlib
  ``sqlite3``: ``BEGIN IMMEDIATE``; SELECT the stream row; INSERT one event row
  (the exact header and body bytes the engine wrote for the same transition);
  UPDATE the projection row; ``COMMIT``.
* **fire**: ``Engine.fire`` with five no-op check plugins (plus the built-in
  defaults), alternating ``suspend`` / ``resume`` on active internships, spread
  round-robin over several streams.

Floor and fire run interleaved in small blocks so that drift of the machine
(disk, CPU frequency, page cache) hits both alike. Then: the dry-run
``Engine.check``, the memory held per loaded internship, the size of the
flyweight model that moves the state, and ``verify_database`` throughput.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import stageborging
from stageborging import Actor, Engine, SQLiteStore, Transition, verify_database
from stageborging.lifecycles import AGREEMENT_FIELDS_MBO
from stageborging.lifecycles._machine import _Model  # the flyweight that moves the state
from stageborging.store import MIGRATIONS, Synchronous

MODES: Final[tuple[Synchronous, ...]] = ("FULL", "NORMAL")
TARGET_RATIO_FULL: Final = 1.5
TARGET_CHECK_US: Final = 60.0
TARGET_CPU_US: Final = 40.0
NOOP_PLUGINS: Final = 5

PLACEMENT_OFFICE: Final = Actor("po-1", "placement_office")
STUDENT: Final = Actor("stu-1", "student")
EMPLOYER: Final = Actor("emp-signatory-1", "employer")
COACH: Final = Actor("coach-1", "coach")
OPENED_ON: Final = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
STARTED_ON: Final = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
MBO_DETAILS: Final[Mapping[str, object]] = {
    "student": "stu-1",
    "programme": "prog-ict",
    "qualification": "25604",
    "level": 4,
    "track": "BOL",
    "planned_start": "2027-02-01",
    "planned_end": "2027-06-30",
    "planned_hours": 400,
    "turns_18_on": "2008-03-01",  # an adult on the day the agreement is confirmed
}
SUSPEND_DATA: Final[Mapping[str, object]] = {"reason": "illness"}

# The floor's SQL: the statements one transition needs, written out by hand.
_STREAM_COLUMNS: Final = (
    "id, kind, lifecycle, definition, state, version, head_hash, facts, opened_at, updated_at"
)
_EVENT_COLUMNS: Final = (
    "stream_id, seq, type, name, occurred_at, actor_id, actor_role, from_state, to_state, "
    "lifecycle, definition, header, body, body_hash, prev_hash, hash"
)
SELECT_STREAM: Final = f"SELECT {_STREAM_COLUMNS} FROM streams WHERE id = ?"
INSERT_EVENT: Final = f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES ({', '.join('?' * 16)})"
INSERT_STREAM: Final = f"INSERT INTO streams ({_STREAM_COLUMNS}) VALUES ({', '.join('?' * 10)})"
UPDATE_STREAM: Final = (
    "UPDATE streams SET state = ?, version = ?, head_hash = ?, facts = ?, definition = ?, "
    "updated_at = ? WHERE id = ? AND version = ?"
)

Op = Callable[[], None]


# -- plugins and clock -----------------------------------------------------------


class NoOpCheck:
    """A check plugin that never has anything to say."""

    def __init__(self, index: int) -> None:
        self.name = f"bench-noop-{index}"

    @stageborging.hookimpl
    def stageborging_check_transition(self, transition: Transition) -> None:
        del transition


class RecognisesAll:
    """A recognition verifier for the set-up engine only: every employer is recognised."""

    name = "bench-recognition"

    @stageborging.hookimpl
    def stageborging_verify_recognition(self, employer: str) -> bool:
        return bool(employer)


class FixedClock:
    """A clock that stays where it is put."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def noop_plugins() -> list[object]:
    return [NoOpCheck(i) for i in range(1, NOOP_PLUGINS + 1)]


# -- statistics and output -------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Per-operation timings of one measurement, in microseconds."""

    median: float
    mean: float
    p95: float
    count: int

    @classmethod
    def of(cls, samples_ns: Sequence[int]) -> Summary:
        ordered = sorted(samples_ns)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return cls(
            median=statistics.median(ordered) / 1000,
            mean=statistics.fmean(ordered) / 1000,
            p95=p95 / 1000,
            count=len(ordered),
        )


def emit(name: str, value: float | int | str, unit: str = "") -> None:
    if isinstance(value, float):
        text = f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    else:
        text = str(value)
    print(f"{name}: {text} {unit}".rstrip(), flush=True)


def note(text: str) -> None:
    print(f"# {text}", file=sys.stdout, flush=True)


@dataclass
class Samples:
    """Per-call wall-clock and CPU (process) time of one operation, in nanoseconds."""

    wall: list[int]
    cpu: list[int]


def timed(op: Op, count: int, samples: Samples) -> None:
    """Run *op* *count* times, appending each call's wall-clock and process time."""
    clock = time.perf_counter_ns
    cpu = time.process_time_ns
    for _ in range(count):
        started, started_cpu = clock(), cpu()
        op()
        ended_cpu, ended = cpu(), clock()
        samples.wall.append(ended - started)
        samples.cpu.append(ended_cpu - started_cpu)


def interleaved(ops: Sequence[Op], n: int, block: int, warmup: int) -> list[Samples]:
    """Warm each op up, then time *n* calls of each, alternating in blocks of *block*."""
    for op in ops:
        for _ in range(warmup):
            op()
    samples = [Samples([], []) for _ in ops]
    gc.collect()
    done = 0
    while done < n:
        size = min(block, n - done)
        for op, into in zip(ops, samples, strict=True):
            timed(op, size, into)
        done += size
    return samples


# -- setting up internships -------------------------------------------------------


def drive_to_active(path: Path, count: int) -> list[str]:
    """Open *count* MBO internships in the database at *path* and drive each to ``active``.

    Uses a set-up engine (``synchronous=NORMAL`` for speed: the pragma is per
    connection, the file is the same) with a recognition verifier, as a school would.
    """
    clock = FixedClock(OPENED_ON)
    store = SQLiteStore(path, synchronous="NORMAL")
    with Engine(store, plugins=[RecognisesAll()], clock=clock) as engine:
        sids = []
        for _ in range(count):
            sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=MBO_DETAILS).stream_id
            engine.fire(sid, "begin_search", actor=STUDENT)
            engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
            engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
            engine.fire(
                sid,
                "draft_agreement",
                actor=PLACEMENT_OFFICE,
                data={
                    "document": "pok-1",
                    "fields_present": list(AGREEMENT_FIELDS_MBO),
                    "hours_per_week": 32,
                },
            )
            for actor, party in (
                (STUDENT, "student"),
                (EMPLOYER, "employer"),
                (PLACEMENT_OFFICE, "school"),
            ):
                engine.record(
                    sid, "signature", actor=actor, data={"party": party, "agreement_version": 1}
                )
            engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
            sids.append(sid)
        clock.now = STARTED_ON
        for sid in sids:
            engine.fire(sid, "start", actor=COACH)
    return sids


class SuspendResume:
    """Alternates ``suspend`` / ``resume`` round-robin over streams that start ``active``."""

    def __init__(self, sids: Sequence[str]) -> None:
        self.sids = list(sids)
        self.active = dict.fromkeys(self.sids, True)
        self._next = 0

    def step(self) -> tuple[str, bool]:
        """The next stream, and whether it is active now; flips its state."""
        sid = self.sids[self._next]
        self._next = (self._next + 1) % len(self.sids)
        was_active = self.active[sid]
        self.active[sid] = not was_active
        return sid, was_active


def fire_op(engine: Engine, sids: Sequence[str]) -> Op:
    cycle = SuspendResume(sids)

    def op() -> None:
        sid, active = cycle.step()
        if active:
            engine.fire(sid, "suspend", actor=COACH, data=SUSPEND_DATA)
        else:
            engine.fire(sid, "resume", actor=COACH)

    return op


# -- the floor --------------------------------------------------------------------


def schema_of(conn: sqlite3.Connection) -> set[tuple[str, str, str]]:
    """The tables, indexes and triggers (not SQLite's own statistics, which ``PRAGMA
    optimize`` may add)."""
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"
        " AND name NOT LIKE 'sqlite_%'"
    )
    return {(kind, name, " ".join(sql.split())) for kind, name, sql in rows}


def expected_schema() -> set[tuple[str, str, str]]:
    conn = sqlite3.connect(":memory:")
    try:
        for statements in MIGRATIONS:
            for statement in statements:
                conn.execute(statement)
        return schema_of(conn)
    finally:
        conn.close()


@dataclass(frozen=True)
class Template:
    """The stored columns of one event the engine wrote, reused by the floor."""

    name: str
    type: str
    occurred_at: str
    actor_id: str
    actor_role: str
    from_state: str
    to_state: str
    lifecycle: str
    definition: str
    header: bytes
    body: bytes


def engine_templates(path: Path) -> tuple[Template, Template, str]:
    """The last ``suspend`` and ``resume`` events the engine wrote, and a stream's facts."""
    conn = sqlite3.connect(path)
    try:
        found = []
        for name in ("suspend", "resume"):
            row = conn.execute(
                "SELECT name, type, occurred_at, actor_id, actor_role, from_state, to_state, "
                "lifecycle, definition, header, body FROM events WHERE name = ? "
                "ORDER BY position DESC LIMIT 1",
                (name,),
            ).fetchone()
            found.append(Template(*row))
        (facts,) = conn.execute("SELECT facts FROM streams LIMIT 1").fetchone()
    finally:
        conn.close()
    return found[0], found[1], str(facts)


class Floor:
    """The bare SQL of one transition on a database created by :class:`SQLiteStore`."""

    def __init__(
        self,
        path: Path,
        mode: Synchronous,
        streams: int,
        suspend: Template,
        resume: Template,
        facts: str,
    ) -> None:
        SQLiteStore(path, synchronous=mode).close()  # the library's own schema
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={mode}")
        if schema_of(self.conn) != expected_schema():
            raise SystemExit(f"{path}: schema differs from stageborging.store.MIGRATIONS")
        self.templates = {True: suspend, False: resume}
        self.facts = facts
        self.sids = [f"floor{i:04d}" + "0" * 23 for i in range(streams)]
        self.cycle = SuspendResume(self.sids)
        self._hashes = self._hash_stream()
        self._seed(suspend)

    @staticmethod
    def _hash_stream() -> Iterator[str]:
        counter = 0
        while True:
            counter += 1
            yield hashlib.sha256(counter.to_bytes(8, "big")).hexdigest()

    def _seed(self, like: Template) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        for sid in self.sids:
            head = next(self._hashes)
            body_hash = next(self._hashes)
            conn.execute(
                INSERT_STREAM,
                (
                    sid, "internship", like.lifecycle, like.definition, "active", 1, head,
                    self.facts, like.occurred_at, like.occurred_at,
                ),
            )  # fmt: skip
            conn.execute(
                INSERT_EVENT,
                (
                    sid, 1, "opened", "mbo_bpv", like.occurred_at, like.actor_id,
                    like.actor_role, "active", "active", like.lifecycle, like.definition,
                    like.header, like.body, body_hash, "0" * 64, head,
                ),
            )  # fmt: skip
        conn.execute("COMMIT")

    def prepare(self, count: int) -> list[tuple[str, str]]:
        """(body hash, hash) pairs for *count* operations, computed before any timing."""
        return [(next(self._hashes), next(self._hashes)) for _ in range(count)]

    def op(self, hashes: Sequence[tuple[str, str]]) -> Op:
        conn = self.conn
        cycle = self.cycle
        templates = self.templates
        facts = self.facts
        pending = iter(hashes)

        def op() -> None:
            sid, active = cycle.step()
            t = templates[active]
            body_hash, new_hash = next(pending)
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(SELECT_STREAM, (sid,)).fetchone()
                version, head = row[5], row[6]
                conn.execute(
                    INSERT_EVENT,
                    (
                        sid, version + 1, t.type, t.name, t.occurred_at, t.actor_id,
                        t.actor_role, t.from_state, t.to_state, t.lifecycle, t.definition,
                        t.header, t.body, body_hash, head, new_hash,
                    ),
                )  # fmt: skip
                conn.execute(
                    UPDATE_STREAM,
                    (
                        t.to_state, version + 1, new_hash, facts, t.definition, t.occurred_at,
                        sid, version,
                    ),
                )  # fmt: skip
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        return op

    def close(self) -> None:
        self.conn.close()


# -- phases -----------------------------------------------------------------------


@dataclass(frozen=True)
class FireResult:
    floor: Summary
    fire: Summary
    floor_cpu: Summary
    fire_cpu: Summary


def bench_mode(
    directory: Path, mode: Synchronous, n: int, streams: int, block: int, warmup: int
) -> FireResult:
    engine_path = directory / f"engine-{mode}.db"
    sids = drive_to_active(engine_path, streams)
    store = SQLiteStore(engine_path, synchronous=mode)
    with Engine(store, plugins=noop_plugins(), clock=FixedClock(STARTED_ON)) as engine:
        fire = fire_op(engine, sids)
        for _ in range(2 * streams):  # every stream has a suspend and a resume to copy
            fire()
        suspend, resume, facts = engine_templates(engine_path)
        floor = Floor(directory / f"floor-{mode}.db", mode, streams, suspend, resume, facts)
        try:
            floor_op = floor.op(floor.prepare(n + warmup))
            floor_ns, fire_ns = interleaved([floor_op, fire], n, block, warmup)
        finally:
            floor.close()
    return FireResult(
        floor=Summary.of(floor_ns.wall),
        fire=Summary.of(fire_ns.wall),
        floor_cpu=Summary.of(floor_ns.cpu),
        fire_cpu=Summary.of(fire_ns.cpu),
    )


def stream_ids(path: Path) -> list[str]:
    """The internships in the database at *path* (not the employer's stream they opened)."""
    conn = sqlite3.connect(path)
    try:
        query = "SELECT id FROM streams WHERE kind = 'internship' ORDER BY id"
        return [str(sid) for (sid,) in conn.execute(query)]
    finally:
        conn.close()


def bench_check(path: Path, n: int, warmup: int) -> Summary:
    """``Engine.check`` (dry-run) on the streams of *path*, each with its next trigger."""
    store = SQLiteStore(path, synchronous="FULL")
    with Engine(store, plugins=noop_plugins(), clock=FixedClock(STARTED_ON)) as engine:
        calls: list[tuple[str, str, Mapping[str, object] | None]] = []
        for sid in stream_ids(path):
            if engine.stream(sid).state == "active":
                calls.append((sid, "suspend", SUSPEND_DATA))
            else:  # suspended: the next move is resume, without data
                calls.append((sid, "resume", None))
        position = 0

        def op() -> None:
            nonlocal position
            sid, trigger, data = calls[position]
            position = (position + 1) % len(calls)
            decision = engine.check(sid, trigger, actor=COACH, data=data)
            if not decision.allowed:
                raise SystemExit(f"check refused {trigger} on {sid}: {decision.findings}")

        (samples,) = interleaved([op], n, n, warmup)
    return Summary.of(samples.wall)


@contextmanager
def traced() -> Iterator[Callable[[], int]]:
    """Trace allocations; yields a function returning the bytes allocated since entry."""
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()

        def held() -> int:
            gc.collect()
            now, _ = tracemalloc.get_traced_memory()
            return now - start

        yield held
    finally:
        tracemalloc.stop()


def bench_memory(path: Path, count: int) -> float:
    """Bytes held per ``Engine.stream`` result, with *count* of them in a list."""
    sids = drive_to_active(path, count)
    store = SQLiteStore(path, synchronous="NORMAL")
    with Engine(store, plugins=noop_plugins(), clock=FixedClock(STARTED_ON)) as engine:
        for sid in sids[:50]:  # warm the statement cache and the lazy imports
            engine.stream(sid)
        loaded: list[object] = [None] * len(sids)  # the list itself is not counted
        with traced() as held:
            for i, sid in enumerate(sids):
                loaded[i] = engine.stream(sid)
            total = held()
        if not all(isinstance(s, stageborging.Stream) for s in loaded):
            raise SystemExit("Engine.stream returned something else than a Stream")
    return total / len(sids)


def bench_flyweight(count: int = 100_000) -> tuple[int, float]:
    """``sys.getsizeof`` of one flyweight model, and bytes allocated per model held."""
    models: list[object] = [None] * count
    with traced() as held:
        for i in range(count):
            models[i] = _Model("active")
        total = held()
    return sys.getsizeof(models[0]), total / count


def bench_verify(paths: Sequence[Path], repeats: int = 3) -> tuple[int, float]:
    """Events verified and events/s (median of *repeats*) of ``verify_database``."""
    events = 0
    elapsed = 0.0
    for path in paths:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            report = verify_database(path)
            times.append(time.perf_counter() - started)
            if not report.ok:
                raise SystemExit(f"{path}: verification failed: {report.breaks[0]}")
        events += report.events
        elapsed += statistics.median(times)
    return events, events / elapsed


# -- main -------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=2000, help="timed operations per figure")
    parser.add_argument(
        "--db-dir", type=Path, default=None, help="where to create the databases (a temp dir)"
    )
    parser.add_argument("--streams", type=int, default=16, help="streams the fires spread over")
    parser.add_argument("--block", type=int, default=50, help="floor/fire interleaving block")
    parser.add_argument("--memory-n", type=int, default=2000, help="internships held in memory")
    args = parser.parse_args(argv)
    for name in ("n", "streams", "block", "memory_n"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def run(directory: Path, args: argparse.Namespace) -> None:
    n: int = args.n
    warmup = max(100, n // 10)
    note(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, "
         f"stageborging {stageborging.__version__}")  # fmt: skip
    note(f"databases in {directory}; n={n} per figure, warm-up {warmup}, "
         f"{args.streams} streams, blocks of {args.block}")  # fmt: skip

    results: dict[Synchronous, FireResult] = {}
    for mode in MODES:
        result = results[mode] = bench_mode(directory, mode, n, args.streams, args.block, warmup)
        for label, summary in (("floor", result.floor), ("fire", result.fire)):
            emit(f"{label} {mode} median", summary.median, "us")
            emit(f"{label} {mode} mean", summary.mean, "us")
            emit(f"{label} {mode} p95", summary.p95, "us")
        emit(f"engine overhead {mode} median", result.fire.median - result.floor.median, "us")
        emit(f"floor {mode} cpu median", result.floor_cpu.median, "us")
        emit(f"fire {mode} cpu median", result.fire_cpu.median, "us")
        emit(
            f"engine cpu per fire {mode} median",
            result.fire_cpu.median - result.floor_cpu.median,
            "us",
        )
    for mode in MODES:
        emit(f"fire/floor ratio ({mode})", results[mode].fire.median / results[mode].floor.median)

    check = bench_check(directory / "engine-FULL.db", max(n, 2000), warmup)
    emit("check (dry-run) median", check.median, "us")
    emit("check (dry-run) mean", check.mean, "us")

    memory = bench_memory(directory / "population.db", args.memory_n)
    emit("memory per loaded internship", memory, "bytes")
    size, allocated = bench_flyweight()
    emit("flyweight model size (sys.getsizeof)", size, "bytes")
    emit("flyweight model allocated per object", allocated, "bytes")

    paths = [directory / f"engine-{mode}.db" for mode in MODES] + [directory / "population.db"]
    events, rate = bench_verify(paths)
    emit("verify_database events", events, "events")
    emit("verify_database throughput", rate, "events/s")

    ratio = results["FULL"].fire.median / results["FULL"].floor.median
    met = {True: "met", False: "missed"}
    emit(f"target fire/floor (FULL) <= {TARGET_RATIO_FULL}", met[ratio <= TARGET_RATIO_FULL])
    emit(f"target dry-run <= {TARGET_CHECK_US:g} us", met[check.median <= TARGET_CHECK_US])
    cpu = results["NORMAL"].fire_cpu.median - results["NORMAL"].floor_cpu.median
    emit(f"target engine cpu per fire (NORMAL) <= {TARGET_CPU_US:g} us", met[cpu <= TARGET_CPU_US])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.db_dir is None:
        with tempfile.TemporaryDirectory(prefix="stageborging-bench-") as tmp:
            run(Path(tmp), args)
    else:
        args.db_dir.mkdir(parents=True, exist_ok=True)
        run(Path(tempfile.mkdtemp(prefix="bench-", dir=args.db_dir)), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
