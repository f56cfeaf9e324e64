"""Verification beyond the chain: the projection's facts, odd storage, unknown definitions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import attrs
import pytest

from stageborging import Engine, Transition, verify_database
from stageborging.lifecycles import mbo_bpv
from stageborging.testing import FakeClock
from support import PLACEMENT_OFFICE, as_schema_3, journey, mbo_details


@pytest.fixture
def engine(file_engine: Engine) -> Engine:
    """The tests of this module read and alter the SQLite file themselves."""
    return file_engine


def tamper(db_path: Path, *statements: str) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER IF EXISTS events_no_update")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_forged_facts_are_caught(engine: Engine, db_path: Path) -> None:
    """Signatures written into the projection, not the log, break verification."""
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    facts = engine.stream(sid).facts
    version = engine.stream(sid).version
    engine.close()
    forged = json.dumps({**facts, "signatures": ["employer", "school", "student"]})
    tamper(db_path, f"UPDATE streams SET facts = '{forged}' WHERE id = '{sid}'")
    report = verify_database(db_path)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(sid, version)]
    assert "facts" in report.breaks[0].problem


@pytest.mark.parametrize("column", ["opened_at", "updated_at", "kind"])
def test_every_projection_column_is_checked(engine: Engine, db_path: Path, column: str) -> None:
    """Timestamps and kind of the projection row must agree with the events."""
    sid = journey(engine).open()
    engine.close()
    tamper(db_path, f"UPDATE streams SET {column} = 'x' WHERE id = '{sid}'")
    report = verify_database(db_path)
    assert report.breaks[0].stream_id == sid
    assert column in report.breaks[0].problem


@pytest.mark.parametrize("column", ["header", "body"])
def test_text_instead_of_bytes_is_a_break(engine: Engine, db_path: Path, column: str) -> None:
    """A column rewritten as TEXT is reported as a break, not a crash."""
    sid = journey(engine).open()
    engine.close()
    tamper(db_path, f"UPDATE events SET {column} = CAST({column} AS TEXT)")
    report = verify_database(db_path)
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(sid, 1)]
    assert "not stored as bytes" in report.breaks[0].problem


def test_the_database_keeps_the_definitions_an_auditor_needs(
    db_path: Path, clock: FakeClock
) -> None:
    """An auditor without the institution's file still checks every event and the facts."""
    custom = attrs.evolve(
        mbo_bpv(),
        name="roc_bpv",
        transitions=(
            *mbo_bpv().transitions,
            Transition("pause_search", ["searching"], "orientation", ["coach"]),
        ),
    )
    with Engine(db_path, lifecycles=[custom], clock=clock) as engine:
        engine.open("roc_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
        assert engine.verify().judged
    report = verify_database(db_path)
    assert report.ok
    assert report.judged
    assert report.warnings == ()


def test_streams_of_unknown_versions_are_chain_checked_and_named(
    db_path: Path, clock: FakeClock
) -> None:
    """A database of an earlier release, without the institution's definition: the chains
    are verified, and the version that could not be judged is named."""
    custom = attrs.evolve(mbo_bpv(), name="roc_bpv")
    with Engine(db_path, lifecycles=[custom], clock=clock) as engine:
        engine.open("roc_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
    as_schema_3(db_path)
    report = verify_database(db_path)
    assert report.ok
    assert not report.judged
    assert [(u.lifecycle, u.digest, u.streams) for u in report.unknown] == [
        ("roc_bpv", custom.digest, 1)
    ]
    assert verify_database(db_path, definitions=[custom]).judged


def test_verification_tells_its_progress(tmp_path: Path) -> None:
    """A large log takes a while: the caller is told how far it got, every 100,000."""
    from stageborging.audit import verify_rows
    from stageborging.audit._verify import PROGRESS_EVERY

    told: list[int] = []
    db = tmp_path / "school.db"
    with Engine(db, clock=FakeClock()) as engine:
        journey(engine).open()
        events = list(engine.store.iter_events())
        heads = engine.store.stream_heads()
    many = events * (PROGRESS_EVERY * 2 // len(events) + 1)  # the same stream, again and again
    verify_rows(iter(many), heads, progress=told.append)
    assert told == [PROGRESS_EVERY, 2 * PROGRESS_EVERY]
