"""The store contract, work queues: deadlines claimed inside a transaction, outbox entries
leased beyond it. On SQLite and PostgreSQL alike, with several processes claiming at once.

Workers are real processes (``spawn``) with stores of their own; times are passed in, so
a lease "expires" by asking at a later time, never by waiting for the wall clock.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from typing import Any, TypeVar

import pytest

from stageborging import Engine, InvalidInput, StoreError
from stageborging.core import rfc3339
from stageborging.store import DeadlineRow, Store, Transaction, open_store
from stageborging.testing import FakeClock
from support import STUDENT, Tells, journey

_CONTEXT = multiprocessing.get_context("spawn")
T = TypeVar("T")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def deadline(key: str, due: datetime, stream_id: str = "s-1") -> DeadlineRow:
    return DeadlineRow.make(key, stream_id, "search_check_in", due, NOW)


def collect(processes: list[Any], reports: Queue[T]) -> list[T]:
    """Start *processes* and gather what they report until every one has ended well."""
    for process in processes:
        process.start()
    found: list[T] = []
    while any(p.is_alive() for p in processes) or not reports.empty():
        try:
            found.append(reports.get(timeout=0.2))
        except queue.Empty:  # look again while a worker still runs
            continue
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    return found


def queue_notifications(backend: str, streams: int) -> list[str]:
    """*streams* streams that each moved once: one pending outbox entry each (their keys)."""
    with Engine(backend, clock=FakeClock(), plugins=[Tells()]) as engine:
        for _ in range(streams):
            sid = journey(engine).open()
            engine.fire(sid, "begin_search", actor=STUDENT)
        return [entry.key for entry in engine.notifications()]


# -- claims inside a transaction (deadlines) -------------------------------------------


def test_due_deadlines_are_claimed_earliest_first_and_closed_once(store: Store) -> None:
    store.run(
        lambda tx: tx.schedule(
            [deadline("late", NOW + HOUR), deadline("b", NOW - HOUR), deadline("a", NOW)]
        )
    )

    def handle(tx: Transaction) -> list[str]:
        keys = [row.key for row in tx.claim_due(NOW, 10)]
        assert tx.close_deadlines(keys, "missed", NOW) == len(keys)
        return keys

    assert store.run(handle) == ["b", "a"]
    assert store.run(handle) == []  # marked missed with the work that handled them
    # a missed deadline stays live (overdue) until it is met or no longer applies
    assert [(row.key, row.status) for row in store.deadlines()] == [
        ("b", "missed"), ("a", "missed"), ("late", "open")]  # fmt: skip
    closed = {row.key: row for row in store.deadlines(open_only=False)}
    assert (closed["a"].status, closed["a"].closed_at) == ("missed", rfc3339(NOW))
    assert store.run(lambda tx: tx.close_deadlines(["a", "late"], "missed", NOW)) == 1
    assert store.run(lambda tx: tx.close_deadlines(["a", "late", "b"], "done", NOW)) == 3
    assert store.run(lambda tx: tx.close_deadlines(["a"], "cancelled", NOW)) == 0
    assert store.deadlines() == []


def test_proposals_are_never_claimed_and_claims_keep_to_an_institution(store: Store) -> None:
    """A proposal waits for a person (due lists it); a bound engine's claim takes only its
    institution's deadlines; a stream's live rows are read inside the transaction."""
    store.run(
        lambda tx: tx.schedule(
            [
                deadline("p", NOW - HOUR)._replace(kind="proposal", role="placement_office"),
                deadline("x", NOW, stream_id="s-2")._replace(institution="roc-b", role="coach"),
                deadline("y", NOW)._replace(institution="roc-a", role="coach"),
            ]
        )
    )
    assert [r.key for r in store.run(lambda tx: tx.claim_due(NOW, 10, "roc-a"))] == ["y"]
    assert [r.key for r in store.run(lambda tx: tx.claim_due(NOW, 10))] == ["x", "y"]
    assert [r.key for r in store.run(lambda tx: tx.live_deadlines("s-1"))] == ["p", "y"]
    due = store.due(NOW, None, None, None, 10)
    assert [row.key for _, row in due] == ["p", "x", "y"]
    assert [row.key for _, row in store.due(NOW, "roc-b", None, None, 10)] == ["x"]
    assert [row.key for _, row in store.due(NOW, None, "placement_office", None, 10)] == ["p"]
    assert [row.key for _, row in store.due(NOW - HOUR, None, None, None, 10)] == ["p"]
    first = due[0]
    after = (first[1].due_at, first[0])
    assert [row.key for _, row in store.due(NOW, None, None, after, 10)] == ["x", "y"]
    for bad, field in (
        (lambda: store.due("now", None, None, None, 10), "until"),
        (lambda: store.due(NOW, "two words", None, None, 10), "institution"),
        (lambda: store.due(NOW, None, "", None, 10), "role"),
        (lambda: store.due(NOW, None, None, ("x", "1"), 10), "after"),
        (lambda: store.due(NOW, None, None, None, 0), "limit"),
        (lambda: store.run(lambda tx: tx.schedule([deadline("k", NOW)._replace(kind="x")])),
         "kind"),
        (lambda: store.run(lambda tx: tx.claim_due(NOW, 1, "two words")), "institution"),
    ):  # fmt: skip
        with pytest.raises(InvalidInput) as info:
            bad()
        assert info.value.field == field


def test_an_open_deadline_is_postponed_a_missed_one_is_not(store: Store) -> None:
    """A pause moves an open deadline beyond the claim; a missed or closed one stays."""
    store.run(lambda tx: tx.schedule([deadline("a", NOW), deadline("b", NOW)]))
    store.run(lambda tx: tx.close_deadlines(["b"], "missed", NOW))
    assert store.run(lambda tx: tx.postpone(["a", "b", "gone"], NOW + HOUR)) == 1
    assert store.run(lambda tx: tx.claim_due(NOW, 10)) == []
    assert [r.key for r in store.run(lambda tx: tx.claim_due(NOW + HOUR, 10))] == ["a"]
    assert {r.key: r.due_at for r in store.deadlines()}["b"] == rfc3339(NOW)


def test_a_claim_rolled_back_leaves_its_deadline_due(store: Store) -> None:
    store.run(lambda tx: tx.schedule([deadline("a", NOW)]))

    def fails(tx: Transaction) -> None:
        tx.close_deadlines([row.key for row in tx.claim_due(NOW, 10)], "missed", NOW)
        raise RuntimeError("the escalation could not be written")

    with pytest.raises(RuntimeError):
        store.run(fails)
    assert [row.key for row in store.run(lambda tx: tx.claim_due(NOW, 10))] == ["a"]


def test_scheduling_a_key_again_keeps_the_first_row(store: Store) -> None:
    first = deadline("a", NOW)
    store.run(lambda tx: tx.schedule([first]))
    store.run(lambda tx: tx.schedule([deadline("a", NOW + HOUR)]))
    assert store.deadlines() == [first]
    assert store.deadlines("s-1") == [first]
    assert store.deadlines("s-2") == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda tx: tx.claim_due(datetime(2027, 3, 1), 1), "now"),
        (lambda tx: tx.claim_due(NOW, 0), "limit"),
        (lambda tx: tx.close_deadlines(["a"], "escalated", NOW), "status"),
        (lambda tx: tx.close_deadlines("a", "done", NOW), "keys"),
        (lambda tx: tx.postpone("a", NOW), "keys"),
        (lambda tx: tx.postpone(["a"], datetime(2027, 3, 1)), "due_at"),
        (lambda tx: tx.schedule([("a", "s-1")]), "deadlines"),
        (lambda tx: tx.schedule([deadline("a", NOW)._replace(step="two words")]), "step"),
        (lambda tx: tx.schedule([deadline("a", NOW)._replace(data="{no")]), "data"),
        (lambda tx: tx.schedule([deadline("a", NOW)._replace(status="done")]), "status"),
        (lambda tx: tx.schedule([deadline("a", NOW)._replace(closed_at="x")]), "closed_at"),
        (lambda tx: tx.schedule([deadline("a", NOW), deadline("a", NOW)]), "key"),
        (lambda tx: tx.schedule([deadline("a", NOW)._replace(key="a b")]), "key"),
        (lambda tx: tx.schedule([deadline("a", NOW)._replace(stream_id="\ud800")]), "stream_id"),
        (
            lambda tx: tx.schedule(
                [deadline("a", NOW)._replace(due_at="2020-13-01T00:00:00.000000Z")]
            ),
            "due_at",
        ),
        (
            lambda tx: tx.schedule([deadline("a", NOW)._replace(due_at=NOW.isoformat())]),
            "due_at",
        ),
    ],
)
def test_bad_claims_are_named_and_write_nothing(store: Store, call: object, field: str) -> None:
    def work(tx: Transaction) -> None:
        tx.schedule([deadline("kept-out", NOW)])
        call(tx)  # type: ignore[operator]

    with pytest.raises(InvalidInput) as error:
        store.run(work)
    assert error.value.field == field
    assert store.deadlines(open_only=False) == []


def test_a_transaction_kept_beyond_its_work_refuses_to_work(store: Store) -> None:
    kept: list[Transaction] = []
    store.run(kept.append)
    with pytest.raises(StoreError, match="transaction has ended"):
        kept[0].claim_due(NOW, 5)
    with pytest.raises(StoreError, match="transaction has ended"):
        kept[0].schedule([deadline("late", NOW)])
    assert store.deadlines() == []
    with pytest.raises(InvalidInput) as error:
        store.run(None)  # type: ignore[arg-type]
    assert error.value.field == "work"
    assert store.run(lambda tx: tx.claim_due(NOW, 5)) == []  # the store is unharmed


def test_deadline_rows_are_made_from_aware_datetimes() -> None:
    row = DeadlineRow.make("a", "s-1", "search_check_in", NOW, NOW)
    assert (row.due_at, row.status, row.closed_at) == ("2027-03-01T09:00:00.000000Z", "open", None)
    with pytest.raises(InvalidInput) as error:
        DeadlineRow.make("a", "s-1", "search_check_in", datetime(2027, 3, 1), NOW)
    assert error.value.field == "due_at"


def _claim_until_empty(backend: str, barrier: Barrier, handled: Queue[list[str]]) -> None:
    """Claim three due deadlines at a time and close them, until none is left; report the
    keys each committed transaction handled."""
    store = open_store(backend)
    barrier.wait()
    try:
        while True:

            def work(tx: Transaction) -> list[str]:
                keys = [row.key for row in tx.claim_due(NOW, 3)]
                time.sleep(0.002)  # hold the claim while the others claim
                assert tx.close_deadlines(keys, "missed", NOW) == len(keys)
                return keys

            keys = store.run(work)
            if not keys:
                return
            handled.put(keys)
    finally:
        store.close()


def test_several_processes_claiming_handle_each_deadline_exactly_once(
    backend: str, store: Store
) -> None:
    keys = [f"d-{i:03}" for i in range(120)]
    store.run(lambda tx: tx.schedule([deadline(k, NOW - timedelta(seconds=i)) for i, k in
                                      enumerate(keys)]))  # fmt: skip
    workers = 4
    barrier = _CONTEXT.Barrier(workers)
    handled: Queue[list[str]] = _CONTEXT.Queue()
    processes = [
        _CONTEXT.Process(target=_claim_until_empty, args=(backend, barrier, handled))
        for _ in range(workers)
    ]
    batches = collect(processes, handled)
    counts = Counter(key for batch in batches for key in batch)
    assert sorted(counts) == keys
    assert set(counts.values()) == {1}
    assert {row.status for row in store.deadlines(open_only=False)} == {"missed"}


# -- leases beyond a transaction (outbox) ----------------------------------------------


def test_a_leased_entry_is_not_leased_again_until_its_lease_ends(
    backend: str, store: Store
) -> None:
    first, second = queue_notifications(backend, 2)
    (leased,) = store.lease_outbox("w1", NOW, HOUR, 1)
    assert (leased.key, leased.leased_by, leased.attempts) == (first, "w1", 1)
    assert leased.leased_until == rfc3339(NOW + HOUR)
    assert [e.key for e in store.lease_outbox("w2", NOW, HOUR, 5)] == [second]
    assert store.lease_outbox("w3", NOW + HOUR - timedelta(microseconds=1), HOUR, 5) == []
    # w1 died: when its lease ends, the entry goes to the next worker, as a new attempt
    (again,) = store.lease_outbox("w3", NOW + HOUR, HOUR, 1)
    assert (again.key, again.leased_by, again.attempts) == (first, "w3", 2)
    assert not store.settle_outbox(first, "w1", NOW, delivered=True)  # not its lease now
    assert store.settle_outbox(first, "w3", NOW + HOUR, delivered=True)
    assert not store.settle_outbox(first, "w3", NOW + HOUR, delivered=True)
    assert [e.key for e in store.outbox()] == [second]
    # w2 never settled either: its entry too is leased again once its lease ended
    assert [e.key for e in store.lease_outbox("w4", NOW + 9 * HOUR, HOUR, 5)] == [second]


def test_a_failed_delivery_waits_for_its_retry_time(backend: str, store: Store) -> None:
    (key,) = queue_notifications(backend, 1)
    store.lease_outbox("w1", NOW, HOUR, 1)
    assert store.settle_outbox(key, "w1", NOW, delivered=False, retry_at=NOW + HOUR,
                               error="smtp.timeout")  # fmt: skip
    (entry,) = store.outbox()
    assert (entry.last_error, entry.next_attempt_at) == ("smtp.timeout", rfc3339(NOW + HOUR))
    assert entry.leased_until is None
    assert not store.settle_outbox(key, "w1", NOW, delivered=True)  # released: not held
    assert store.lease_outbox("w2", NOW, HOUR, 1) == []
    assert [e.attempts for e in store.lease_outbox("w2", NOW + HOUR, HOUR, 1)] == [2]


def test_a_lease_can_take_one_channel(backend: str, store: Store) -> None:
    queue_notifications(backend, 1)
    assert store.lease_outbox("w1", NOW, HOUR, 5, channel="webhook") == []
    assert [e.notification.channel for e in store.lease_outbox("w1", NOW, HOUR, 5, "email")] == [
        "email"
    ]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"owner": "two words"}, "owner"),
        ({"now": datetime(2027, 3, 1)}, "now"),
        ({"lease_for": timedelta(0)}, "lease_for"),
        ({"lease_for": 60}, "lease_for"),
        ({"limit": 0}, "limit"),
        ({"channel": ""}, "channel"),
    ],
)
def test_a_bad_lease_is_named(store: Store, arguments: dict[str, object], field: str) -> None:
    call = {"owner": "w1", "now": NOW, "lease_for": HOUR, "limit": 1} | arguments
    with pytest.raises(InvalidInput) as error:
        store.lease_outbox(**call)  # type: ignore[arg-type]
    assert error.value.field == field


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"key": ""}, "key"),
        ({"at": "now"}, "at"),
        ({"delivered": "yes"}, "delivered"),
        ({"retry_at": NOW}, "retry_at"),
        ({"delivered": False, "error": "a long story"}, "error"),
        ({"delivered": False, "retry_at": NOW - HOUR}, "retry_at"),
        ({"key": "\ud800"}, "key"),
    ],
)
def test_a_bad_settlement_is_named(store: Store, arguments: dict[str, object], field: str) -> None:
    call = {"key": "s:1:p:0", "owner": "w1", "at": NOW, "delivered": True} | arguments
    with pytest.raises(InvalidInput) as error:
        store.settle_outbox(**call)  # type: ignore[arg-type]
    assert error.value.field == field


def test_a_read_only_store_leases_nothing(backend: str) -> None:
    queue_notifications(backend, 1)
    reader = open_store(backend, read_only=True)
    try:
        with pytest.raises(StoreError, match="read-only"):
            reader.lease_outbox("w1", NOW, HOUR, 1)
    finally:
        reader.close()


def _deliver_until_empty(
    backend: str, owner: str, barrier: Barrier, delivered: Queue[tuple[str, str]]
) -> None:
    """Lease two entries at a time, "deliver" each (report it) and settle it, until none."""
    store = open_store(backend)
    barrier.wait()
    try:
        while entries := store.lease_outbox(owner, NOW, HOUR, 2):
            for entry in entries:
                delivered.put((entry.key, owner))
                time.sleep(0.001)
                assert store.settle_outbox(entry.key, owner, NOW, delivered=True)
    finally:
        store.close()


def test_several_processes_leasing_never_deliver_one_entry_twice(
    backend: str, store: Store
) -> None:
    keys = queue_notifications(backend, 40)
    workers = 4
    barrier = _CONTEXT.Barrier(workers)
    delivered: Queue[tuple[str, str]] = _CONTEXT.Queue()
    processes = [
        _CONTEXT.Process(target=_deliver_until_empty, args=(backend, f"w{i}", barrier, delivered))
        for i in range(workers)
    ]
    seen = collect(processes, delivered)
    counts = Counter(key for key, _ in seen)
    assert sorted(counts) == sorted(keys)
    assert set(counts.values()) == {1}
    assert store.outbox() == []
    assert all(e.attempts == 1 for e in store.outbox(pending=False))


def _lease_and_hang(backend: str, leased: Event) -> None:
    store = open_store(backend)
    store.lease_outbox("doomed", NOW, HOUR, 3)
    leased.set()
    time.sleep(60)  # killed long before


def test_the_entries_of_a_killed_worker_are_leased_again_when_its_lease_ends(
    backend: str, store: Store
) -> None:
    keys = queue_notifications(backend, 4)
    leased = _CONTEXT.Event()
    worker = _CONTEXT.Process(target=_lease_and_hang, args=(backend, leased))
    worker.start()
    assert leased.wait(60), "the worker never leased"
    os.kill(worker.pid, signal.SIGKILL)  # type: ignore[arg-type]
    worker.join(30)
    assert [e.key for e in store.lease_outbox("w2", NOW, 2 * HOUR, 10)] == keys[3:]
    taken = store.lease_outbox("w2", NOW + HOUR, HOUR, 10)
    assert [(e.key, e.attempts) for e in taken] == [(k, 2) for k in keys[:3]]
