"""Tamper suite: whoever edits the events or the projection with plain SQL is caught.

A real database with several streams (internships driven through many
transitions, facts, refusals, an HBO stage and a discrimination case) is built
once, copied for every test and then attacked the way someone with write
access to the file would: drop the append-only triggers, then UPDATE, DELETE or
INSERT rows with ``sqlite3``. Every attack must surface in
:func:`stageborging.verify_database` (and :meth:`Engine.verify`) as a break on
the exact stream and sequence number, except the documented limit: a cut-off
tail with a projection rewritten to match, or a stream re-sealed whole, which a signed
checkpoint taken before catches.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stageborging import Engine, Refused, VerifyReport, verify_database
from stageborging.audit import GENESIS, Checkpoint, seal
from stageborging.core import canonical_bytes
from stageborging.lifecycles import hbo_stage, mbo_bpv
from stageborging.store import check_checkpoint, make_checkpoint, open_store
from stageborging.testing import FakeClock
from support import (
    ADVISOR,
    COACH,
    EMPLOYER,
    HANDLER,
    PLACEMENT_OFFICE,
    STUDENT,
    Recognises,
    journey,
    mbo_details,
)

EVENT_COLUMNS = (
    "stream_id",
    "seq",
    "type",
    "name",
    "occurred_at",
    "actor_id",
    "actor_role",
    "from_state",
    "to_state",
    "lifecycle",
    "definition",
    "header",
    "body",
    "body_hash",
    "prev_hash",
    "hash",
    "command_id",
    "institution",
)

_MARKS = ", ".join("?" * len(EVENT_COLUMNS))
INSERT_EVENT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({_MARKS})"

#: The functions of the independent verifier the docs show (docs/examples).
INDEPENDENT = runpy.run_path(
    str(Path(__file__).parent.parent / "docs" / "examples" / "independent_verifier.py")
)

# Fixed stream ids, so that the order in which breaks are reported is known.
ACTIVE = "s2-active"  # MBO internship: active, then a refused finish and hours
CANCELLED = "s3-cancelled"  # MBO internship: refused verification, placement cancelled
HBO = "s4-hbo"  # HBO stage: refused verification until the assignment was approved
CASE = "s5-case"  # discrimination case: refused hearing without consent, closed
PENDING = "s6-pending"  # MBO internship: waiting for signatures


def _build(path: Path) -> dict[str, int]:
    """Fill *path* with every kind of event; return the number of events per stream."""
    clock = FakeClock()
    with Engine(path, plugins=[Recognises("emp-unrecognised")], clock=clock) as engine:
        sid = engine.open(
            "mbo_bpv",
            actor=PLACEMENT_OFFICE,
            stream_id=ACTIVE,
            data=_mbo_data(),
        ).stream_id
        journey(engine, clock).to_active(sid)  # events 1-10
        with pytest.raises(Refused):  # event 11: finish before the end date or hours
            engine.fire(sid, "finish", actor=COACH)
        engine.record(sid, "hours", actor=STUDENT, data={"hours": 40})  # 12
        engine.record(sid, "midterm_review", actor=COACH, data={"social_safety": "safe"})  # 13

        engine.open("mbo_bpv", actor=COACH, stream_id=CANCELLED, data=_mbo_data())
        engine.fire(CANCELLED, "begin_search", actor=STUDENT)
        engine.record(
            CANCELLED,
            "application_sent",
            actor=STUDENT,
            data={"application": "app-1", "employer": "emp-unrecognised"},
        )
        engine.fire(
            CANCELLED, "propose_placement", actor=STUDENT, data={"employer": "emp-unrecognised"}
        )
        with pytest.raises(Refused):
            engine.fire(CANCELLED, "verify_employer", actor=PLACEMENT_OFFICE)
        engine.fire(CANCELLED, "cancel_placement", actor=COACH, data={"reason": "not_recognised"})

        engine.open(
            "hbo_stage",
            actor=PLACEMENT_OFFICE,
            stream_id=HBO,
            data={
                "student": "stu-3",
                "programme": "prog-hbo-ict",
                "planned_start": "2027-03-01",
                "planned_end": "2027-07-01",
                "planned_hours": 600,
            },
        )
        engine.fire(HBO, "begin_search", actor=STUDENT)
        engine.fire(HBO, "propose_placement", actor=STUDENT, data={"employer": "emp-2"})
        with pytest.raises(Refused):
            engine.fire(HBO, "verify_employer", actor=PLACEMENT_OFFICE)
        engine.record(HBO, "assignment_decision", actor=COACH, data={"outcome": "approved"})
        engine.fire(HBO, "verify_employer", actor=PLACEMENT_OFFICE)

        engine.open("case", actor=ADVISOR, stream_id=CASE, data={"phase": "search"})
        engine.fire(CASE, "acknowledge", actor=ADVISOR)
        engine.fire(CASE, "hold_intake", actor=ADVISOR, data={"signposted": ["sbb_meldpunt"]})
        with pytest.raises(Refused):  # no consent yet
            engine.record(CASE, "employer_hearing", actor=HANDLER, data={"held_on": "2027-01-10"})
        engine.fire(CASE, "give_consent", actor=ADVISOR,
                    data={"form": "written", "given_by": "reporter"})  # fmt: skip
        engine.record(CASE, "employer_hearing", actor=HANDLER, data={"held_on": "2027-02-02"})
        engine.fire(CASE, "refer", actor=HANDLER, data={"to": "sbb_meldpunt"})
        engine.fire(CASE, "record_external_outcome", actor=HANDLER, data={"outcome": "founded"})
        engine.fire(CASE, "record_outcome", actor=HANDLER, data={"outcome": "founded"})
        engine.record(CASE, "reporter_feedback", actor=ADVISOR, data={"channel": "in_person"})
        engine.fire(CASE, "close", actor=ADVISOR)

        pending = engine.open(
            "mbo_bpv", actor=PLACEMENT_OFFICE, stream_id=PENDING, data=_mbo_data(student="stu-6")
        ).stream_id
        journey(engine).to_agreement_pending(pending, employer="emp-2")
        engine.record(
            pending, "signature", actor=EMPLOYER, data={"party": "employer", "agreement_version": 1}
        )

        # A stream with a random id, opened with the journey.
        other = journey(engine).open(student="stu-7")
        journey(engine).to_agreement_pending(other)
        journey(engine).sign(other)
        engine.fire(other, "withdraw", actor=PLACEMENT_OFFICE)

        report = engine.verify()
        assert report.ok, report.breaks
    conn = sqlite3.connect(path)
    try:
        counts = dict(conn.execute("SELECT id, version FROM streams ORDER BY id").fetchall())
        assert counts == dict(
            conn.execute("SELECT stream_id, max(seq) FROM events GROUP BY stream_id").fetchall()
        )
    finally:
        conn.close()
    return counts


def _mbo_data(**overrides: Any) -> dict[str, Any]:
    return mbo_details(**{"student": "stu-2", **overrides})


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("template") / "template.db"
    counts = _build(path)
    return path, counts


@pytest.fixture
def db(template: tuple[Path, dict[str, int]], db_path: Path) -> Path:
    """A fresh copy of the template database (the engine is closed: no WAL left)."""
    source, _ = template
    assert not Path(f"{source}-wal").exists()
    shutil.copyfile(source, db_path)
    return db_path


@pytest.fixture
def counts(template: tuple[Path, dict[str, int]]) -> dict[str, int]:
    """The number of events of every stream in the template."""
    return template[1]


# -- attacker's tools -------------------------------------------------------


def _attack(path: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Drop the append-only triggers, as an attacker would, then run *statements*."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
        for sql, params in statements:
            conn.execute(sql, params)
    finally:
        conn.close()


def _row(path: Path, stream_id: str, seq: int) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        conn.row_factory = sqlite3.Row
        row = conn.execute(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE stream_id = ? AND seq = ?",
            (stream_id, seq),
        ).fetchone()
    finally:
        conn.close()
    assert row is not None, (stream_id, seq)
    return dict(row)


def _verify(path: Path, semantic: bool = False) -> VerifyReport:
    """verify_database(path), checked to agree with Engine.verify() on the same file and
    with the independent verifier of the docs (which sees no break where only the
    lifecycle's semantics, the facts and the kind, show one: *semantic*)."""
    report = verify_database(path)
    streams, events, breaks = INDEPENDENT["verify"](str(path))
    expected = set() if semantic else {(b.stream_id, b.seq) for b in report.breaks}
    assert {(stream, seq) for stream, seq, _ in breaks} == expected
    assert (streams, events) == (report.streams, report.events)
    with Engine(path) as engine:
        assert engine.verify().breaks == report.breaks
    return report


def _rewrite_facts(path: Path, stream_id: str) -> None:
    """Rewrite the facts column to what the (tampered) events replay to, as an attacker can."""
    with Engine(path, plugins=[Recognises()]) as engine:
        facts = canonical_bytes(engine.replay(stream_id).facts).decode()
    _attack(path, ("UPDATE streams SET facts = ? WHERE id = ?", (facts, stream_id)))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _other(value: str, *choices: str) -> str:
    """The first of *choices* that differs from *value*."""
    return next(c for c in choices if c != value)


def _forged(column: str, row: dict[str, Any], path: Path) -> object:
    """A plausible forged value for *column* of the event *row*."""
    header = json.loads(row["header"])
    if column == "seq":
        return 1000
    if column == "type":
        return _other(row["type"], "transitioned", "recorded")
    if column == "name":
        return _other(row["name"], "confirm_signatures", "start")
    if column == "occurred_at":
        return "2026-12-31T23:59:59.000000Z"  # backdated
    if column == "actor_id":
        return "po-2"
    if column == "actor_role":
        return _other(row["actor_role"], "exam_committee", "placement_office")
    if column in ("from_state", "to_state"):
        return _other(row[column], "active", "investigating")
    if column == "lifecycle":
        return _other(row["lifecycle"], "hbo_stage", "mbo_bpv")
    if column == "definition":
        return _other(row["definition"], hbo_stage().digest, mbo_bpv().digest)
    if column == "header":
        # the same header claiming another actor role, re-encoded canonically
        header["actor"]["role"] = _other(header["actor"]["role"], "exam_committee", "coach")
        return canonical_bytes(header)
    if column == "body":
        body = json.loads(row["body"])
        body["data"] = {**body["data"], "forged": "yes"}
        return canonical_bytes(body)
    if column == "command_id":  # a command the event never was
        return _other(str(row["command_id"]), "msg-1", "msg-2")
    if column == "institution":  # moved to another school
        return _other(row["institution"], "roc-b", "roc-a")
    if column == "body_hash":
        return _sha(b'{"data":{},"findings":[]}')
    if column == "prev_hash":
        return GENESIS if row["seq"] > 1 else _sha(b"elsewhere")
    if column == "hash":
        return _row(path, row["stream_id"], row["seq"] + 1)["hash"]
    raise AssertionError(column)


#: (stream, seq) of the middle events attacked: a signature fact, a refusal, a case fact.
TARGETS = [(ACTIVE, 6), (ACTIVE, 11), (CASE, 4), (CASE, 6)]


# -- the negative -----------------------------------------------------------


def test_untouched_database_verifies(db: Path, counts: dict[str, int]) -> None:
    """An honest database verifies clean, with every stream and event counted."""
    report = _verify(db)
    assert report.ok
    assert report.breaks == ()
    assert report.warnings == ()
    assert report.streams == len(counts)
    assert report.events == sum(counts.values())


def test_dropped_triggers_alone_only_warn(db: Path) -> None:
    """Missing append-only triggers are reported as a warning, not as tampering."""
    _attack(db)
    report = verify_database(db)
    assert report.ok
    assert report.breaks == ()
    assert len(report.warnings) == 1
    assert "append-only triggers" in report.warnings[0]
    with Engine(db) as engine:
        assert engine.verify().ok


def test_triggers_refuse_plain_edits(db: Path) -> None:
    """Without dropping the triggers, UPDATE and DELETE on events are refused."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE events SET actor_id = 'x' WHERE stream_id = ?", (ACTIVE,))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM events WHERE stream_id = ?", (ACTIVE,))
    finally:
        conn.close()
    assert verify_database(db).ok


# -- every column of an event ------------------------------------------------


@pytest.mark.parametrize(("stream", "seq"), TARGETS)
@pytest.mark.parametrize("column", [c for c in EVENT_COLUMNS if c != "stream_id"])
def test_changed_event_column_is_caught(db: Path, column: str, stream: str, seq: int) -> None:
    """Changing any single column of an event breaks its stream exactly at that event."""
    row = _row(db, stream, seq)
    forged = _forged(column, row, db)
    assert forged != row[column]
    _attack(
        db,
        (f"UPDATE events SET {column} = ? WHERE stream_id = ? AND seq = ?", (forged, stream, seq)),
    )
    report = _verify(db)
    assert not report.ok
    assert len(report.breaks) == 1
    assert (report.breaks[0].stream_id, report.breaks[0].seq) == (stream, seq)


@pytest.mark.parametrize(("stream", "seq"), TARGETS)
def test_changed_stream_id_column_is_caught(db: Path, stream: str, seq: int) -> None:
    """Moving an event to another stream breaks its own stream at the gap it leaves."""
    # The moved event also makes up a stream of its own, without an opening event:
    # broken at seq 1. Its id sorts after the original, so the original comes first.
    moved = f"{stream}-moved"
    _attack(
        db,
        ("UPDATE events SET stream_id = ? WHERE stream_id = ? AND seq = ?", (moved, stream, seq)),
    )
    report = _verify(db)
    assert not report.ok
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(stream, seq), (moved, 1)]
    assert "missing" in report.breaks[0].problem


def test_changed_stream_id_sorting_first_reports_the_foreign_stream_first(db: Path) -> None:
    """Breaks come in stream order: an event moved to an id sorting first is reported first."""
    moved = "s1-moved"
    _attack(
        db,
        ("UPDATE events SET stream_id = ? WHERE stream_id = ? AND seq = 6", (moved, ACTIVE)),
    )
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(moved, 1), (ACTIVE, 6)]
    assert "expected seq 1, found seq 6" in report.breaks[0].problem


def test_moving_an_event_onto_the_end_of_another_stream_is_caught(
    db: Path, counts: dict[str, int]
) -> None:
    """An event grafted onto another stream's tail is caught on both streams."""
    target = counts[PENDING] + 1
    _attack(
        db,
        (
            "UPDATE events SET stream_id = ?, seq = ? WHERE stream_id = ? AND seq = 6",
            (PENDING, target, ACTIVE),
        ),
    )
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(ACTIVE, 6), (PENDING, target)]


def test_changed_body_bytes_are_caught(db: Path) -> None:
    """Flipping one byte of an event's body breaks the stream at that event."""
    body = bytearray(_row(db, ACTIVE, 5)["body"])
    index = body.index(b"pok-1")
    body[index] ^= 0x01
    _attack(
        db,
        ("UPDATE events SET body = ? WHERE stream_id = ? AND seq = 5", (bytes(body), ACTIVE)),
    )
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(ACTIVE, 5)]
    assert "body does not match its hash" in report.breaks[0].problem


def test_changed_body_with_matching_body_hash_is_caught(db: Path) -> None:
    """Rewriting a body and its body_hash column together still disagrees with the header."""
    row = _row(db, CASE, 8)
    body = json.loads(row["body"])
    assert body["data"] == {"outcome": "founded"}
    body["data"]["outcome"] = "unfounded"
    forged = canonical_bytes(body)
    _attack(
        db,
        (
            "UPDATE events SET body = ?, body_hash = ? WHERE stream_id = ? AND seq = 8",
            (forged, _sha(forged), CASE),
        ),
    )
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(CASE, 8)]
    assert "body_hash disagrees" in report.breaks[0].problem


def test_consistently_resealed_event_is_caught_by_its_successor(db: Path) -> None:
    """An event re-sealed with a valid header and hash is caught by the next event's link."""
    row = _row(db, ACTIVE, 6)
    header = json.loads(row["header"])
    forged = seal(
        stream_id=ACTIVE,
        seq=6,
        type=row["type"],
        name=row["name"],
        occurred_at=row["occurred_at"],
        actor_id="someone-else",
        actor_role=row["actor_role"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        lifecycle=row["lifecycle"],
        definition=row["definition"],
        plugins=header["plugins"],
        body=json.loads(row["body"]),
        prev_hash=row["prev_hash"],
    )
    _attack(
        db,
        (
            "UPDATE events SET actor_id = ?, header = ?, hash = ? WHERE stream_id = ? AND seq = 6",
            (forged.actor_id, forged.header, forged.hash, ACTIVE),
        ),
    )
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(ACTIVE, 7)]
    assert "prev_hash" in report.breaks[0].problem


def test_erased_body_is_caught(db: Path) -> None:
    """An event whose body was set to NULL is reported (the format has no erasure marker yet)."""
    _attack(db, ("UPDATE events SET body = NULL WHERE stream_id = ? AND seq = 3", (ACTIVE,)))
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(ACTIVE, 3)]
    assert "body is missing" in report.breaks[0].problem


# -- removed, inserted and reordered events ----------------------------------


@pytest.mark.parametrize(("stream", "seq"), TARGETS)
def test_deleted_middle_event_is_caught(db: Path, stream: str, seq: int) -> None:
    """Deleting an event with a later event in its stream breaks it at the gap."""
    _attack(db, ("DELETE FROM events WHERE stream_id = ? AND seq = ?", (stream, seq)))
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(stream, seq)]
    assert f"expected seq {seq}, found seq {seq + 1}" in report.breaks[0].problem


def test_deleted_first_event_is_caught(db: Path) -> None:
    """Deleting the opening event breaks the stream at seq 1."""
    _attack(db, ("DELETE FROM events WHERE stream_id = ? AND seq = 1", (CASE,)))
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(CASE, 1)]


@pytest.mark.parametrize("stream", [ACTIVE, CANCELLED, HBO, CASE, PENDING])
def test_deleted_last_event_is_caught_by_the_projection(
    db: Path, counts: dict[str, int], stream: str
) -> None:
    """Deleting a stream's last event leaves the projection one version ahead: caught."""
    last = counts[stream]
    _attack(db, ("DELETE FROM events WHERE stream_id = ? AND seq = ?", (stream, last)))
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(stream, last)]
    assert f"projection version {last}, last event seq {last - 1}" in report.breaks[0].problem


def test_deleted_whole_stream_events_are_caught(db: Path) -> None:
    """Deleting every event of a stream leaves a projection without events: caught."""
    _attack(db, ("DELETE FROM events WHERE stream_id = ?", (HBO,)))
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(HBO, 1)]
    assert "no events" in report.breaks[0].problem


def test_deleted_projection_row_is_caught(db: Path) -> None:
    """Deleting a stream's projection row leaves events without a projection: caught."""
    _attack(db, ("DELETE FROM streams WHERE id = ?", (CASE,)))
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(CASE, 1)]


@pytest.mark.parametrize(("stream", "seq"), TARGETS)
def test_inserted_copy_of_an_event_is_caught(
    db: Path, counts: dict[str, int], stream: str, seq: int
) -> None:
    """A copied (replayed) event inserted under a new seq is caught at that seq."""
    new_seq = counts[stream] + 1
    columns = ", ".join(EVENT_COLUMNS)
    selected = ", ".join("?" if c == "seq" else c for c in EVENT_COLUMNS)
    _attack(
        db,
        (
            f"INSERT INTO events ({columns}) SELECT {selected} FROM events "
            "WHERE stream_id = ? AND seq = ?",
            (new_seq, stream, seq),
        ),
    )
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(stream, new_seq)]


def test_inserted_forged_event_with_rewritten_projection_is_caught(
    db: Path, counts: dict[str, int]
) -> None:
    """A forged event in the middle is caught even when everything after it is left alone."""
    # Shift the tail up by one (highest first, so UNIQUE holds) and insert a forged seq 9.
    last = counts[ACTIVE]
    statements: list[tuple[str, tuple[object, ...]]] = [
        ("UPDATE events SET seq = seq + 1 WHERE stream_id = ? AND seq = ?", (ACTIVE, s))
        for s in range(last, 8, -1)
    ]
    prev = _row(db, ACTIVE, 8)
    forged = seal(
        stream_id=ACTIVE,
        seq=9,
        type="recorded",
        name="signature",
        occurred_at=prev["occurred_at"],
        actor_id="guardian-1",
        actor_role="guardian",
        from_state=prev["to_state"],
        to_state=prev["to_state"],
        lifecycle="mbo_bpv",
        definition=prev["definition"],
        plugins=[],
        body={**json.loads(prev["body"]), "data": {"party": "guardian", "agreement_version": 1}},
        prev_hash=prev["hash"],
    )
    values = tuple(getattr(forged, c) for c in EVENT_COLUMNS)
    statements.append(
        (
            INSERT_EVENT,
            values,
        )
    )
    statements.append(("UPDATE streams SET version = ? WHERE id = ?", (last + 1, ACTIVE)))
    _attack(db, *statements)
    report = _verify(db)
    # the forged seq 9 itself is sound; the original seq 9, now seq 10, no longer links
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(ACTIVE, 10)]


@pytest.mark.parametrize(("stream", "seq"), TARGETS)
def test_swapped_seq_of_two_events_is_caught(db: Path, stream: str, seq: int) -> None:
    """Reordering two events by swapping their seq breaks the stream at the first of them."""
    _attack(
        db,
        ("UPDATE events SET seq = -1 WHERE stream_id = ? AND seq = ?", (stream, seq)),
        ("UPDATE events SET seq = ? WHERE stream_id = ? AND seq = ?", (seq, stream, seq + 1)),
        ("UPDATE events SET seq = ? WHERE stream_id = ? AND seq = -1", (seq + 1, stream)),
    )
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(stream, seq)]


def test_swapped_positions_keep_order_by_seq(db: Path) -> None:
    """Physically reordering rows (their insertion position) changes nothing: order is by seq."""
    _attack(
        db,
        (
            "UPDATE events SET position = -position WHERE stream_id = ? AND seq IN (5, 6)",
            (ACTIVE,),
        ),
    )
    assert _verify(db).ok


# -- the projection -----------------------------------------------------------


#: (column, forged value, where the break is reported relative to the last seq)
PROJECTION_FORGERIES = [
    ("state", "completed", 0),
    ("state", "ready_to_start", 0),
    ("version", -1, 0),  # one behind: the last event is unaccounted for
    ("version", +3, 3),  # ahead: reported at the version the projection claims
    ("head_hash", GENESIS, 0),
    ("definition", hbo_stage().digest, 0),
    ("lifecycle", "hbo_stage", 0),
    ("kind", "case", 0),
    ("facts", '{"details":{}}', 0),
    ("opened_at", "2026-01-01T09:00:00.000000Z", 0),
    ("updated_at", "2027-12-31T09:00:00.000000Z", 0),
]


@pytest.mark.parametrize(("column", "value", "seq_offset"), PROJECTION_FORGERIES)
def test_changed_projection_column_is_caught(
    db: Path, counts: dict[str, int], column: str, value: object, seq_offset: int
) -> None:
    """A projection row that disagrees with its events is caught at the stream's head."""
    last = counts[ACTIVE]
    if column == "version":
        assert isinstance(value, int)
        value = last + value
    _attack(db, (f"UPDATE streams SET {column} = ? WHERE id = ?", (value, ACTIVE)))
    report = _verify(db, semantic=column in ("kind", "facts"))
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(ACTIVE, last + seq_offset)]
    assert "projection" in report.breaks[0].problem
    assert column in report.breaks[0].problem


def test_changed_projection_id_is_caught(db: Path) -> None:
    """Renaming a projection row leaves events without a row and a row without events."""
    _attack(db, ("UPDATE streams SET id = ? WHERE id = ?", ("s0-renamed", CASE)))
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [("s0-renamed", 1), (CASE, 1)]
    assert "no events" in report.breaks[0].problem
    assert "no projection row" in report.breaks[1].problem


def test_header_stored_as_text_is_caught(db: Path) -> None:
    """The same header bytes stored as TEXT instead of a BLOB are reported, not trusted."""
    header = _row(db, ACTIVE, 4)["header"].decode()
    _attack(db, ("UPDATE events SET header = ? WHERE stream_id = ? AND seq = 4", (header, ACTIVE)))
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(ACTIVE, 4)]


def test_changed_head_hash_to_an_earlier_event_is_caught(db: Path, counts: dict[str, int]) -> None:
    """A projection pointing at an earlier event's hash is caught."""
    earlier = _row(db, CASE, counts[CASE] - 1)["hash"]
    _attack(db, ("UPDATE streams SET head_hash = ? WHERE id = ?", (earlier, CASE)))
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(CASE, counts[CASE])]
    assert "head_hash" in report.breaks[0].problem


def test_forged_signatures_in_facts_are_caught(db: Path, counts: dict[str, int]) -> None:
    """Signatures slipped into the facts column (to pass confirm_signatures) are caught."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        (facts,) = conn.execute("SELECT facts FROM streams WHERE id = ?", (PENDING,)).fetchone()
        forged = json.loads(facts)
        forged["signatures"] = ["employer", "school", "student"]
        conn.execute(
            "UPDATE streams SET facts = ? WHERE id = ?", (canonical_bytes(forged).decode(), PENDING)
        )
    finally:
        conn.close()
    report = _verify(db, semantic=True)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(PENDING, counts[PENDING])]
    assert "facts" in report.breaks[0].problem
    with Engine(db, plugins=[Recognises()]) as engine:
        assert engine.stream(PENDING).facts["signatures"] == ("employer", "school", "student")
        assert engine.replay(PENDING).facts["signatures"] == ("employer",)


def test_breaks_on_several_streams_are_each_reported(db: Path, counts: dict[str, int]) -> None:
    """Every broken stream is reported with its own first break, in stream order."""
    _attack(
        db,
        ("UPDATE events SET actor_id = 'x' WHERE stream_id = ? AND seq = 2", (ACTIVE,)),
        ("UPDATE events SET actor_id = 'x' WHERE stream_id = ? AND seq = 7", (ACTIVE,)),
        ("DELETE FROM events WHERE stream_id = ? AND seq = 3", (CASE,)),
        ("UPDATE streams SET state = 'active' WHERE id = ?", (HBO,)),
    )
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [
        (ACTIVE, 2),
        (HBO, counts[HBO]),
        (CASE, 3),
    ]


# -- the documented limit -----------------------------------------------------


def test_tail_truncation_with_rewritten_projection_is_caught_by_a_checkpoint_only(
    db: Path, counts: dict[str, int]
) -> None:
    """Cutting off a tail and rewinding the projection verifies ok: the documented limit.

    From the database alone a verifier cannot tell a stream that ended at seq n
    from one whose later events were deleted together with a projection rewritten
    to point at seq n: nothing after the cut links back to it. Only a value held
    elsewhere (a signed checkpoint given to the auditor) can prove events were
    removed. This test pins that limit so that it stays documented and visible, and
    shows the checkpoint taken before the cut catching it.
    """
    key = Ed25519PrivateKey.generate()
    held = _checkpoint(db, key)
    last = counts[ACTIVE]
    keep = 10  # the "start" event: the refused finish and the facts after it vanish
    head = _row(db, ACTIVE, keep)
    _attack(
        db,
        ("DELETE FROM events WHERE stream_id = ? AND seq > ?", (ACTIVE, keep)),
        (
            "UPDATE streams SET version = ?, head_hash = ?, state = ?, updated_at = ? WHERE id = ?",
            (keep, head["hash"], head["to_state"], head["occurred_at"], ACTIVE),
        ),
    )
    _rewrite_facts(db, ACTIVE)
    report = _verify(db)
    assert report.ok
    assert report.events == sum(counts.values()) - (last - keep)
    with Engine(db, plugins=[Recognises()]) as engine:
        assert engine.stream(ACTIVE) == engine.replay(ACTIVE)
        assert engine.stream(ACTIVE).version == keep
    problem = _extends(db, held, key)
    assert problem is not None
    assert "history was rewritten" in problem or "were removed" in problem


def test_whole_stream_recomputed_is_caught_by_a_checkpoint_only(db: Path) -> None:
    """Re-sealing a stream from a changed event onwards verifies ok: the documented limit.

    Someone who controls the database can recompute every later hash and the
    projection; the chain holds no secret. A signed checkpoint taken before closes it.
    """
    key = Ed25519PrivateKey.generate()
    held = _checkpoint(db, key)
    rows = [_row(db, CASE, seq) for seq in range(1, 4)]
    prev = GENESIS
    statements: list[tuple[str, tuple[object, ...]]] = [
        ("DELETE FROM events WHERE stream_id = ?", (CASE,))
    ]
    for row in rows:
        header = json.loads(row["header"])
        sealed = seal(
            stream_id=CASE,
            seq=row["seq"],
            type=row["type"],
            name=row["name"],
            occurred_at=row["occurred_at"],
            actor_id="someone-else",
            actor_role=row["actor_role"],
            from_state=row["from_state"],
            to_state=row["to_state"],
            lifecycle=row["lifecycle"],
            definition=row["definition"],
            plugins=header["plugins"],
            body=json.loads(row["body"]),
            prev_hash=prev,
        )
        prev = sealed.hash
        values = tuple(getattr(sealed, c) for c in EVENT_COLUMNS)
        statements.append(
            (
                INSERT_EVENT,
                values,
            )
        )
    statements.append(
        (
            "UPDATE streams SET version = 3, head_hash = ?, state = ?, updated_at = ? WHERE id = ?",
            (prev, rows[-1]["to_state"], rows[-1]["occurred_at"], CASE),
        )
    )
    _attack(db, *statements)
    _rewrite_facts(db, CASE)
    assert _verify(db).ok
    problem = _extends(db, held, key)
    assert problem is not None  # the later events are gone, the rest re-sealed
    assert "history was rewritten" in problem or "were removed" in problem


def _checkpoint(path: Path, key: Ed25519PrivateKey) -> Checkpoint:
    store = open_store(path, read_only=True)
    try:
        return make_checkpoint(store, key, datetime(2027, 3, 1, tzinfo=UTC))
    finally:
        store.close()


def _extends(path: Path, held: Checkpoint, key: Ed25519PrivateKey) -> str | None:
    store = open_store(path, read_only=True)
    try:
        return check_checkpoint(store, held, key.public_key())
    finally:
        store.close()


# -- the format's rules, on events re-sealed to hide every other trace ---------------------


def _json(value: object) -> bytes:
    """JSON bytes as the canonical recipe writes them, floats and booleans kept as given."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _reseal(path: Path, stream: str, seq: int, header: dict[str, Any], body: bytes) -> None:
    """Store *header* and *body* as event (*stream*, *seq*), its columns following the
    header, with a valid hash; a last event takes the projection row along."""
    raw = header if isinstance(header, bytes) else _json(header)
    actor = header["actor"] if isinstance(header["actor"], dict) else {}
    values = {
        "type": header["type"], "name": header["name"], "occurred_at": header["time"],
        "actor_id": actor.get("id"), "actor_role": actor.get("role"),
        "from_state": header["from"], "to_state": header["to"],
        "lifecycle": header["lifecycle"], "definition": header["definition"],
        "body_hash": header["body_hash"], "header": raw, "body": body, "hash": _sha(raw),
    }  # fmt: skip
    assignments = ", ".join(f"{column} = ?" for column in values)
    _attack(
        path,
        (
            f"UPDATE events SET {assignments} WHERE stream_id = ? AND seq = ?",
            (*values.values(), stream, seq),
        ),
        (
            "UPDATE streams SET head_hash = ?, state = ?, definition = ?, updated_at = ? "
            "WHERE id = ? AND version = ?",
            (_sha(raw), header["to"], header["definition"], header["time"], stream, seq),
        ),
    )


def _plugins_unsorted(h: dict[str, Any]) -> None:
    h["plugins"] = [["zeta", "1.0"], ["alpha", "1.0"]]


#: name -> (what is done to the decoded header of ACTIVE's last event, a ``recorded`` one)
HEADER_RULES: dict[str, Any] = {
    "an extra key": lambda h: h.update(extra="x"),
    "no plugins key": lambda h: h.pop("plugins"),
    "v is true": lambda h: h.update(v=True),
    "v is 1.0": lambda h: h.update(v=1.0),
    "seq is a float": lambda h: h.update(seq=float(h["seq"])),
    "type is no event type": lambda h: h.update(type="amended"),
    "a recorded event changes the state": lambda h: h.update(to="completed"),
    "plugins not sorted": _plugins_unsorted,
    "a plugin pair of three": lambda h: h.update(plugins=[["a", "1", "x"]]),
    "time without fraction": lambda h: h.update(time=h["time"][:19] + "Z"),
    "definition not a digest": lambda h: h.update(definition=h["definition"].upper()),
    "actor with an extra key": lambda h: h["actor"].update(extra="x"),
    "actor id a number": lambda h: h["actor"].update(id=7),
}


@pytest.mark.parametrize("name", HEADER_RULES)
def test_a_header_breaking_the_format_is_caught(
    db: Path, counts: dict[str, int], name: str
) -> None:
    """A header the format page forbids is a break, even re-sealed with every trace hidden."""
    last = counts[ACTIVE]
    row = _row(db, ACTIVE, last)
    header = json.loads(row["header"])
    assert header["type"] == "recorded"
    HEADER_RULES[name](header)
    _reseal(db, ACTIVE, last, header, row["body"])
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(ACTIVE, last)]


def test_a_header_not_in_canonical_form_is_caught(db: Path, counts: dict[str, int]) -> None:
    """The same header with whitespace (not canonical JSON) is a break."""
    last = counts[ACTIVE]
    row = _row(db, ACTIVE, last)
    header = json.loads(row["header"])
    spaced = json.dumps(header, ensure_ascii=False, sort_keys=True).encode()
    _attack(
        db,
        (
            "UPDATE events SET header = ?, hash = ? WHERE stream_id = ? AND seq = ?",
            (spaced, _sha(spaced), ACTIVE, last),
        ),
        ("UPDATE streams SET head_hash = ? WHERE id = ?", (_sha(spaced), ACTIVE)),
    )
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(ACTIVE, last)]
    assert "canonical" in report.breaks[0].problem


def test_an_opened_event_naming_plugins_is_caught(db: Path) -> None:
    """Plugins take no part in opening a stream: a header saying so is caught at seq 1."""
    row = _row(db, CASE, 1)
    header = json.loads(row["header"])
    header["plugins"] = [["someone", "1.0"]]
    _reseal(db, CASE, 1, header, row["body"])
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(CASE, 1)]


_BLOCK = {
    "code": "x.y", "severity": "block", "message": "m", "message_nl": "m", "source": "s",
    "params": {},
}  # fmt: skip

#: name -> (the event: ACTIVE's last, a recorded one, or a refused one; the body change)
BODY_RULES: dict[str, tuple[int | None, Any]] = {
    "an extra key": (None, lambda b: b.update(extra=1)),
    "no date": (None, lambda b: b.pop("date")),
    "a date with a time": (None, lambda b: b.update(date=b["date"] + "T00:00")),
    "data not an object": (None, lambda b: b.update(data=[])),
    "a blocking finding on a recorded event": (None, lambda b: b["findings"].append(_BLOCK)),
    "a finding without params": (
        None,
        lambda b: b["findings"].append({k: v for k, v in _BLOCK.items() if k != "params"}),
    ),
    "a refused event without a blocking finding": (11, lambda b: b.update(findings=[])),
    "a float in the data": (None, lambda b: b["data"].update(hours=1.5)),
}


@pytest.mark.parametrize("name", BODY_RULES)
def test_a_body_breaking_the_format_is_caught(db: Path, counts: dict[str, int], name: str) -> None:
    """A body the format page forbids is a break, even with its hash and the chain renewed."""
    seq, change = BODY_RULES[name]
    seq = seq or counts[ACTIVE]
    row = _row(db, ACTIVE, seq)
    body = json.loads(row["body"])
    change(body)
    raw = _json(body)
    header = json.loads(row["header"])
    header["body_hash"] = _sha(raw)
    _reseal(db, ACTIVE, seq, header, raw)
    report = _verify(db)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(ACTIVE, seq)]


# -- any change to the rows, drawn by Hypothesis ------------------------------

#: The columns a change to which verification must catch (``position`` is the global
#: order: a renumbering is caught by a checkpoint, see the tests above).
_CHANGEABLE = tuple(c for c in EVENT_COLUMNS if c != "stream_id")
_STREAM_COLUMNS = ("kind", "lifecycle", "definition", "state", "version", "head_hash", "facts",
                   "opened_at", "updated_at", "institution")  # fmt: skip
_VALUES = st.one_of(
    st.none(), st.integers(-3, 40), st.text(max_size=6), st.binary(max_size=6),
    st.sampled_from([ACTIVE, CASE, "{}", '{"v":2}', "0" * 64]),
)  # fmt: skip


_HOW = ("change", "delete", "duplicate", "reorder", "swap", "move", "projection")


def _same(value: object, held: object) -> bool:
    """Whether writing *value* over *held* changes nothing: SQLite's column affinity
    stores ``"5"`` in an INTEGER column as 5, 5 in a TEXT column as ``"5"``, True as 1."""
    if isinstance(value, bool):
        value = int(value)
    return (type(value) is type(held) and value == held) or (
        not isinstance(value, bytes) and not isinstance(held, bytes) and str(value) == str(held)
    )


def _attack_of(
    draw: Any, rows: list[dict[str, Any]], how: str, heads: dict[str, dict[str, Any]]
) -> tuple[str, list[Any], set[str]]:
    """One change of kind *how* to the rows, drawn with *draw*: its kind (a change that
    would change nothing deletes the row), its statements and the streams it touches."""
    row = rows[draw(st.integers(0, len(rows) - 1))]
    sid, seq = row["stream_id"], row["seq"]
    where = ("WHERE stream_id = ? AND seq = ?", (sid, seq))
    peers = [r["seq"] for r in rows if r["stream_id"] == sid and r["seq"] != seq]
    others = sorted({r["stream_id"] for r in rows if r["seq"] == seq} - {sid})
    if how == "change":
        column = draw(st.sampled_from(_CHANGEABLE))
        value = draw(st.one_of(_VALUES, st.sampled_from([r[column] for r in rows])))
        if _same(value, row[column]):
            how = "delete"  # no change at all: delete the row instead
        else:
            return how, [(f"UPDATE events SET {column} = ? {where[0]}", (value, *where[1]))], {sid}
    if how == "delete" or (how == "reorder" and not peers) or (how == "swap" and not others):
        return "delete", [(f"DELETE FROM events {where[0]}", where[1])], {sid}
    if how == "duplicate":  # the row again, at the end of its stream or on another stream
        other = draw(st.sampled_from([sid, ACTIVE, CASE, "s9-new"]))
        last = max((r["seq"] for r in rows if r["stream_id"] == other), default=0)
        copy = {**row, "stream_id": other, "seq": last + 1}
        return how, [(INSERT_EVENT, tuple(copy[c] for c in EVENT_COLUMNS))], {sid, other}
    if how == "reorder":  # two events of one stream exchange their places
        peer = draw(st.sampled_from(peers))
        swap = "UPDATE events SET seq = ? WHERE stream_id = ? AND seq = ?"
        statements = [(swap, (-1, sid, seq)), (swap, (seq, sid, peer)), (swap, (peer, sid, -1))]
        return how, statements, {sid}
    if how == "swap":  # two streams exchange their events at one seq
        other = draw(st.sampled_from(others))
        move = "UPDATE events SET stream_id = ? WHERE stream_id = ? AND seq = ?"
        return how, [(move, ("tmp", sid, seq)), (move, (sid, other, seq)),
                     (move, (other, "tmp", seq))], {sid, other}  # fmt: skip
    if how == "move":  # an event taken to another stream's end
        other = draw(st.sampled_from(sorted({r["stream_id"] for r in rows} - {sid})))
        last = max(r["seq"] for r in rows if r["stream_id"] == other)
        statement = f"UPDATE events SET stream_id = ?, seq = ? {where[0]}"
        return how, [(statement, (other, last + 1, *where[1]))], {sid, other}
    column = draw(st.sampled_from(_STREAM_COLUMNS))
    value = draw(_VALUES)
    held = heads[sid][column]
    if _same(value, held):
        return "delete", [(f"DELETE FROM events {where[0]}", where[1])], {sid}
    return how, [(f"UPDATE streams SET {column} = ? WHERE id = ?", (value, sid))], {sid}


@pytest.mark.parametrize("kind", _HOW)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_change_to_the_rows_is_caught_on_a_stream_it_touched(
    template: tuple[Path, dict[str, int]], tmp_path: Path, kind: str, data: st.DataObject
) -> None:
    """Changed, deleted, duplicated, reordered, swapped or moved events, or a changed
    projection: verification breaks a stream the change touched, and only such streams."""
    source, _ = template
    conn = sqlite3.connect(source)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events")]
    heads = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM streams")}
    conn.close()
    how, statements, touched = _attack_of(data.draw, rows, kind, heads)
    path = tmp_path / f"attacked-{data.draw(st.integers(0, 10**9))}.db"
    shutil.copyfile(source, path)
    try:
        _attack(path, *statements)
    except sqlite3.Error:  # a change the table's own constraints refuse
        path.unlink()
        assume(False)
    report = verify_database(path)
    path.unlink()
    broken = {b.stream_id for b in report.breaks}
    assert not report.ok, (how, statements)
    assert broken, (how, statements)
    assert broken <= touched, (how, statements, report.breaks)
