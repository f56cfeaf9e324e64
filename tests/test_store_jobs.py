"""The store contract, safeguarding tables: jobs leased across transactions, and the
applications the rejection-pattern statistics count. On SQLite and PostgreSQL alike.

Times are passed in, so a lease "ends" by asking at a later time, never by waiting.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from stageborging import InvalidInput
from stageborging.store import ApplicationCount, Store, Transaction, open_store

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=15)
FIXTURE = Path(__file__).parent / "data" / "schema3-demo.db"


def add(store: Store, key: str, due: datetime = NOW, institution: str = "") -> bool:
    return store.run(
        lambda tx: tx.add_job(key, "cascade", "employer:lb-1", institution, {"seq": 2}, due, NOW)
    )


def claim(store: Store, at: datetime = NOW, limit: int = 10, **kw: Any) -> list[str]:
    jobs = store.run(lambda tx: tx.claim_jobs("cascade", at, at + LEASE, limit, **kw))
    return [job.key for job in jobs]


def test_a_job_is_queued_once_and_held_by_one_claim_until_its_lease_ends(store: Store) -> None:
    assert add(store, "job-1")
    assert not add(store, "job-1")  # idempotent: the first stays
    add(store, "job-2", NOW + timedelta(days=1))  # not due yet
    assert claim(store) == ["job-1"]
    assert claim(store) == []  # leased
    assert claim(store, NOW + LEASE) == ["job-1"]  # the worker died: the lease ended
    (job,) = store.jobs()[:1]
    assert (job.key, job.settings, job.done_at) == ("job-1", {"seq": 2}, None)
    assert store.run(lambda tx: tx.finish_job("job-1", NOW))
    assert not store.run(lambda tx: tx.finish_job("job-1", NOW))
    assert claim(store, NOW + 2 * LEASE) == []
    assert [j.key for j in store.jobs()] == ["job-2"]
    assert {j.key for j in store.jobs(open_only=False)} == {"job-1", "job-2"}
    assert claim(store, NOW + timedelta(days=1)) == ["job-2"]


def test_claims_are_scoped_to_a_kind_an_institution_and_limited(store: Store) -> None:
    store.run(lambda tx: tx.add_job("daily", "patterns", "patterns", "", {}, NOW, NOW))
    for n in range(3):
        add(store, f"a-{n}", institution="roc-a")
    add(store, "b-0", institution="roc-b")
    assert claim(store, limit=2, institution="roc-a") == ["a-0", "a-1"]
    assert claim(store, institution="roc-b") == ["b-0"]
    assert claim(store) == ["a-2"]
    jobs = store.run(lambda tx: tx.claim_jobs("patterns", NOW, NOW + LEASE, 10))
    assert [job.key for job in jobs] == ["daily"]


def test_a_rolled_back_claim_holds_nothing(store: Store) -> None:
    add(store, "job-1")

    def fails(tx: Transaction) -> None:
        tx.claim_jobs("cascade", NOW, NOW + LEASE, 10)
        raise RuntimeError("the worker failed before its commit")

    with pytest.raises(RuntimeError):
        store.run(fails)
    assert claim(store) == ["job-1"]


def test_workers_claiming_at_once_never_share_a_job(backend: str) -> None:
    """Four threads, each with its own store, claim one job at a time: each job once."""
    with closing(open_store(backend)) as store:
        for n in range(40):
            add(store, f"job-{n:02}")
    got: Counter[str] = Counter()
    lock = threading.Lock()

    def worker() -> None:
        with closing(open_store(backend)) as own:
            while keys := claim(own, limit=1):
                with lock:
                    got.update(keys)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert got == Counter({f"job-{n:02}": 1 for n in range(40)})


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"key": "has space"}, "key"),
        ({"kind": "no kind"}, "kind"),
        ({"stream_id": ""}, "stream_id"),
        ({"institution": "a b"}, "institution"),
        ({"due_at": datetime(2027, 3, 1)}, "due_at"),
    ],
)
def test_a_bad_job_is_named_and_queues_nothing(
    store: Store, arguments: dict[str, Any], field: str
) -> None:
    given: dict[str, Any] = {"key": "job-1", "kind": "cascade", "stream_id": "employer:lb-1",
                             "institution": "", "data": {}, "due_at": NOW, "at": NOW}  # fmt: skip
    given.update(arguments)
    with pytest.raises(InvalidInput) as error:
        store.run(lambda tx: tx.add_job(**given))
    assert error.value.field == field
    assert store.jobs() == []


def send(tx: Transaction, sid: str, app: str, employer: str, day: str, **kw: Any) -> None:
    tx.add_application(sid, app, employer, kw.get("institution", ""), kw.get("programme", "p-1"),
                       kw.get("level", 2), day)  # fmt: skip


def test_applications_are_counted_by_programme_level_and_employer(store: Store) -> None:
    def work(tx: Transaction) -> None:
        send(tx, "s-1", "a-1", "lb-1", "2027-01-10")
        send(tx, "s-1", "a-2", "lb-1", "2027-01-11")
        send(tx, "s-2", "a-1", "lb-1", "2027-01-12")
        send(tx, "s-2", "a-2", "lb-2", "2027-01-12")
        send(tx, "s-3", "a-1", "lb-2", "2027-01-12", level=3)
        send(tx, "s-3", "a-2", "lb-2", "2026-06-01")  # before the window
        send(tx, "s-3", "a-1", "lb-9", "2027-01-12")  # again: the first stays
        tx.application_outcome("s-1", "a-1", "invited")
        tx.application_outcome("s-1", "a-2", "no_response")  # counts, not invited
        tx.application_outcome("s-2", "a-1", "withdrawn")  # left out
        tx.application_outcome("s-2", "a-2", "rejected")
        tx.application_outcome("s-3", "a-1", "invited")
        tx.application_outcome("s-3", "a-2", "invited")

    store.run(work)
    assert store.application_counts("2027-01-01", "2027-03-31") == [
        ApplicationCount("p-1", 2, "lb-1", 2, 1),
        ApplicationCount("p-1", 2, "lb-2", 1, 0),
        ApplicationCount("p-1", 3, "lb-2", 1, 1),
    ]
    store.run(lambda tx: tx.application_outcome("s-1", "a-1", None))  # corrected: pending
    assert store.application_counts("2027-01-01", "2027-03-31")[0] == ApplicationCount(
        "p-1", 2, "lb-1", 1, 0
    )


def test_application_counts_are_scoped_to_an_institution(store: Store) -> None:
    def work(tx: Transaction) -> None:
        send(tx, "s-1", "a-1", "lb-1", "2027-01-10", institution="roc-a")
        send(tx, "s-2", "a-1", "lb-1", "2027-01-10", institution="roc-b", level=None)
        tx.application_outcome("s-1", "a-1", "rejected")
        tx.application_outcome("s-2", "a-1", "rejected")

    store.run(work)
    assert store.application_counts("2027-01-01", "2027-01-31", "roc-b") == [
        ApplicationCount("p-1", None, "lb-1", 1, 0)
    ]
    assert len(store.application_counts("2027-01-01", "2027-01-31")) == 2
    with pytest.raises(InvalidInput) as error:
        store.application_counts("1 jan", "2027-01-31")
    assert error.value.field == "since"


def test_the_upgrade_fills_the_applications_from_the_log(tmp_path: Path) -> None:
    """A database from before the table: its applications and their outcomes, from events."""
    db = tmp_path / "old.db"
    shutil.copyfile(FIXTURE, db)
    conn = sqlite3.connect(db)
    sent = conn.execute(
        "SELECT count(*) FROM events WHERE type = 'recorded' AND name = 'application_sent'"
    ).fetchone()[0]
    conn.close()
    assert sent > 0
    with closing(open_store(db)) as store:
        counts = store.application_counts("2000-01-01", "2100-01-01")
        rows = sqlite3.connect(db).execute("SELECT outcome FROM applications").fetchall()
    assert len(rows) == sent
    known = sum(outcome in ("invited", "rejected", "no_response") for (outcome,) in rows)
    assert sum(c.applications for c in counts) == known
    assert sum(c.invited for c in counts) == sum(o == "invited" for (o,) in rows)
