"""Delivery under failure: several dispatchers on one database deliver every message
exactly once; a dispatcher killed mid-batch loses nothing, and repeats at most the
messages of the one entry it was sending (the documented window). Real processes, a
real clock, both backends."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from pathlib import Path

from stageborging import Engine
from support import STUDENT, Tells, journey
from support.delivery import Moved, book, dispatch_until_done, received

_CONTEXT = multiprocessing.get_context("spawn")


def queue(db: str, streams: int) -> list[str]:
    """*streams* streams that began their search: each one entry for two coaches; the
    keys every message must arrive under."""
    with Engine(db, plugins=[Tells(), Moved(), book()]) as engine:
        for _ in range(streams):
            sid = journey(engine).open()
            engine.fire(sid, "begin_search", actor=STUDENT)
        entries = [entry.key for entry in engine.notifications()]
    return [f"{key}/{coach}" for key in entries for coach in ("coach-en", "coach-nl")]


def test_three_dispatchers_deliver_every_message_exactly_once(backend: str, tmp_path: Path) -> None:
    expected = queue(backend, 30)
    sink = tmp_path / "received.txt"
    start = _CONTEXT.Event()
    workers = [
        _CONTEXT.Process(target=dispatch_until_done, args=(backend, str(sink), 0.001, 30.0, start))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    counts = Counter(received(sink))
    assert sorted(counts) == sorted(expected)
    assert set(counts.values()) == {1}
    with Engine(backend) as engine:
        assert engine.notifications() == ()
        assert all(e.attempts == 1 for e in engine.notifications(pending=False))


def test_a_dispatcher_killed_mid_batch_loses_nothing(backend: str, tmp_path: Path) -> None:
    expected = queue(backend, 20)
    sink = tmp_path / "received.txt"
    doomed = _CONTEXT.Process(target=dispatch_until_done, args=(backend, str(sink), 0.05, 2.0))
    doomed.start()
    deadline = time.monotonic() + 60
    while len(received(sink)) < 9 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(doomed.pid, signal.SIGKILL)  # type: ignore[arg-type]
    doomed.join(30)
    before = received(sink)
    assert 9 <= len(before) < len(expected), "the kill did not fall mid-batch"
    # a new dispatcher takes over once the dead one's lease has ended
    dispatch_until_done(backend, str(sink), 0.0, 2.0)
    counts = Counter(received(sink))
    assert sorted(counts) == sorted(expected)  # nothing lost
    repeated = {key for key, count in counts.items() if count > 1}
    assert max(counts.values()) <= 2
    # only the messages of the entry being sent when the kill came (sent, not yet marked)
    in_flight = before[-1].rsplit("/", 1)[0]
    assert {key.rsplit("/", 1)[0] for key in repeated} <= {in_flight}
