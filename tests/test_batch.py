"""Batches: many commands in one transaction, each exactly as it would run on its own,
with the documented rule for a failing command. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import (
    Batch,
    BatchResult,
    ConcurrencyConflict,
    Engine,
    InvalidInput,
    Refused,
    StoreError,
    StreamNotFound,
    hookimpl,
)
from stageborging.testing import FakeClock
from support import (
    COACH,
    PLACEMENT_OFFICE,
    POSTGRES_DSN,
    STUDENT,
    Recognises,
    Tells,
    mbo_details,
    postgres_dsn,
    postgres_schema,
)


def kinds(results: list[BatchResult]) -> list[str | None]:
    return [None if r.error is None else type(r.error).__name__ for r in results]


def test_a_batch_opens_and_fires_as_single_commands_do(engine: Engine) -> None:
    with engine.batch() as batch:
        sids = [batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()) for _ in range(3)]
        for sid in sids:
            batch.fire(sid, "begin_search", actor=STUDENT)
            batch.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
    results = batch.results
    assert kinds(results) == [None] * 9
    assert [r.command for r in results[3:5]] == ["begin_search", "propose_placement"]
    assert results[0].event is not None
    assert results[0].event.stream_id == sids[0]
    for sid in sids:
        stream = engine.stream(sid)
        assert (stream.state, stream.version) == ("placement_proposed", 3)
        assert engine.replay(sid) == stream
    assert engine.verify().ok


def test_a_failing_command_is_its_own_and_the_others_apply(engine: Engine) -> None:
    with engine.batch() as batch:
        sid = batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
        batch.fire(sid, "begin_search", actor=STUDENT)
        batch.fire(sid, "start", actor=COACH)  # not from searching
        batch.fire("nobody", "begin_search", actor=STUDENT)
        batch.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-unrecognised"})
        batch.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)  # refused: not recognised
        batch.fire(sid, "cancel_placement", actor=COACH, data={"reason": "employer_withdrew"},
                   expected_version=3)  # fmt: skip  # stale: the refusal made it 5
        batch.fire(sid, "cancel_placement", actor=COACH, data={"reason": "employer_withdrew"})
        batch.record(sid, "guidance_contact", actor=COACH, data={"moment": "nonsense"})
    results = batch.results
    assert kinds(results) == [
        None, None, "InvalidTransition", "StreamNotFound", None, "Refused",
        "ConcurrencyConflict", None, "InvalidInput",
    ]  # fmt: skip
    assert [r.index for r in batch.failed] == [2, 3, 5, 6, 8]
    refused = results[5]
    assert isinstance(refused.error, Refused)
    assert refused.event is not None
    assert refused.event.type == "refused"  # recorded, as a single refusal is
    assert [r.event is None for r in results[2:4]] == [True, True]
    history = engine.history(sid)
    assert [(e.type.value, e.name) for e in history] == [
        ("opened", "mbo_bpv"), ("transitioned", "begin_search"),
        ("transitioned", "propose_placement"), ("refused", "verify_employer"),
        ("transitioned", "cancel_placement"),
    ]  # fmt: skip
    assert engine.stream(sid).state == "searching"
    assert engine.verify().ok


def test_malformed_arguments_raise_as_they_are_queued(engine: Engine) -> None:
    batch = engine.batch()
    with pytest.raises(InvalidInput) as error:
        batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data={"student": "stu-1"})
    assert error.value.field == "data.programme"
    with pytest.raises(InvalidInput) as error:
        batch.fire("two words", "begin_search", actor=STUDENT)
    assert error.value.field == "stream_id"
    with pytest.raises(InvalidInput) as error:
        batch.fire("s-1", "begin_search", actor=STUDENT, expected_version="5")  # type: ignore[arg-type]
    assert error.value.field == "expected_version"
    with pytest.raises(Refused):  # a student may not open an internship: nothing to record on
        batch.open("mbo_bpv", actor=STUDENT, data=mbo_details())
    assert len(batch) == 0
    with pytest.raises(InvalidInput, match="has not run"):
        batch.results  # noqa: B018
    assert batch.run() == []
    with pytest.raises(InvalidInput, match="has run"):
        batch.fire("s-1", "begin_search", actor=STUDENT)


def test_a_block_that_raises_runs_nothing(engine: Engine) -> None:
    def sync() -> str:
        with engine.batch() as batch:
            sid = batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
            raise RuntimeError(f"the SIS export was cut off after {sid}")

    with pytest.raises(RuntimeError, match="cut off after") as error:
        sync()
    sid = str(error.value).rsplit(" ", 1)[1]
    assert engine.statistics().events == 0
    with pytest.raises(StreamNotFound):
        engine.stream(sid)


def _poison(backend: str) -> None:
    """Make the database itself refuse any event of stream ``poison`` (a real failure)."""
    if backend.startswith("postgresql"):
        import psycopg

        with psycopg.connect(backend, autocommit=True) as conn:
            conn.execute(
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.stream_id = 'poison' THEN RAISE EXCEPTION 'disk says no'; END IF; "
                "RETURN NEW; END $$"
            )
            conn.execute(
                "CREATE TRIGGER poison BEFORE INSERT ON events "
                "FOR EACH ROW EXECUTE FUNCTION poison()"
            )
    else:
        import sqlite3

        with sqlite3.connect(backend) as conn:
            conn.execute(
                "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.stream_id = 'poison' "
                "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            )


def test_a_database_failure_rolls_the_whole_batch_back(engine: Engine, backend: str) -> None:
    engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), stream_id="before")
    _poison(backend)
    batch = engine.batch()
    batch.fire("before", "begin_search", actor=STUDENT)
    batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), stream_id="poison")
    batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), stream_id="after")
    with pytest.raises(StoreError, match="disk says no"):
        batch.run()
    assert engine.stream("before").version == 1
    with pytest.raises(StreamNotFound):
        engine.stream("after")
    # nothing of the failed batch lingers in the engine either
    assert engine.fire("before", "begin_search", actor=STUDENT).seq == 2
    assert engine.verify().ok


def test_notifications_of_a_batch_are_written_with_their_events(
    backend: str, clock: FakeClock
) -> None:
    with Engine(backend, clock=clock, plugins=[Tells()]) as engine:
        with engine.batch() as batch:
            sids = [batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()) for _ in "ab"]
            for sid in sids:
                batch.fire(sid, "begin_search", actor=STUDENT)
                batch.fire(sid, "start", actor=COACH)  # invalid: no notification
            assert len(batch) == 6
        assert sorted(e.stream_id for e in engine.notifications()) == sorted(sids)


def test_a_batch_retried_after_a_lost_connection_is_written_once(backend: str) -> None:
    """PostgreSQL ends the batch's connection before the commit: the whole batch runs again
    and every command is written once, its results built afresh."""
    if not backend.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no connection to lose")
    import psycopg

    victim = f"{backend}&application_name=stageborging-batch"

    class Cuts:
        """Ends the engine's connection the first time a transition is checked."""

        name = "test-cuts"
        cut = False

        @hookimpl
        def stageborging_check_transition(self) -> list[object]:
            if not Cuts.cut:
                Cuts.cut = True
                with psycopg.connect(backend, autocommit=True) as killer:
                    killer.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'stageborging-batch'"
                    )
            return []

    with Engine(victim, plugins=[Cuts()], clock=FakeClock()) as engine:
        with engine.batch() as batch:
            sid = batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
            batch.fire(sid, "begin_search", actor=STUDENT)
        assert Cuts.cut
        assert kinds(batch.results) == [None, None]
        assert [e.seq for e in engine.history(sid)] == [1, 2]
        assert engine.verify().ok


# -- the property: a batch does exactly what its commands do one by one ------------------

_COMMANDS: list[tuple[str, str, Any, dict[str, Any] | None]] = [
    ("fire", "begin_search", STUDENT, None),
    ("fire", "request_assistance", STUDENT, None),
    ("fire", "return_to_own_search", COACH, None),
    ("fire", "propose_placement", STUDENT, {"employer": "emp-1"}),
    ("fire", "propose_placement", STUDENT, {"employer": "emp-unrecognised"}),
    ("fire", "verify_employer", PLACEMENT_OFFICE, None),
    ("fire", "cancel_placement", COACH, {"reason": "employer_withdrew"}),
    ("fire", "withdraw", PLACEMENT_OFFICE, None),
    ("fire", "start", COACH, None),
    ("fire", "no_such_trigger", COACH, None),
    ("record", "guidance_contact", COACH, {"moment": "begin"}),
    ("record", "application_sent", STUDENT, {"application": "app-1", "employer": "emp-1"}),
    ("record", "signature", STUDENT, {"party": "student", "agreement_version": 1}),
]
_STREAMS = ["s-a", "s-b", "s-missing"]

commands = st.lists(
    st.tuples(
        st.sampled_from(_STREAMS),
        st.integers(0, len(_COMMANDS) - 1),
        st.one_of(st.none(), st.integers(1, 6)),
    ),
    max_size=14,
)


def _run_singly(engine: Engine, script: list[tuple[str, int, int | None]]) -> list[str | None]:
    errors: list[str | None] = []
    for sid, pick, expected in script:
        kind, name, actor, data = _COMMANDS[pick]
        call = engine.fire if kind == "fire" else engine.record
        try:
            call(sid, name, actor=actor, data=data, expected_version=expected)
        except (InvalidInput, ConcurrencyConflict, Refused) as exc:
            errors.append(type(exc).__name__)
        else:
            errors.append(None)
    return errors


def _run_batched(engine: Engine, script: list[tuple[str, int, int | None]]) -> list[str | None]:
    with engine.batch() as batch:
        for sid, pick, expected in script:
            kind, name, actor, data = _COMMANDS[pick]
            queue = batch.fire if kind == "fire" else batch.record
            queue(sid, name, actor=actor, data=data, expected_version=expected)
    return kinds(batch.results)


def _compare(dbs: list[str], script: list[tuple[str, int, int | None]]) -> None:
    """Run *script* one by one on ``dbs[0]`` and as a batch on ``dbs[1]``: the same."""
    logs = []
    for db, run in zip(dbs, (_run_singly, _run_batched), strict=True):
        with Engine(db, clock=FakeClock(), plugins=[Recognises("emp-unrecognised")]) as engine:
            for sid in _STREAMS[:2]:
                engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(),
                            stream_id=sid)  # fmt: skip
            errors = run(engine, script)
            log = [engine.store.read_events(sid) for sid in _STREAMS[:2]]
            logs.append((errors, log, [engine.stream(s) for s in _STREAMS[:2]]))
            assert engine.verify().ok
    assert logs[0] == logs[1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=commands)
def test_a_batch_writes_exactly_what_single_commands_write(
    script: list[tuple[str, int, int | None]],
) -> None:
    """Every error, event and hash of a batch equals running its commands one by one
    (same ids, same clock): the batch changes the transaction, nothing else."""
    with tempfile.TemporaryDirectory() as folder:
        _compare([str(Path(folder) / f"{mode}.db") for mode in ("single", "batch")], script)


@pytest.mark.skipif(postgres_dsn() is None, reason=f"PostgreSQL: set {POSTGRES_DSN}")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=commands)
def test_a_batch_on_postgresql_writes_exactly_what_single_commands_write(
    script: list[tuple[str, int, int | None]],
) -> None:
    """The same on PostgreSQL, where a batch locks its streams first and reads them from
    its own transaction's rows."""
    dsn = postgres_dsn()
    assert dsn is not None
    with postgres_schema(dsn) as single, postgres_schema(dsn) as batched:
        _compare([single, batched], script)


# -- what integrators trip on ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("queue", "field"),
    [
        (lambda b, sid: b.fire(sid, {"trigger": "begin_search"}, actor=STUDENT), "trigger"),
        (lambda b, sid: b.fire(sid, None, actor=STUDENT), "trigger"),
        (lambda b, sid: b.record(sid, 5, actor=STUDENT), "fact"),
        (lambda b, sid: b.fire(sid, "begin_search", actor=STUDENT, data="x"), "data"),
    ],
)
def test_a_name_or_data_of_the_wrong_kind_raises_as_it_is_queued(
    engine: Engine, caplog: pytest.LogCaptureFixture, queue: Any, field: str
) -> None:
    """With logging on, too: a dict from a JSON payload is no trigger, and nothing runs."""
    caplog.set_level(logging.INFO, logger="stageborging")
    sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
    batch = engine.batch()
    with pytest.raises(InvalidInput) as error:
        queue(batch, sid)
    assert error.value.field == field
    assert len(batch) == 0
    with pytest.raises(InvalidInput) as error:
        engine.fire(sid, ["begin_search"], actor=STUDENT)  # type: ignore[arg-type]
    assert error.value.field == "trigger"
    assert engine.stream(sid).version == 1


def test_a_batch_whose_block_raised_never_runs(engine: Engine) -> None:
    batch = engine.batch()

    def sync() -> None:
        with batch:
            batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
            raise KeyError("row 17")

    with pytest.raises(KeyError):
        sync()
    with pytest.raises(InvalidInput, match="abandoned"):
        batch.run()
    assert engine.statistics().events == 0
    with pytest.raises(InvalidInput) as error:
        Batch("engine")  # type: ignore[arg-type]
    assert error.value.field == "engine"


def test_a_batch_logs_one_line_of_the_command_format(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The batch's own line carries command, outcome and duration like every command line,
    so one log format fits both."""
    caplog.set_level(logging.INFO, logger="stageborging")
    with engine.batch() as batch:
        sid = batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
        batch.fire(sid, "start", actor=COACH)
    lines = [vars(r) for r in caplog.records if r.name == "stageborging"]
    assert [(line["command"], line["outcome"]) for line in lines] == [
        ("open", "ok"), ("start", "invalid"), ("batch", "partly"),
    ]  # fmt: skip
    assert all("duration_ms" in line for line in lines)
    assert (lines[-1]["commands"], lines[-1]["failed"]) == (2, 1)


def test_batches_opening_the_same_streams_at_once_open_each_once(backend: str) -> None:
    """Two engines batch-open the same ids at the same moment: each id is opened by one
    of them, the other's command for it is its own InvalidInput (on PostgreSQL the losing
    batch's insert fails and the whole batch runs again, finding the streams there)."""
    ids = [f"sync-{i}" for i in range(20)]
    Engine(backend).close()
    start = threading.Barrier(2)
    outcomes: list[list[BatchResult]] = []

    def sync() -> None:
        with Engine(backend, clock=FakeClock()) as engine:
            batch = engine.batch()
            for sid in ids:
                batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), stream_id=sid)
            start.wait()
            outcomes.append(batch.run())

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(len(ids)):
        first, second = (results[index] for results in outcomes)
        assert first.ok != second.ok
        assert isinstance((second if first.ok else first).error, InvalidInput)
    with Engine(backend, clock=FakeClock()) as engine:
        assert engine.statistics().events == len(ids)
        assert engine.verify().ok
