"""Hostile and unlucky conditions: concurrent verification, meddling plugins, full disks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from stageborging import (
    DefinitionError,
    DefinitionMismatch,
    Engine,
    Finding,
    InvalidInput,
    Refused,
    SQLiteStore,
    StoreError,
    Transition,
    hookimpl,
)
from stageborging.lifecycles import definition_from_data, mbo_bpv
from stageborging.testing import FakeClock
from support import PLACEMENT_OFFICE, STUDENT, Recognises, as_schema_3, journey, mbo_details


def test_verification_sees_one_snapshot_while_commands_run(db: str, clock: FakeClock) -> None:
    """Verifying while another thread writes never reports a false break."""
    with Engine(db, clock=clock) as writer_engine, Engine(db, clock=clock) as reader:
        stop = threading.Event()

        def write() -> None:
            while not stop.is_set():
                sid = journey(writer_engine).open()
                writer_engine.fire(sid, "begin_search", actor=STUDENT)

        writer = threading.Thread(target=write)
        writer.start()
        try:
            reports = [reader.verify() for _ in range(30)]
        finally:
            stop.set()
            writer.join()
    assert all(report.ok for report in reports), [r.breaks for r in reports if not r.ok]


def test_a_check_cannot_change_the_data_that_is_sealed(db: str, clock: FakeClock) -> None:
    """Nested command data is read-only to plugins too: a meddling check fails closed."""

    class Meddler:
        name = "meddler"

        @hookimpl
        def stageborging_check_transition(self, data: Any) -> None:
            if "fields_present" in data:
                data["fields_present"].append("INJECTED")

    with Engine(db, plugins=[Recognises(), Meddler()], clock=clock) as engine:
        sid = journey(engine).open()
        with pytest.raises(Refused) as info:
            journey(engine).to_agreement_pending(sid)
        assert info.value.findings[-1].params["plugin"] == "meddler"
        assert "INJECTED" not in str(engine.history(sid)[-1].data)


def test_a_verifier_answering_no_string_fails_closed(db: str, clock: FakeClock) -> None:
    """Only True or False count as an answer; "no" is not "recognised"."""

    class Sloppy:
        name = "sloppy"

        @hookimpl
        def stageborging_verify_recognition(self) -> str:
            return "no"

    with Engine(db, plugins=[Sloppy()], clock=clock) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "e-1"})
        with pytest.raises(Refused) as info:
            engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
    assert info.value.findings[0].code == "recognition.verifier_failed"


@pytest.mark.parametrize(
    "make",
    [
        lambda: Finding("local.x", "warn", "bad \ud800 text"),
        lambda: Finding("local.x", "warn", "ok", params={"who": "Jan Jansen"}),
        lambda: Finding("Local X", "warn", "ok"),
        lambda: Finding("local.x", "warn", "ok", params={"jan@example.nl": "x"}),
        lambda: Finding("local.x", "warn", "ok", params={"\ud800": "x"}),
        lambda: Finding("local.x", "warn", {"text": "a dict"}),
        lambda: Finding("local.x", "warn", None),
        lambda: Finding("local.x", "warn", 3),
        lambda: Finding("local.x", "warn", "ok", message_nl=None),
    ],
)
def test_a_plugin_finding_must_fit_the_log(
    db: str, clock: FakeClock, make: Callable[[], Finding]
) -> None:
    """Unencodable text, names in params, a code with spaces, a param name like an
    address or a message that is no string: refused, not sealed."""

    class Writes:
        name = "writes"

        @hookimpl
        def stageborging_check_transition(self) -> list[Finding]:
            return [make()]

    with Engine(db, plugins=[Writes()], clock=clock) as engine:
        sid = journey(engine).open()
        decision = engine.check(sid, "begin_search", actor=STUDENT)
        assert [f.code for f in decision.blocking] == ["check.failed"]
        with pytest.raises(Refused) as info:
            engine.fire(sid, "begin_search", actor=STUDENT)
        assert [f.code for f in info.value.findings] == ["check.failed"]
        assert engine.verify().ok


def test_a_full_disk_is_a_store_error(db_path: Path, clock: FakeClock) -> None:
    """When SQLite gives up (database full), the caller gets a StoreError, nothing half written."""
    store = SQLiteStore(db_path)
    with Engine(store, clock=clock) as engine:
        sid = journey(engine).open()
        version = engine.stream(sid).version
        (pages,) = store._connection().execute("PRAGMA page_count").fetchone()
        store._connection().execute(f"PRAGMA max_page_count = {pages}")

        def fill() -> None:
            for _ in range(500):
                journey(engine).open()

        with pytest.raises(StoreError, match="full"):
            fill()
        assert engine.stream(sid).version == version


def test_replay_folds_each_event_under_the_version_stamped_on_it(db: str, clock: FakeClock) -> None:
    """A stream opened under last year's file replays under it, though the file changed."""
    variant = attrs.evolve(mbo_bpv(), name="variant")
    with Engine(db, clock=clock, lifecycles=[variant]) as engine:
        sid = engine.open("variant", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        engine.fire(sid, "begin_search", actor=STUDENT)
    changed = attrs.evolve(
        variant,
        transitions=(
            *variant.transitions,
            Transition("pause_search", ["searching"], "orientation", ["coach"]),
        ),
    )
    with Engine(db, clock=clock, lifecycles=[changed]) as other:
        assert other.replay(sid) == other.stream(sid)
        assert other.stream(sid).definition == variant.digest


def test_replay_refuses_a_version_nobody_knows(db_path: Path, clock: FakeClock) -> None:
    """A version neither the engine nor the database has is never folded blindly."""
    variant = attrs.evolve(mbo_bpv(), name="variant")
    with Engine(db_path, clock=clock, lifecycles=[variant]) as engine:
        sid = engine.open("variant", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
    as_schema_3(db_path)
    changed = attrs.evolve(variant, description="changed", open_roles=["placement_office"])
    with Engine(db_path, clock=clock, lifecycles=[changed]) as other:
        with pytest.raises(DefinitionMismatch, match="does not know that version") as info:
            other.replay(sid)
        assert info.value.stored_digest == variant.digest
        assert info.value.loaded_digest == changed.digest
        with pytest.raises(DefinitionMismatch):
            other.fire(sid, "begin_search", actor=STUDENT)
        assert other.stream(sid).version == 1


def test_an_in_memory_engine_works_from_any_thread(clock: FakeClock) -> None:
    """ ":memory:" is one database for every thread of the engine."""
    with Engine(":memory:", clock=clock) as engine:
        sid = journey(engine).open()
        seen: list[str] = []
        thread = threading.Thread(target=lambda: seen.append(engine.stream(sid).state))
        thread.start()
        thread.join()
        assert seen == ["orientation"]


def test_a_closed_engine_says_so(db: str, clock: FakeClock) -> None:
    """Commands after close() are an error, not a silent reconnect."""
    engine = Engine(db, clock=clock)
    sid = journey(engine).open()
    engine.close()
    with pytest.raises(StoreError, match="closed"):
        engine.stream(sid)


def test_definition_input_errors_are_named() -> None:
    """A typo in a guard, or a definition that is not a table, is a library error."""
    with pytest.raises(InvalidInput, match="guards"):
        Transition("t", ["a"], "b", ["coach"], guards=["signature"])
    with pytest.raises(DefinitionError, match="must be a table"):
        definition_from_data([])  # type: ignore[arg-type]
