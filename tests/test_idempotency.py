"""Idempotent commands: a command repeated under its caller's command id writes once."""

from __future__ import annotations

import json
import runpy
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest

from stageborging import ConcurrencyConflict, Engine, InvalidInput, Refused
from stageborging.audit import seal
from stageborging.testing import FakeClock
from support import COACH, PLACEMENT_OFFICE, STUDENT, journey, mbo_details


def test_a_repeated_fire_returns_the_first_event_and_writes_nothing(engine: Engine) -> None:
    sid = journey(engine).open()
    first = engine.fire(sid, "begin_search", actor=STUDENT, command_id="msg-1")
    again = engine.fire(sid, "begin_search", actor=STUDENT, command_id="msg-1")
    assert again == first
    assert len(engine.history(sid)) == 2
    assert first.command_id == "msg-1"
    assert engine.history(sid)[-1].command_id == "msg-1"


def test_a_repeat_after_the_stream_moved_on_still_returns_the_first_outcome(
    engine: Engine,
) -> None:
    """A retry that arrives late (the stream has moved on, its version is stale) is still
    the same command: its first event comes back, no conflict, nothing written."""
    sid = journey(engine).open()
    first = engine.fire(sid, "begin_search", actor=STUDENT, expected_version=1, command_id="m1")
    engine.record(sid, "application_sent", actor=STUDENT,
                  data={"application": "a-1", "employer": "emp-1"})  # fmt: skip
    again = engine.fire(sid, "begin_search", actor=STUDENT, expected_version=1, command_id="m1")
    assert again == first
    assert engine.stream(sid).version == 3
    with pytest.raises(ConcurrencyConflict):  # without the id it is a stale command
        engine.fire(sid, "request_assistance", actor=STUDENT, expected_version=1)


@pytest.mark.parametrize(
    ("trigger", "actor", "data", "named"),
    [
        ("request_assistance", STUDENT, None, "transitioned 'begin_search'"),
        ("begin_search", COACH, None, "another actor"),
        ("begin_search", STUDENT, {"note": "x"}, "other data"),
    ],
)
def test_another_command_under_a_used_id_is_refused_and_writes_nothing(
    engine: Engine, trigger: str, actor: object, data: object, named: str
) -> None:
    sid = journey(engine).open()
    engine.fire(sid, "begin_search", actor=STUDENT, command_id="msg-1")
    before = engine.stream(sid)
    with pytest.raises(InvalidInput) as error:
        engine.fire(sid, trigger, actor=actor, data=data, command_id="msg-1")  # type: ignore[arg-type]
    assert error.value.field == "command_id"
    assert named in str(error.value)
    assert engine.stream(sid) == before


def test_a_fact_under_an_id_a_transition_used_is_another_command(engine: Engine) -> None:
    sid = journey(engine).open()
    engine.fire(sid, "begin_search", actor=STUDENT, command_id="msg-1")
    with pytest.raises(InvalidInput) as error:
        engine.record(sid, "application_sent", actor=STUDENT, command_id="msg-1",
                      data={"application": "a-1", "employer": "emp-1"})  # fmt: skip
    assert error.value.field == "command_id"
    assert len(engine.history(sid)) == 2


def test_a_repeated_refusal_raises_again_without_a_second_refused_event(engine: Engine) -> None:
    sid = journey(engine).open()
    with pytest.raises(Refused) as first:
        engine.fire(sid, "withdraw", actor=COACH, command_id="msg-9")  # a coach may not
    with pytest.raises(Refused) as again:
        engine.fire(sid, "withdraw", actor=COACH, command_id="msg-9")
    assert again.value.event == first.value.event
    assert [e.type.value for e in engine.history(sid)] == ["opened", "refused"]


def test_a_recorded_fact_repeats_with_its_data_in_any_key_order(engine: Engine) -> None:
    sid = journey(engine).open()
    engine.fire(sid, "begin_search", actor=STUDENT)
    first = engine.record(sid, "application_sent", actor=STUDENT, command_id="app-1",
                          data={"application": "a-1", "employer": "emp-1"})  # fmt: skip
    again = engine.record(sid, "application_sent", actor=STUDENT, command_id="app-1",
                          data={"employer": "emp-1", "application": "a-1"})  # fmt: skip
    assert again == first
    assert len(engine.history(sid)) == 3


def test_a_command_id_is_unique_per_stream_only(engine: Engine) -> None:
    a, b = journey(engine).open(), journey(engine).open()
    engine.fire(a, "begin_search", actor=STUDENT, command_id="sync-1")
    engine.fire(b, "begin_search", actor=STUDENT, command_id="sync-1")
    assert engine.stream(a).state == engine.stream(b).state == "searching"


def test_a_repeated_open_finds_the_stream_its_first_attempt_opened(engine: Engine) -> None:
    first = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(),
                        command_id="enrol-42")  # fmt: skip
    again = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(),
                        command_id="enrol-42")  # fmt: skip
    assert again == first
    assert engine.statistics().events == 1
    with pytest.raises(InvalidInput) as error:  # the same id for another student
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(student="stu-2"),
                    command_id="enrol-42")  # fmt: skip
    assert error.value.field == "command_id"
    assert engine.statistics().events == 1


def test_an_open_with_its_own_stream_id_repeats_too(engine: Engine) -> None:
    first = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(),
                        stream_id="bpv-1", command_id="c-1")  # fmt: skip
    again = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(),
                        stream_id="bpv-1", command_id="c-1")  # fmt: skip
    assert again == first
    with pytest.raises(InvalidInput) as error:  # the id is taken, by another command
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), stream_id="bpv-1")
    assert error.value.field == "stream_id"


@pytest.mark.parametrize("bad", ["", "two words", "x" * 129, 7, b"id"])
def test_a_malformed_command_id_is_named(engine: Engine, bad: object) -> None:
    sid = journey(engine).open()
    with pytest.raises(InvalidInput) as error:
        engine.fire(sid, "begin_search", actor=STUDENT, command_id=bad)  # type: ignore[arg-type]
    assert error.value.field == "command_id"
    with pytest.raises(InvalidInput) as error:
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), command_id=bad)  # type: ignore[arg-type]
    assert error.value.field == "command_id"
    assert len(engine.history(sid)) == 1


def test_the_command_id_is_in_the_hashed_header(engine: Engine) -> None:
    sid = journey(engine).open()
    engine.fire(sid, "begin_search", actor=STUDENT, command_id="msg-1")
    engine.fire(sid, "request_assistance", actor=STUDENT)
    headers = [json.loads(e.header) for e in engine.store.read_events(sid)]
    assert [h.get("command") for h in headers] == [None, "msg-1", None]
    assert all(h["v"] == 2 for h in headers)
    assert engine.verify().ok


def test_a_batch_run_twice_writes_once(engine: Engine) -> None:
    """A SIS sync that is sent again (the reply was lost) changes nothing the second time."""
    sids = [journey(engine).open() for _ in range(3)]

    def sync() -> list[object]:
        with engine.batch() as batch:
            for n, sid in enumerate(sids):
                batch.fire(sid, "begin_search", actor=STUDENT, command_id=f"sync-7-{n}")
            batch.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(),
                       command_id="sync-7-open")  # fmt: skip
        assert not batch.failed
        return [result.event for result in batch.results]

    first = sync()
    events = engine.statistics().events
    assert sync() == first
    assert engine.statistics().events == events


def test_the_same_id_twice_in_one_batch_is_one_command(engine: Engine) -> None:
    sid = journey(engine).open()
    with engine.batch() as batch:
        batch.fire(sid, "begin_search", actor=STUDENT, command_id="m")
        batch.fire(sid, "begin_search", actor=STUDENT, command_id="m")
    first, second = batch.results
    assert first.event == second.event
    assert len(engine.history(sid)) == 2


def test_concurrent_repeats_write_once(backend: str, clock: FakeClock) -> None:
    """The same command delivered to several workers at once (a queue's redelivery) writes
    one event; every worker gets that event."""
    with Engine(backend, clock=clock) as setup:
        sid = journey(setup).open()
    results: list[object] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def deliver() -> None:
        try:
            with Engine(backend, clock=clock) as engine:
                start.wait()
                results.append(engine.fire(sid, "begin_search", actor=STUDENT, command_id="m-1"))
                results.append(engine.open("case", actor=STUDENT, data={"phase": "search"},
                                           command_id="report-1"))  # fmt: skip
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with Engine(backend, clock=clock) as engine:
        assert len(engine.history(sid)) == 2
        assert engine.statistics().states["case"] == {"received": 1}
        assert len({repr(r) for r in results}) == 2  # one fire and one open, each the same
        assert engine.verify().ok


def test_a_command_id_twice_on_a_stream_breaks_it_at_the_second(
    file_engine: Engine, db_path: Path
) -> None:
    """Both verifiers report a repeated command id at the event that repeats it."""
    sid = journey(file_engine).open()
    file_engine.fire(sid, "begin_search", actor=STUDENT, command_id="m-1")
    file_engine.fire(sid, "request_assistance", actor=STUDENT, command_id="m-2")
    file_engine.close()
    with closing(sqlite3.connect(db_path)) as conn:  # re-seal seq 3 under m-1 (a forger)
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT * FROM events WHERE seq = 3").fetchone())
        header = json.loads(row["header"])
        fields = {k: row[k] for k in ("stream_id", "seq", "type", "name", "occurred_at",
                                      "actor_id", "actor_role", "from_state", "to_state",
                                      "lifecycle", "definition", "prev_hash")}  # fmt: skip
        plugins = [tuple(p) for p in header["plugins"]]
        forged = seal(**fields, plugins=plugins, body=json.loads(row["body"]), command_id="m-1")
        conn.executescript("DROP TRIGGER events_no_update; DROP INDEX events_by_command;")
        conn.execute("UPDATE events SET header = ?, hash = ?, command_id = ? WHERE seq = 3",
                     (forged.header, forged.hash, "m-1"))  # fmt: skip
        conn.execute("UPDATE streams SET head_hash = ?", (forged.hash,))
        conn.commit()
    with Engine(db_path) as engine:
        breaks = engine.verify().breaks
    assert [(b.seq, b.problem) for b in breaks] == [
        (3, "a command id names a second event on the stream")
    ]
    independent = runpy.run_path(
        str(Path(__file__).parent.parent / "docs" / "examples" / "independent_verifier.py")
    )
    assert [b[:2] for b in independent["verify"](str(db_path))[2]] == [(sid, 3)]
