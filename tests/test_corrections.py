"""Corrections: a recorded fact taken back by a later event; the original stays in the log."""

from __future__ import annotations

import json
import runpy
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import ConcurrencyConflict, Engine, InvalidInput, Refused
from stageborging.audit import seal, verify_rows
from stageborging.store import open_store
from stageborging.testing import FakeClock
from support import COACH, EMPLOYER, PLACEMENT_OFFICE, STUDENT, Recognises, journey

INDEPENDENT = runpy.run_path(
    str(Path(__file__).parent.parent / "docs" / "examples" / "independent_verifier.py")
)


def _active(engine: Engine, clock: FakeClock) -> str:
    trip = journey(engine, clock)
    sid = trip.open()
    trip.to_active(sid)
    return sid


def test_a_mistyped_hours_entry_is_taken_back_and_the_original_stays(
    engine: Engine, clock: FakeClock
) -> None:
    sid = _active(engine, clock)
    engine.record(sid, "hours", actor=COACH, data={"hours": 40})
    wrong = engine.record(sid, "hours", actor=COACH, data={"hours": 400})
    event = engine.correct(sid, wrong.seq, actor=COACH, reason="mistyped")
    assert (event.type.value, event.name, dict(event.data)) == (
        "corrected", "correct", {"seq": wrong.seq, "reason": "mistyped"},
    )  # fmt: skip
    assert event.from_state == event.to_state == "active"
    assert engine.stream(sid).facts["hours"] == 40
    engine.record(sid, "hours", actor=COACH, data={"hours": 38})
    assert engine.stream(sid).facts["hours"] == 78
    assert engine.history(sid)[wrong.seq - 1] == wrong  # the original is in the log
    assert engine.replay(sid) == engine.stream(sid)
    assert engine.verify().ok


def test_a_guidance_contact_on_the_wrong_stream_is_taken_back(
    engine: Engine, clock: FakeClock
) -> None:
    sid = _active(engine, clock)
    contact = engine.record(sid, "guidance_contact", actor=COACH, data={"moment": "begin"})
    engine.correct(sid, contact.seq, actor=COACH, reason="wrong_stream")
    assert engine.stream(sid).facts.get("contacts", ()) == ()


def test_a_signature_is_taken_back_only_while_the_agreement_is_pending(
    engine: Engine, clock: FakeClock
) -> None:
    trip = journey(engine, clock)
    sid = trip.open()
    trip.to_agreement_pending(sid)
    signed = engine.record(sid, "signature", actor=EMPLOYER,
                           data={"party": "employer", "agreement_version": 1})  # fmt: skip
    engine.correct(sid, signed.seq, actor=PLACEMENT_OFFICE, reason="wrong_party")
    assert "employer" not in engine.stream(sid).facts["signatures"]
    trip.sign(sid)
    engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    signatures = [e for e in engine.history(sid) if e.name == "signature"]
    with pytest.raises(InvalidInput) as error:
        engine.correct(sid, signatures[-1].seq, actor=PLACEMENT_OFFICE, reason="wrong_party")
    assert error.value.field == "seq"
    assert "amend" in str(error.value)


@pytest.mark.parametrize("which", ["opened", "transitioned", "application_sent", "absent"])
def test_only_correctable_facts_are_corrected(engine: Engine, clock: FakeClock, which: str) -> None:
    sid = journey(engine, clock).open()
    engine.fire(sid, "begin_search", actor=STUDENT)
    sent = engine.record(sid, "application_sent", actor=STUDENT,
                         data={"application": "a-1", "employer": "emp-1"})  # fmt: skip
    seq = {"opened": 1, "transitioned": 2, "application_sent": sent.seq, "absent": 99}[which]
    with pytest.raises(InvalidInput) as error:
        engine.correct(sid, seq, actor=PLACEMENT_OFFICE, reason="other")
    assert error.value.field == "seq"
    assert len(engine.history(sid)) == 3


def test_a_fact_is_corrected_once_and_never_after_the_stream_ended(
    engine: Engine, clock: FakeClock
) -> None:
    sid = _active(engine, clock)
    hours = engine.record(sid, "hours", actor=COACH, data={"hours": 10})
    engine.correct(sid, hours.seq, actor=COACH, reason="duplicate")
    with pytest.raises(InvalidInput, match="corrected already"):
        engine.correct(sid, hours.seq, actor=COACH, reason="duplicate")
    more = engine.record(sid, "hours", actor=COACH, data={"hours": 10})
    engine.fire(sid, "withdraw", actor=PLACEMENT_OFFICE)
    with pytest.raises(InvalidInput, match="ended"):
        engine.correct(sid, more.seq, actor=COACH, reason="mistyped")


def test_a_role_that_may_not_record_the_fact_may_not_correct_it(
    engine: Engine, clock: FakeClock
) -> None:
    sid = _active(engine, clock)
    contact = engine.record(sid, "guidance_contact", actor=COACH, data={"moment": "begin"})
    before = engine.stream(sid)
    with pytest.raises(Refused) as refusal:
        engine.correct(sid, contact.seq, actor=STUDENT, reason="other")
    assert [f.code for f in refusal.value.findings] == ["role.not_allowed"]
    assert refusal.value.event is None
    assert engine.stream(sid) == before


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"seq": "3"}, "seq"),
        ({"seq": 0}, "seq"),
        ({"seq": True}, "seq"),
        ({"reason": "typo"}, "reason"),
        ({"reason": ["mistyped"]}, "reason"),
        ({"actor": "coach"}, "actor"),
        ({"stream_id": "a b"}, "stream_id"),
        ({"command_id": ""}, "command_id"),
        ({"expected_version": "1"}, "expected_version"),
    ],
)
def test_malformed_corrections_are_named(
    engine: Engine, clock: FakeClock, arguments: dict[str, Any], field: str
) -> None:
    sid = _active(engine, clock)
    hours = engine.record(sid, "hours", actor=COACH, data={"hours": 10})
    call: dict[str, Any] = {"stream_id": sid, "seq": hours.seq, "actor": COACH,
                            "reason": "mistyped", **arguments}  # fmt: skip
    with pytest.raises(InvalidInput) as error:
        engine.correct(call.pop("stream_id"), call.pop("seq"), **call)
    assert error.value.field == field
    assert engine.stream(sid).facts["hours"] == 10


def test_a_correction_repeats_under_its_command_id_and_checks_the_version(
    engine: Engine, clock: FakeClock
) -> None:
    sid = _active(engine, clock)
    hours = engine.record(sid, "hours", actor=COACH, data={"hours": 10})
    version = engine.stream(sid).version
    with pytest.raises(ConcurrencyConflict):
        engine.correct(sid, hours.seq, actor=COACH, reason="mistyped", expected_version=1)
    first = engine.correct(sid, hours.seq, actor=COACH, reason="mistyped",
                           expected_version=version, command_id="fix-1")  # fmt: skip
    again = engine.correct(sid, hours.seq, actor=COACH, reason="mistyped",
                           expected_version=version, command_id="fix-1")  # fmt: skip
    assert again == first
    assert engine.stream(sid).version == version + 1


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=st.lists(st.tuples(st.integers(1, 1000), st.booleans()), min_size=1, max_size=6))
def test_the_hours_are_the_sum_of_the_entries_not_taken_back(
    tmp_path: Path, entries: list[tuple[int, bool]]
) -> None:
    """Whatever is recorded and corrected, in any order, the projection equals the fold."""
    clock = FakeClock()
    path = tmp_path / f"h-{abs(hash(tuple(entries)))}.db"
    path.unlink(missing_ok=True)
    with Engine(path, plugins=[Recognises()], clock=clock) as engine:
        sid = _active(engine, clock)
        kept = 0
        for hours, take_back in entries:
            event = engine.record(sid, "hours", actor=COACH, data={"hours": hours})
            if take_back:
                engine.correct(sid, event.seq, actor=COACH, reason="mistyped")
            else:
                kept += hours
        assert engine.stream(sid).facts.get("hours", 0) == kept
        assert engine.replay(sid) == engine.stream(sid)
        assert engine.verify().ok


# -- the log ---------------------------------------------------------------------------


def _forge_correction(path: Path, sid: str, data: dict[str, Any], role: str = "coach") -> None:
    """Append a correction sealed by someone who knows the format (the chain holds)."""
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        last = conn.execute("SELECT * FROM events WHERE stream_id = ? ORDER BY seq DESC LIMIT 1",
                            (sid,)).fetchone()  # fmt: skip
        sealed = seal(
            stream_id=sid, seq=last["seq"] + 1, type="corrected", name="correct",
            occurred_at=last["occurred_at"], actor_id="x-1", actor_role=role,
            from_state=last["to_state"], to_state=last["to_state"], lifecycle=last["lifecycle"],
            definition=last["definition"], plugins=[],
            body={"data": data, "date": json.loads(last["body"])["date"], "findings": []},
            prev_hash=last["hash"],
        )  # fmt: skip
        columns = ", ".join(sealed._fields)
        conn.execute(f"INSERT INTO events ({columns}) VALUES ({', '.join('?' * len(sealed))})",
                     tuple(sealed))  # fmt: skip
        conn.execute("UPDATE streams SET version = ?, head_hash = ? WHERE id = ?",
                     (sealed.seq, sealed.hash, sid))  # fmt: skip
        conn.commit()


@pytest.mark.parametrize(
    ("target", "role", "problem"),
    [
        ("transition", "coach", "names no earlier recorded event of the stream (seq 2)"),
        ("hours", "student_of_nothing", "is not a role"),
        ("hours", "assessor", "may not correct 'hours'"),
        ("later", "coach", "names no earlier recorded event"),
    ],
)
def test_a_forged_correction_is_caught_by_both_verifiers(
    file_engine: Engine, clock: FakeClock, db_path: Path, target: str, role: str, problem: str
) -> None:
    sid = _active(file_engine, clock)
    hours = file_engine.record(sid, "hours", actor=COACH, data={"hours": 10})
    seq = {"transition": 2, "hours": hours.seq, "later": hours.seq + 5}[target]
    file_engine.close()
    _forge_correction(db_path, sid, {"reason": "mistyped", "seq": seq}, role)
    with Engine(db_path, clock=clock) as engine:
        report = engine.verify()
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(sid, hours.seq + 1)]
    assert problem in report.breaks[0].problem
    if target != "hours":  # the independent verifier checks the links, not the roles
        assert INDEPENDENT["verify"](str(db_path))[2][0][:2] == (sid, hours.seq + 1)


def test_an_honest_correction_passes_the_independent_verifier(
    file_engine: Engine, clock: FakeClock, db_path: Path
) -> None:
    sid = _active(file_engine, clock)
    hours = file_engine.record(sid, "hours", actor=COACH, data={"hours": 10})
    file_engine.correct(sid, hours.seq, actor=COACH, reason="mistyped")
    file_engine.close()
    assert INDEPENDENT["verify"](str(db_path))[2] == []


def test_what_a_correction_names_is_checked_without_its_version(
    file_engine: Engine, clock: FakeClock, db_path: Path
) -> None:
    """A correction of the opening (or of itself) breaks the chain even for a verifier that
    knows no version of the stream's definition: the format alone forbids it."""
    sid = _active(file_engine, clock)
    file_engine.close()
    _forge_correction(db_path, sid, {"reason": "other", "seq": 1})
    store = open_store(db_path, read_only=True)
    try:
        report = verify_rows(store.iter_events(), store.stream_heads(), definitions=())
    finally:
        store.close()
    assert [b.problem for b in report.breaks] == [
        "a correction names no earlier recorded event of the stream (seq 1)"
    ]
