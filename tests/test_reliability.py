"""Reliability on both backends: processes racing on one stream and on many, processes
killed with SIGKILL in the middle of commands, and (PostgreSQL) connections the server
ends. Afterwards every projection equals the replay of its events, every chain verifies
and every outbox row belongs to an event that committed.

Real processes (``spawn``); kill times are random but seeded, and nothing asserts a
duration.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
import time
from collections import Counter
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event

import pytest

from stageborging import (
    ConcurrencyConflict,
    Engine,
    Finding,
    InvalidTransition,
    OutcomeUnknown,
    Refused,
    StoreError,
    hookimpl,
)
from stageborging.testing import FakeClock
from support import COACH, PLACEMENT_OFFICE, STUDENT, Recognises, Tells, journey, mbo_details

_CONTEXT = multiprocessing.get_context("spawn")
SUSPEND = {"reason": "illness"}


class Dawdles:
    """A check that takes a moment inside the command's transaction: kills land there."""

    name = "test-dawdles"

    @hookimpl
    def stageborging_check_transition(self) -> list[Finding]:
        time.sleep(random.random() * 0.004)
        return []


def plugins() -> list[object]:
    return [Recognises("emp-unrecognised"), Tells(), Dawdles()]


def assert_consistent(db: str) -> int:
    """Every chain verifies, every projection is the fold of its events (verify and
    replay agree), and the outbox holds exactly one row per committed transition.
    Returns the number of events."""
    with Engine(db, plugins=plugins(), clock=FakeClock()) as engine:
        report = engine.verify()
        assert report.ok, report.breaks
        heads = engine.store.stream_heads()
        for sid in heads:
            assert engine.replay(sid) == engine.stream(sid)
        events = list(engine.store.iter_events())
        transitions = Counter((e.stream_id, e.seq) for e in events if e.type == "transitioned")
        outbox = Counter((e.stream_id, e.seq) for e in engine.store.outbox(pending=False))
        assert outbox == transitions  # no orphan row, none missing
        assert {e.stream_id for e in events} == set(heads)
        return len(events)


# -- N processes on one stream ---------------------------------------------------------


def _race_on_one_stream(
    db: str, sid: str, rounds: int, barrier: Barrier, out: Queue[tuple[str, int]]
) -> None:
    """Suspend or resume the stream, as what this process last saw says, *rounds* times;
    report each outcome (and the seq of each applied command)."""
    with Engine(db, plugins=plugins(), clock=FakeClock()) as engine:
        barrier.wait()
        for _ in range(rounds):
            seen = engine.stream(sid)
            trigger = "suspend" if seen.state == "active" else "resume"
            data = SUSPEND if trigger == "suspend" else None
            try:
                event = engine.fire(sid, trigger, actor=COACH, data=data,
                                    expected_version=seen.version)  # fmt: skip
            except ConcurrencyConflict:
                out.put(("conflict", 0))
            except (Refused, InvalidTransition) as exc:
                out.put((type(exc).__name__, 0))
            else:
                out.put(("applied", event.seq))


def test_processes_firing_on_one_stream_lose_no_update(backend: str) -> None:
    clock = FakeClock()
    with Engine(backend, plugins=plugins(), clock=clock) as engine:
        sid = journey(engine, clock).open()
        journey(engine, clock).to_active(sid)
        start = engine.stream(sid).version
    workers, rounds = 4, 12
    barrier = _CONTEXT.Barrier(workers)
    out: Queue[tuple[str, int]] = _CONTEXT.Queue()
    processes = [
        _CONTEXT.Process(target=_race_on_one_stream, args=(backend, sid, rounds, barrier, out))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = [out.get(timeout=120) for _ in range(workers * rounds)]
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    applied = sorted(seq for what, seq in outcomes if what == "applied")
    assert {what for what, _ in outcomes} <= {"applied", "conflict"}
    assert applied  # somebody always wins
    assert applied == list(range(start + 1, start + 1 + len(applied)))  # linear, no gaps
    with Engine(backend, plugins=plugins(), clock=clock) as engine:
        history = engine.history(sid)
        assert len(history) == start + len(applied)  # every applied command, nothing else
        assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert_consistent(backend)


# -- N processes on different streams ---------------------------------------------------


def _open_and_search(db: str, count: int, barrier: Barrier, out: Queue[list[str]]) -> None:
    with Engine(db, plugins=plugins(), clock=FakeClock()) as engine:
        barrier.wait()
        sids = []
        for _ in range(count):
            sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
            engine.fire(sid, "begin_search", actor=STUDENT)
            engine.fire(sid, "request_assistance", actor=STUDENT)
            sids.append(sid)
        out.put(sids)


def test_processes_on_different_streams_all_succeed(backend: str) -> None:
    Engine(backend).close()  # the schema, before the race
    workers, count = 4, 8
    barrier = _CONTEXT.Barrier(workers)
    out: Queue[list[str]] = _CONTEXT.Queue()
    processes = [
        _CONTEXT.Process(target=_open_and_search, args=(backend, count, barrier, out))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    sids = [sid for _ in range(workers) for sid in out.get(timeout=120)]
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    assert len(set(sids)) == workers * count
    assert assert_consistent(backend) == 3 * workers * count
    with Engine(backend, clock=FakeClock()) as engine:
        assert {engine.stream(sid).state for sid in sids} == {"assisted_search"}


def _batches_on_shared_streams(
    db: str, sids: list[str], rounds: int, seed: int, barrier: Barrier, out: Queue[int]
) -> None:
    """Record a guidance contact on every shared stream, in a shuffled order, in one batch
    per round; report how many applied."""
    order = random.Random(seed)
    with Engine(db, plugins=plugins(), clock=FakeClock()) as engine:
        barrier.wait()
        applied = 0
        for _ in range(rounds):
            with engine.batch() as batch:
                for sid in order.sample(sids, len(sids)):
                    batch.record(sid, "guidance_contact", actor=COACH, data={"moment": "middle"})
            applied += sum(result.ok for result in batch.results)
        out.put(applied)


def test_batches_on_the_same_streams_from_processes_all_apply(backend: str) -> None:
    """Batches lock their streams in one order, so processes batching on the same streams
    in any order never deadlock or lose a command, and each stream's chain stays linear."""
    clock = FakeClock()
    with Engine(backend, plugins=plugins(), clock=clock) as engine:
        sids = [journey(engine, clock).open() for _ in range(6)]
    workers, rounds = 3, 4
    barrier = _CONTEXT.Barrier(workers)
    out: Queue[int] = _CONTEXT.Queue()
    processes = [
        _CONTEXT.Process(
            target=_batches_on_shared_streams, args=(backend, sids, rounds, i, barrier, out)
        )
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    applied = [out.get(timeout=120) for _ in range(workers)]
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    assert applied == [rounds * len(sids)] * workers
    with Engine(backend, clock=clock) as engine:
        for sid in sids:
            history = engine.history(sid)
            assert [e.seq for e in history] == list(range(1, 2 + workers * rounds))
    assert_consistent(backend)


# -- SIGKILL in the middle of commands --------------------------------------------------


def _work_until_killed(db: str, seed: int, ready: Event) -> None:
    """Open internships and drive them on, forever (until killed)."""
    random.seed(seed)
    clock = FakeClock()
    with Engine(db, plugins=plugins(), clock=clock) as engine:
        ready.set()
        while True:
            sid = journey(engine, clock).open()
            journey(engine, clock).search(sid)
            journey(engine, clock).place(sid)
            engine.fire(sid, "cancel_placement", actor=COACH, data={"reason": "employer_withdrew"})


def test_processes_killed_inside_commands_leave_a_consistent_database(backend: str) -> None:
    Engine(backend).close()
    chance = random.Random(20270201)
    for kill in range(6):
        ready = _CONTEXT.Event()
        worker = _CONTEXT.Process(target=_work_until_killed, args=(backend, kill, ready))
        worker.start()
        assert ready.wait(60), "the worker never started"
        time.sleep(chance.uniform(0.05, 0.6))  # somewhere inside some command
        os.kill(worker.pid, signal.SIGKILL)  # type: ignore[arg-type]
        worker.join(30)
        assert worker.exitcode == -signal.SIGKILL
    assert assert_consistent(backend) > 0
    # and the database takes commands again
    with Engine(backend, plugins=plugins(), clock=FakeClock()) as engine:
        assert journey(engine).open()


# -- connections cut by the server ------------------------------------------------------


def test_connections_cut_by_the_server_leave_a_consistent_database(backend: str) -> None:
    """While an engine runs commands, the server ends its connections again and again
    (``pg_terminate_backend``): each command is retried, fails with a StoreError, or has
    an unknown outcome, and the database stays consistent."""
    if not backend.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no connection to cut")
    import psycopg

    victim = f"{backend}&application_name=stageborging-cut"
    stop = threading.Event()
    cuts = 0

    def cut() -> None:
        nonlocal cuts
        with psycopg.connect(backend, autocommit=True) as killer:
            while not stop.wait(0.03):
                killer.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'stageborging-cut'"
                )
                cuts += 1

    clock = FakeClock()
    outcomes: Counter[str] = Counter()
    from stageborging.store import PostgresStore

    store = PostgresStore(victim, retries=8)
    with Engine(store, plugins=plugins(), clock=clock) as engine:
        cutter = threading.Thread(target=cut)
        cutter.start()
        try:
            for _ in range(40):
                try:
                    sid = journey(engine, clock).open()
                    journey(engine, clock).search(sid)
                except OutcomeUnknown:
                    outcomes["unknown"] += 1
                except StoreError:
                    outcomes["store error"] += 1
                else:
                    outcomes["ok"] += 1
        finally:
            stop.set()
            cutter.join()
    assert cuts > 0
    assert outcomes["ok"] > 0
    assert assert_consistent(backend) > 0


class DiesMidCascade:
    """Kills its own process (SIGKILL) inside the cascade's second page, before it commits."""

    name = "test-dies-mid-cascade"

    def __init__(self, after: int) -> None:
        self.after, self.seen = after, 0

    @hookimpl
    def stageborging_after_transition(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.name == "cancel_placement" and event.actor.role == "system":
            self.seen += 1
            if self.seen == self.after:
                os.kill(os.getpid(), signal.SIGKILL)


def _revoke_until_killed(db: str, now: str) -> None:
    from datetime import datetime

    clock = FakeClock(datetime.fromisoformat(now))
    with Engine(db, plugins=[Recognises(), DiesMidCascade(after=70)], clock=clock) as engine:
        engine.revoke_recognition("emp-1", "25604", clock.now.date())


def test_a_cascade_killed_mid_way_resumes_and_doubles_nothing(backend: str) -> None:
    """120 placements at an employer whose recognition is revoked; the process doing it is
    killed in its second page of 50. After the lease the next tick finishes the job: each
    placement is cancelled exactly once and helped to an assisted search, and a repeated
    revocation records nothing."""
    clock = FakeClock()
    with Engine(backend, plugins=[Recognises()], clock=clock) as engine:
        sids = []
        for n in range(120):
            sid = journey(engine, clock).open(student=f"stu-{n}")
            engine.fire(sid, "begin_search", actor=STUDENT)
            engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
            sids.append(sid)
    worker = _CONTEXT.Process(target=_revoke_until_killed, args=(backend, clock.now.isoformat()))
    worker.start()
    worker.join(120)
    assert worker.exitcode == -signal.SIGKILL
    with Engine(backend, plugins=[Recognises()], clock=clock) as engine:
        states = Counter(engine.stream(sid).state for sid in sids)
        assert states == Counter({"assisted_search": 50, "placement_proposed": 70})
        assert len(engine.store.jobs()) == 1  # still open, held by the dead worker's lease
        engine.revoke_recognition("emp-1", "25604", clock.now.date())  # a repeat: no new event
        assert engine.run_cascades().jobs == 0  # the lease still holds
        clock.advance(minutes=11)
        assert engine.tick().cascaded == 70
        assert engine.store.jobs() == []
        for sid in sids:
            cancels = [e for e in engine.history(sid) if e.name == "cancel_placement"]
            assert [e.data["reason"] for e in cancels] == ["recognition_revoked"]
            assert engine.stream(sid).state == "assisted_search"
        revocations = [e for e in engine.history("employer:emp-1")
                       if e.name == "recognition_revoked"]  # fmt: skip
        assert len(revocations) == 1
        assert engine.verify().ok
        assert all(engine.replay(sid) == engine.stream(sid) for sid in sids)
