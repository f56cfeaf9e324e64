"""The store contract: what every backend does the same, run on SQLite and PostgreSQL.

Every capability adds its tables and queries here, so each is built once against one
contract and runs on both backends from its first day (PostgreSQL tests skip, saying
why, where no server is configured).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import attrs
import pytest

from stageborging import (
    ConcurrencyConflict,
    Engine,
    InvalidInput,
    Refused,
    StoreError,
    StreamNotFound,
    Transition,
    verify_database,
)
from stageborging.audit import seal
from stageborging.lifecycles import mbo_bpv
from stageborging.store import DefinitionRow, Store, open_store
from stageborging.testing import FakeClock, KitRegister
from support import (
    COACH,
    PLACEMENT_OFFICE,
    POSTGRES_DSN,
    STUDENT,
    SYSTEM,
    Tells,
    journey,
    mbo_details,
)

# -- the engine on each backend --------------------------------------------------------


def test_a_journey_is_recorded_replayed_and_verified(engine: Engine, clock: FakeClock) -> None:
    sid = journey(engine, clock).open()
    journey(engine, clock).to_active(sid)
    engine.record(sid, "hours", actor=STUDENT, data={"hours": 40})
    stream = engine.stream(sid)
    assert (stream.state, stream.version, stream.facts["hours"]) == ("active", 11, 40)
    assert [e.seq for e in engine.history(sid)] == list(range(1, 12))
    assert engine.replay(sid) == stream
    report = engine.verify()
    assert report.ok
    assert report.judged
    # and the employer's stream its placement opened, with its opening event
    assert (report.streams, report.events) == (2, 12)
    assert engine.stream(f"employer:{journey(engine, clock).employer}").version == 1


def test_a_refusal_is_recorded_and_nothing_else_moves(engine: Engine, clock: FakeClock) -> None:
    sid = journey(engine, clock).open()
    journey(engine, clock).search(sid)
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-unrecognised"})
    with pytest.raises(Refused) as refused:
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
    assert refused.value.event is not None
    assert engine.stream(sid).state == "placement_proposed"
    assert engine.statistics().refusals == {"recognition.not_recognised": 1}


def test_a_stale_expected_version_conflicts_and_writes_nothing(engine: Engine) -> None:
    sid = journey(engine).open()
    with pytest.raises(ConcurrencyConflict):
        engine.fire(sid, "begin_search", actor=STUDENT, expected_version=7)
    assert engine.stream(sid).version == 1
    engine.fire(sid, "begin_search", actor=STUDENT, expected_version=1)
    assert engine.stream(sid).version == 2


def test_bad_input_is_the_same_named_error(engine: Engine) -> None:
    with pytest.raises(InvalidInput) as info:
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(level=9))
    assert info.value.field == "data.level"
    sid = journey(engine).open()
    with pytest.raises(InvalidInput) as taken:
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), stream_id=sid)
    assert taken.value.field == "stream_id"
    assert engine.statistics().events == 1


def test_commands_on_one_stream_from_threads_serialise(backend: str, clock: FakeClock) -> None:
    """Threads recording on one stream: every command applies; the chain stays linear."""
    with Engine(backend, clock=clock) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)

        def record(n: int) -> None:
            for i in range(5):
                data = {"application": f"a{n}-{i}", "employer": "e1"}
                engine.record(sid, "application_sent", actor=STUDENT, data=data)

        threads = [threading.Thread(target=record, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert engine.stream(sid).version == 22
        assert len(engine.stream(sid).facts["applications"]) == 20
        assert engine.verify().ok


def test_versions_and_migrations(backend: str, clock: FakeClock) -> None:
    variant = attrs.evolve(mbo_bpv(), name="variant")
    with Engine(backend, clock=clock, lifecycles=[variant]) as engine:
        sid = engine.open("variant", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
    pause = Transition("pause_search", ["searching"], "orientation", ["coach"])
    changed = attrs.evolve(variant, transitions=(*variant.transitions, pause))
    with Engine(backend, clock=clock, lifecycles=[changed]) as engine:
        (pending,) = [v for v in engine.versions("variant") if v.pending]
        assert pending.digest == variant.digest
        event = engine.migrate(sid, actor=SYSTEM, reason="school_year_2027")
        assert event.definition == changed.digest
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "pause_search", actor=COACH)
        assert engine.replay(sid) == engine.stream(sid)
    report = verify_database(backend)
    assert report.ok
    assert {v.digest for v in report.stamped} == {variant.digest, changed.digest}


def test_notifications_are_written_with_their_event(backend: str, clock: FakeClock) -> None:
    with Engine(backend, clock=clock, plugins=[Tells()]) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
        (entry,) = engine.notifications(sid)
        assert (entry.seq, entry.plugin, entry.notification.template) == (2, "test-tells", "moved")
        assert entry.delivered_at is None


# -- the store itself ------------------------------------------------------------------


def test_a_stored_version_keeps_its_first_row(store: Store) -> None:
    row = DefinitionRow("d" * 64, "variant", b"{}", "2027-01-10T09:00:00.000000Z")
    store.run(lambda tx: tx.add_definitions([row]))
    store.run(lambda tx: tx.add_definitions([row._replace(data=b"[]")]))
    assert store.definitions() == [row]


def test_events_are_append_only(backend: str, clock: FakeClock) -> None:
    """The database itself refuses to change or delete an event (defence in depth)."""
    with Engine(backend, clock=clock) as engine:
        journey(engine).open()
    if backend.startswith("postgresql"):
        import psycopg

        with psycopg.connect(backend, autocommit=True) as conn:
            for statement in ("UPDATE events SET name = 'x'", "DELETE FROM events"):
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    conn.execute(statement)
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute("TRUNCATE events")
    else:
        import sqlite3

        with sqlite3.connect(backend) as conn:
            for statement in ("UPDATE events SET name = 'x'", "DELETE FROM events"):
                with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                    conn.execute(statement)


def test_a_tampered_event_is_a_break(backend: str, clock: FakeClock) -> None:
    with Engine(backend, clock=clock) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
    statements = (
        "ALTER TABLE events DISABLE TRIGGER events_no_update",
        "UPDATE events SET to_state = 'active' WHERE seq = 2",
    )
    if backend.startswith("postgresql"):
        import psycopg

        with psycopg.connect(backend, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[call-overload]
    else:
        import sqlite3

        with sqlite3.connect(backend) as conn:
            conn.execute("DROP TRIGGER events_no_update")
            conn.execute(statements[1])
    report = verify_database(backend)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(sid, 2)]
    assert "missing" in " ".join(report.warnings)


def _tamper(backend: str, statement: str, *params: object) -> None:
    """Run *statement* (``?`` for parameters) past the append-only triggers."""
    if backend.startswith("postgresql"):
        import psycopg

        with psycopg.connect(backend, autocommit=True) as conn:
            conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update")
            conn.execute(statement.replace("?", "%s"), params)  # type: ignore[call-overload]
    else:
        import sqlite3

        with sqlite3.connect(backend) as conn:
            conn.execute("DROP TRIGGER IF EXISTS events_no_update")
            conn.execute(statement, params)


def test_verification_split_between_processes_is_that_of_one(backend: str) -> None:
    """Split between worker processes (one reading each range of stream ids), a log
    verifies to the very report of one process: counts, versions, and each break on
    its stream, wherever it lies."""
    clock = FakeClock()
    with Engine(backend, clock=clock, plugins=[KitRegister()]) as engine:
        ids = sorted(journey(engine, clock).open() for _ in range(9))
        for sid in ids[::4]:
            journey(engine, clock).to_active(sid)
    whole = verify_database(backend)
    assert whole.ok
    assert verify_database(backend, workers=3) == whole
    for sid in (ids[0], ids[4], ids[-1]):  # in the first, a middle and the last range
        _tamper(backend, "UPDATE events SET name = 'x' WHERE stream_id = ? AND seq = 1", sid)
    broken = verify_database(backend)
    assert [b.stream_id for b in broken.breaks] == [ids[0], ids[4], ids[-1]]
    assert verify_database(backend, workers=3) == broken
    assert verify_database(backend, workers="auto") == broken  # a small log: one process


def test_one_stream_is_verified_alone(backend: str) -> None:
    """``stream_id``: that stream's chain, columns and row, and nothing of the others."""
    clock = FakeClock()
    with Engine(backend, clock=clock) as engine:
        first, second = (journey(engine, clock).open() for _ in range(2))
        engine.fire(first, "begin_search", actor=STUDENT)
    _tamper(backend, "UPDATE events SET name = 'x' WHERE stream_id = ? AND seq = 1", second)
    alone = verify_database(backend, stream_id=first)
    assert (alone.ok, alone.streams, alone.events) == (True, 1, 2)
    broken = verify_database(backend, stream_id=second)
    assert [(b.stream_id, b.seq) for b in broken.breaks] == [(second, 1)]
    with pytest.raises(StreamNotFound):
        verify_database(backend, stream_id="no-such-stream")
    with pytest.raises(InvalidInput):
        verify_database(backend, stream_id="not an id")


@pytest.mark.parametrize("workers", [0, 65, "2", 1.5, True, None])
def test_a_bad_number_of_workers_is_named_before_any_read(backend: str, workers: object) -> None:
    open_store(backend).close()
    with pytest.raises(InvalidInput) as raised:
        verify_database(backend, workers=workers)  # type: ignore[arg-type]
    assert raised.value.field == "workers"


def test_a_read_only_store_writes_nothing(backend: str, clock: FakeClock) -> None:
    with Engine(backend, clock=clock) as engine:
        journey(engine).open()
    reader = open_store(backend, read_only=True)
    try:
        with pytest.raises(StoreError, match="read-only"):
            reader.run(lambda tx: None)
        assert reader.verify().ok
        assert reader.statistics().events == 1
    finally:
        reader.close()


def test_concurrent_first_starts_on_an_empty_database_all_succeed(backend: str) -> None:
    """Several engines opening one empty database at once: one migrates, the others wait."""
    errors: list[BaseException] = []

    def start() -> None:
        try:
            open_store(backend).close()
        except BaseException as exc:  # pragma: no cover - the failure this test is for
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert verify_database(backend).ok


def test_events_written_by_hand_are_read_back_in_order(store: Store) -> None:
    """The store keeps what it is given: sealed events read back in seq order."""
    from stageborging.audit import GENESIS, StreamRow

    prev, sealed = GENESIS, []
    for seq in (1, 2):
        event = seal(
            stream_id="s-1", seq=seq, type="opened" if seq == 1 else "recorded",
            name="case" if seq == 1 else "reporter_feedback",
            occurred_at="2027-01-10T09:00:00.000000Z", actor_id="a-1",
            actor_role="confidential_advisor", from_state="received", to_state="received",
            lifecycle="case", definition="0" * 64, plugins=(),
            body={"data": {}, "date": "2027-01-10", "findings": []}, prev_hash=prev,
        )  # fmt: skip
        prev = event.hash
        sealed.append(event)
    row = StreamRow("s-1", "case", "case", "0" * 64, "received", 2, prev, "{}", "t", "t")
    store.run(lambda tx: tx.write(row, sealed, 0))
    assert store.read_events("s-1") == sealed
    assert list(store.iter_events()) == sealed
    assert store.read_stream("s-1") == row
    assert store.streams_under("0" * 64) == ["s-1"]
    assert [tuple(v) for v in store.versions()] == [("case", "0" * 64, "received", 1)]


def test_the_demo_then_audit_verify_on_each_backend(backend: str) -> None:
    """``stageborging demo --db DB`` then ``stageborging audit verify --db DB`` exits 0."""
    from click.testing import CliRunner

    from stageborging.cli import main

    runner = CliRunner()
    demo = runner.invoke(main, ["demo", "--db", backend, "--students", "6"])
    assert demo.exit_code == 0, demo.output
    assert "Audit log: intact" in demo.output
    verified = runner.invoke(main, ["audit", "verify", "--db", backend])
    assert verified.exit_code == 0, verified.output
    if backend.startswith("postgresql"):  # its log cannot be deleted: a second run is refused
        again = runner.invoke(main, ["demo", "--db", backend, "--students", "6"])
        assert again.exit_code == 2
        assert "needs an empty database" in again.output


def test_postgresql_retries_a_connection_lost_before_the_commit(backend: str) -> None:
    """The server ends the command's connection mid-transaction (pg_terminate_backend):
    nothing of it was committed, so it runs again, once, and is written once."""
    if not backend.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no connection to lose")
    import psycopg

    victim = f"{backend}&application_name=stageborging-victim"
    store = open_store(victim)
    row = DefinitionRow("e" * 64, "variant", b"{}", "2027-01-10T09:00:00.000000Z")
    attempts: list[int] = []

    def work(tx: object) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            with psycopg.connect(backend, autocommit=True) as killer:
                killer.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'stageborging-victim'"
                )
        tx.add_definitions([row])  # type: ignore[attr-defined]

    try:
        store.run(work)
        assert len(attempts) == 2
        assert store.definitions() == [row]
    finally:
        store.close()


def test_a_reader_following_the_log_never_misses_an_event(backend: str) -> None:
    """Writers in threads on their own streams, a reader resuming from the last position it
    saw: it sees every event exactly once, in increasing positions, although commits
    finish in another order than positions are handed out."""
    writers, commands = 4, 15
    done = threading.Event()
    seen: list[tuple[int, str, int]] = []
    with Engine(backend, clock=FakeClock()) as engine:

        def write() -> None:
            sid = journey(engine).open()
            for i in range(commands):
                data = {"application": f"a{i}", "employer": "e1"}
                if i == 0:
                    engine.fire(sid, "begin_search", actor=STUDENT)
                else:
                    engine.record(sid, "application_sent", actor=STUDENT, data=data)

        def follow() -> None:
            position = 0
            while True:
                finished = done.is_set()  # read before the batch: a last pass after the end
                batch = engine.store.events_after(position, 7)
                for position, event in batch:
                    seen.append((position, event.stream_id, event.seq))
                if finished and not batch:
                    return

        reader = threading.Thread(target=follow)
        reader.start()
        threads = [threading.Thread(target=write) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done.set()
        reader.join(timeout=60)
        assert not reader.is_alive()
        positions = [p for p, _, _ in seen]
        assert positions == sorted(set(positions))  # increasing, each once
        everything = {(e.stream_id, e.seq) for e in engine.store.iter_events()}
        assert {(sid, seq) for _, sid, seq in seen} == everything
        assert len(everything) == writers * (commands + 1)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"min_size": 5, "max_size": 2}, "min_size"),
        ({"max_size": 0}, "max_size"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "10"}, "timeout"),
        ({"retries": True}, "retries"),
        ({"read_only": "yes"}, "read_only"),
        ({"url": "sqlite:///x.db"}, "url"),
    ],
)
def test_a_postgres_store_names_the_argument_it_cannot_use(
    arguments: dict[str, object], field: str
) -> None:
    """Checked before any connection is made, so no server is needed."""
    pytest.importorskip("psycopg", reason="PostgreSQL: psycopg is not installed")
    from stageborging.store import PostgresStore

    given: dict[str, object] = {"url": "postgresql://nobody@127.0.0.1:1/none", **arguments}
    with pytest.raises(InvalidInput) as info:
        PostgresStore(**given)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize(
    ("position", "limit", "field"),
    [(None, 10, "position"), ("0", 10, "position"), (-1, 10, "position"),
     (0, 0, "limit"), (0, -5, "limit"), (0, True, "limit")],
)  # fmt: skip
def test_following_the_log_names_a_bad_position_or_limit(
    store: Store, position: object, limit: object, field: str
) -> None:
    """Both backends refuse the same way: a follower never silently reads nothing."""
    for follow in (store.events_after, store.hashes_after):
        with pytest.raises(InvalidInput) as info:
            follow(position, limit)  # type: ignore[arg-type]
        assert info.value.field == field


def test_the_trees_leaves_are_the_events_hashes_in_the_global_order(backend: str) -> None:
    """hashes_after pages what events_after does, lighter: the Merkle tree's leaves."""
    with Engine(backend, clock=FakeClock()) as engine:
        for _ in range(3):
            engine.fire(journey(engine).open(), "begin_search", actor=STUDENT)
        events = engine.store.events_after(0, 100)
        leaves = engine.store.hashes_after(0, 4) + engine.store.hashes_after(
            engine.store.hashes_after(0, 4)[-1][0], 100
        )
    assert leaves == [(p, e.stream_id, e.seq, e.hash) for p, e in events]
    assert len(leaves) == 6


def test_the_last_position_is_that_of_the_last_event(backend: str) -> None:
    """last_position: 0 on an empty log, then the position the last event was given."""
    with Engine(backend, clock=FakeClock()) as engine:
        assert engine.store.last_position() == 0
        engine.fire(journey(engine).open(), "begin_search", actor=STUDENT)
        events = engine.store.events_after(0, 100)
        assert engine.store.last_position() == events[-1][0]


def test_messages_never_show_a_password() -> None:
    from stageborging.store import shown_db

    url = "postgresql://school:S3cret@db.example.nl:5432/internships?options=x"
    assert "S3cret" not in shown_db(url)
    assert shown_db(url).startswith("postgresql://school@db.example.nl:5432/internships")
    if os.environ.get(POSTGRES_DSN):
        pytest.importorskip("psycopg")
        with pytest.raises(StoreError) as info:
            open_store("postgresql://school:S3cret@127.0.0.1:1/none")
        assert "S3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"synchronous": "OFF"}, "synchronous"),
        ({"busy_timeout": "5"}, "busy_timeout"),
        ({"busy_timeout": -1}, "busy_timeout"),
        ({"busy_timeout": float("nan")}, "busy_timeout"),
        ({"retries": -1}, "retries"),
        ({"retries": 2.5}, "retries"),
        ({"read_only": "no"}, "read_only"),
    ],
)
def test_an_sqlite_store_names_the_argument_it_cannot_use(
    tmp_path: Path, arguments: dict[str, object], field: str
) -> None:
    from stageborging import SQLiteStore

    with pytest.raises(InvalidInput) as error:
        SQLiteStore(tmp_path / "x.db", **arguments)  # type: ignore[arg-type]
    assert error.value.field == field
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("db", [None, 5, "host=127.0.0.1 port=1 password=Sekr1t dbname=test"])
def test_open_store_names_a_database_it_cannot_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: object
) -> None:
    """Neither a path nor a URL (a libpq keyword string is no file name) is InvalidInput,
    and no file is made, whose name would hold a password."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInput) as error:
        open_store(db)  # type: ignore[arg-type]
    assert error.value.field == "db"
    assert "Sekr1t" not in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_a_url_with_a_nul_is_refused(backend: str) -> None:
    if not backend.startswith("postgresql"):
        pytest.skip("PostgreSQL only: a URL")
    with pytest.raises(InvalidInput) as error:
        open_store(backend.replace("/test", "/te\x00st"))
    assert error.value.field == "url"


def test_a_command_waits_for_a_free_connection_only_its_timeout(backend: str) -> None:
    """The pool's timeout is the wait: a command finding no free connection fails with a
    StoreError saying so, not after a retry for every attempt."""
    if not backend.startswith("postgresql"):
        pytest.skip("PostgreSQL only: a connection pool")
    from stageborging.store import PostgresStore

    store = PostgresStore(backend, max_size=1, timeout=0.2, retries=5)
    holding, release = threading.Event(), threading.Event()

    def hold(tx: object) -> None:
        holding.set()
        release.wait(30)

    holder = threading.Thread(target=lambda: store.run(hold))
    holder.start()
    try:
        assert holding.wait(30)
        with pytest.raises(StoreError, match="no free connection"):
            store.run(lambda tx: None)
    finally:
        release.set()
        holder.join()
        store.close()
