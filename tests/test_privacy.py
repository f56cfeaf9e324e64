"""Privacy by design, on SQLite and PostgreSQL alike: free text is sealed under its
subject's key and read only by the roles allowed (every read in the access log); erasure
destroys the key, keeps the chain verifying and leaves no copy of the key's bytes in the
database's files."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import (
    AccessRefused,
    Actor,
    Engine,
    EventType,
    InvalidInput,
    KeyUnavailable,
    PluginError,
    Refused,
    hookimpl,
)
from stageborging.privacy import MasterKey
from stageborging.store import SQLiteStore
from stageborging.testing import FakeClock
from support import ADVISOR, COACH, PLACEMENT_OFFICE, STUDENT, Recognises, journey

#: A sentence nobody but the roles allowed may ever find.
SENTENCE = "De praktijkopleider zei dat hij geen stagiairs met een hoofddoek wil."
OFFICER = Actor("dpo-1", "privacy_officer")
AUDITOR = Actor("acc-1", "auditor")
WITNESS = Actor("coach-9", "coach")


def _report(engine: Engine, reporter: Actor = STUDENT, **data: Any) -> str:
    details = {"phase": "search", "ground": "religion", "description": SENTENCE, **data}
    return engine.open("case", actor=reporter, data=details).stream_id


def _close(engine: Engine, sid: str) -> None:
    engine.fire(sid, "acknowledge", actor=ADVISOR)
    engine.fire(sid, "hold_intake", actor=ADVISOR, data={"signposted": ["sbb_meldpunt"]})
    engine.fire(sid, "register_only", actor=ADVISOR)
    engine.fire(sid, "record_outcome", actor=ADVISOR, data={"outcome": "undetermined"})
    engine.record(sid, "reporter_feedback", actor=ADVISOR, data={"channel": "written"})
    engine.fire(sid, "close", actor=ADVISOR)


def _everything_stored(engine: Engine) -> bytes:
    """Every byte the database holds: the SQLite file and its WAL, or every row of every
    table of the PostgreSQL schema as text."""
    store = engine.store
    if isinstance(store, SQLiteStore):
        path = Path(store.path)
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    found = []
    with store._pool.connection() as conn:  # type: ignore[attr-defined]
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        for (table,) in tables:
            for (row,) in conn.execute(f"SELECT t::text FROM {table} t"):
                found.append(row.encode())
    return b"\n".join(found)


# -- sealing ---------------------------------------------------------------


def test_free_text_is_sealed_in_the_body_and_nowhere_in_the_clear(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="stageborging")
    sid = _report(engine)
    opened = engine.history(sid)[0]
    assert "description" not in opened.data
    assert "ground" not in opened.data
    assert set(opened.sealed) == {"description", "ground"}
    assert opened.key_id == STUDENT.id
    assert all(text.startswith("st1:") for text in opened.sealed.values())
    assert "ground" not in engine.stream(sid).facts["details"]
    assert SENTENCE.encode() not in _everything_stored(engine)
    stored = [*engine.store.read_events(sid), engine.store.read_stream(sid)]
    assert "religion" not in repr(stored)  # the ground's code list is in the definitions only
    assert SENTENCE not in caplog.text
    assert "religion" not in caplog.text
    assert engine.verify().ok


def test_notes_on_an_internship_are_sealed_for_its_student(
    engine: Engine, clock: FakeClock
) -> None:
    trip = journey(engine, clock)
    sid = trip.open()
    trip.to_active(sid)
    event = engine.record(sid, "guidance_contact", actor=COACH,
                          data={"moment": "begin", "note": SENTENCE})  # fmt: skip
    assert event.key_id == "stu-1"
    assert set(event.sealed) == {"note"}
    engine.fire(sid, "suspend", actor=COACH, data={"reason": "illness", "note": SENTENCE})
    assert engine.stream(sid).state == "suspended"
    notes = engine.reveal(sid, actor=PLACEMENT_OFFICE)
    assert [(r.seq, r.field, r.value) for r in notes] == [
        (event.seq, "note", SENTENCE),
        (event.seq + 1, "note", SENTENCE),
    ]
    assert SENTENCE.encode() not in _everything_stored(engine)


def test_plugins_never_see_sealed_fields(engine: Engine) -> None:
    seen: list[str] = []

    class Watcher:
        @hookimpl
        def stageborging_check_transition(self, transition: Any) -> list[Any]:
            seen.append(repr(transition))
            return []

        @hookimpl
        def stageborging_after_transition(self, event: Any, stream: Any) -> list[Any]:
            seen.append(repr(event) + repr(stream))
            return []

    engine.register_plugin(Watcher(), name="watcher")
    sid = _report(engine)
    engine.fire(sid, "acknowledge", actor=ADVISOR)
    assert seen
    assert not any(SENTENCE in text or "religion" in text for text in seen)


def test_a_command_with_free_text_needs_a_master_key_and_writes_nothing_without(
    db: str, clock: FakeClock
) -> None:
    with Engine(db, clock=clock) as engine:
        with pytest.raises(KeyUnavailable, match="no master key"):
            _report(engine)
        assert engine.streams().streams == ()
        sid = engine.open("case", actor=STUDENT, data={"phase": "search"}).stream_id
        engine.fire(sid, "acknowledge", actor=ADVISOR)  # without free text all works


def test_another_master_key_reads_nothing(db: str, clock: FakeClock, master_key: MasterKey) -> None:
    with Engine(db, clock=clock, master_key=master_key) as engine:
        sid = _report(engine)
        before = engine.streams().streams
    with Engine(db, clock=clock, master_key=MasterKey.generate()) as other:
        with pytest.raises(KeyUnavailable, match="does not unwrap"):
            other.reveal(sid, actor=ADVISOR)
        with pytest.raises(KeyUnavailable, match="not the database's master key"):
            _report(other, reporter=Actor("stu-2", "student"))  # a new subject's key
        assert other.streams().streams == before  # nothing written


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"description": ""}, "data.description"),
        ({"description": "   "}, "data.description"),
        ({"description": "x" * 10_001}, "data.description"),
        ({"description": "a\x00b"}, "data.description"),
        ({"description": ["a list"]}, "data.description"),
        ({"description": "\ud800"}, "data.description"),
        ({"ground": "ethnicity"}, "data.ground"),
    ],
)
def test_bad_free_text_is_named_never_echoed_and_writes_nothing(
    engine: Engine, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        engine.open("case", actor=STUDENT, data={"phase": "search", **data})
    assert error.value.field == field
    if "description" in data and isinstance(data["description"], str) and data["description"]:
        assert data["description"][:20] not in str(error.value)
    assert engine.streams().streams == ()


def test_a_refused_command_keeps_no_free_text(engine: Engine, clock: FakeClock) -> None:
    trip = journey(engine, clock)
    sid = trip.open()
    trip.to_active(sid)
    with pytest.raises(Refused) as refused:
        engine.fire(sid, "suspend", actor=STUDENT, data={"reason": "illness", "note": SENTENCE})
    assert refused.value.event is not None
    assert refused.value.event.sealed == {}
    assert SENTENCE.encode() not in _everything_stored(engine)


def test_a_repeated_command_with_free_text_returns_its_first_event(engine: Engine) -> None:
    data = {"phase": "search", "description": SENTENCE}
    first = engine.open("case", actor=STUDENT, data=data, command_id="msg-1")
    again = engine.open("case", actor=STUDENT, data=data, command_id="msg-1")
    assert again.hash == first.hash
    with pytest.raises(InvalidInput) as error:
        engine.open("case", actor=STUDENT, data={"phase": "search"}, command_id="msg-1")
    assert error.value.field == "command_id"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=300))
def test_any_text_reads_back_exactly_and_is_never_stored_in_the_clear(
    file_engine: Engine, text: str
) -> None:
    text = f"Kit: {text} :tiK"  # marked, so that it cannot occur in the file by chance
    sid = file_engine.open(
        "case", actor=STUDENT, data={"phase": "search", "description": text}
    ).stream_id
    (revealed,) = file_engine.reveal(sid, actor=ADVISOR)
    assert revealed.value == text
    assert text.encode() not in _everything_stored(file_engine)


# -- role-scoped reads -------------------------------------------------------


def test_reads_beyond_a_role_are_refused_and_every_read_is_in_the_access_log(
    engine: Engine,
) -> None:
    sid = _report(engine, reporter=WITNESS, student="stu-1")
    fields = ("1.description", "1.ground")
    values = {r.field: r.value for r in engine.reveal(sid, actor=ADVISOR)}
    assert values == {"description": SENTENCE, "ground": "religion"}
    assert engine.reveal(sid, actor=WITNESS)[0].value == SENTENCE  # who wrote it
    assert engine.reveal(sid, actor=STUDENT)[0].value == SENTENCE  # whom it is about
    impostors = (Actor("stu-1", "employer"), Actor(WITNESS.id, "student"))  # id, other role
    for reader in (COACH, AUDITOR, PLACEMENT_OFFICE, Actor("sis", "system"), *impostors):
        with pytest.raises(AccessRefused) as refused:
            engine.reveal(sid, actor=reader)
        assert refused.value.fields == fields
        assert refused.value.role == reader.role
    log = engine.access_log()
    assert [(e.actor_id, e.outcome) for e in log] == [
        (ADVISOR.id, "granted"),
        (WITNESS.id, "granted"),
        (STUDENT.id, "granted"),
        (COACH.id, "refused"),
        (AUDITOR.id, "refused"),
        (PLACEMENT_OFFICE.id, "refused"),
        ("sis", "refused"),
        ("stu-1", "refused"),
        (WITNESS.id, "refused"),
    ]
    assert all(e.stream_id == sid and e.fields == fields for e in log)
    assert engine.stream(sid).version == 1  # reads never touch the stream
    assert engine.verify().ok


def test_a_read_of_one_event_and_bad_reads(engine: Engine) -> None:
    sid = _report(engine)
    engine.fire(sid, "acknowledge", actor=ADVISOR)
    assert engine.reveal(sid, actor=COACH, seq=2) == ()  # nothing sealed: nothing logged
    assert engine.access_log() == []
    for seq in (0, 3, True, "1"):
        with pytest.raises(InvalidInput) as error:
            engine.reveal(sid, actor=ADVISOR, seq=seq)  # type: ignore[arg-type]
        assert error.value.field == "seq"
    with pytest.raises(InvalidInput) as error:
        engine.reveal("no such", actor=ADVISOR)
    assert error.value.field == "stream_id"
    with pytest.raises(InvalidInput) as error:
        engine.reveal(sid, actor="confidential_advisor")  # type: ignore[arg-type]
    assert error.value.field == "actor"


# -- erasure -----------------------------------------------------------------


def test_erasure_waits_for_open_cases_then_makes_the_text_unreadable_for_everyone(
    engine: Engine,
) -> None:
    case = _report(engine)
    with pytest.raises(Refused) as refused:
        engine.erase("stu-1", actor=OFFICER, basis="consent_withdrawn")
    assert [f.code for f in refused.value.findings] == ["erasure.open_case"]
    assert engine.stream(case).version == 1  # nothing written
    _close(engine, case)
    erasure = engine.erase("stu-1", actor=OFFICER, basis="consent_withdrawn")
    assert erasure.streams == (case,)
    assert erasure.scrubbed
    last = engine.history(case)[-1]
    assert (last.type, last.name, last.actor, dict(last.data)) == (
        EventType.ERASED,
        "erasure",
        OFFICER,
        {"basis": "consent_withdrawn"},
    )
    for reader in (ADVISOR, STUDENT):
        assert {r.value for r in engine.reveal(case, actor=reader)} == {None}
    report = engine.verify()
    assert report.ok
    assert (report.sealed, report.erased) == (1, 1)
    with pytest.raises(InvalidInput, match="was erased"):
        engine.erase("stu-1", actor=OFFICER, basis="consent_withdrawn")
    with pytest.raises(InvalidInput, match="was erased") as error:
        _report(engine)  # nothing is recorded of an erased subject again
    assert error.value.field == "actor"


def test_the_key_bytes_are_gone_from_the_database_files_after_erasure(engine: Engine) -> None:
    case = _report(engine)
    _close(engine, case)
    wrapped = engine.store.run(lambda tx: tx.subject_key("stu-1")).wrapped
    assert wrapped is not None
    assert wrapped in _raw_files(engine)
    engine.erase("stu-1", actor=OFFICER, basis="no_longer_needed")
    assert wrapped not in _raw_files(engine)


def _raw_files(engine: Engine) -> bytes:
    """The database's files as they lie on disk (PostgreSQL: the keys table's own file,
    where this process may read it)."""
    store = engine.store
    if isinstance(store, SQLiteStore):
        return _everything_stored(engine)
    with store._pool.connection() as conn:  # type: ignore[attr-defined]
        conn.autocommit = True
        conn.execute("CHECKPOINT")  # what the server holds in memory, written to the file
        (directory,) = conn.execute("SHOW data_directory").fetchone()
        (relative,) = conn.execute("SELECT pg_relation_filepath('subject_keys')").fetchone()
    path = Path(directory) / relative
    try:
        return path.read_bytes()
    except OSError as exc:
        pytest.skip(f"the PostgreSQL data directory is not readable here ({exc.strerror})")


@pytest.mark.parametrize(
    ("subject", "actor", "basis", "error", "field"),
    [
        ("two words", OFFICER, "no_longer_needed", InvalidInput, "subject"),
        ("stu-404", OFFICER, "no_longer_needed", InvalidInput, "subject"),
        ("stu-1", OFFICER, "because", InvalidInput, "basis"),
        ("stu-1", "dpo", "no_longer_needed", InvalidInput, "actor"),
        ("stu-1", COACH, "no_longer_needed", Refused, None),
        ("stu-1", AUDITOR, "no_longer_needed", Refused, None),
    ],
)
def test_bad_erasures_are_named_and_write_nothing(
    engine: Engine, subject: Any, actor: Any, basis: Any, error: type[Exception], field: str
) -> None:
    case = _report(engine)
    _close(engine, case)
    version = engine.stream(case).version
    with pytest.raises(error) as raised:
        engine.erase(subject, actor=actor, basis=basis)
    if field is not None:
        assert raised.value.field == field  # type: ignore[attr-defined]
    assert engine.stream(case).version == version
    assert engine.reveal(case, actor=ADVISOR)[0].value == SENTENCE


def test_erasure_waits_for_a_running_internship_and_refuses_new_streams(
    engine: Engine, clock: FakeClock
) -> None:
    trip = journey(engine, clock)
    sid = trip.open()
    with pytest.raises(Refused) as refused:
        engine.erase("stu-1", actor=OFFICER, basis="no_longer_needed")
    assert [f.code for f in refused.value.findings] == ["erasure.running"]
    assert refused.value.stream_id == sid
    engine.fire(sid, "withdraw", actor=PLACEMENT_OFFICE)
    engine.erase("stu-1", actor=OFFICER, basis="no_longer_needed")
    with pytest.raises(InvalidInput) as error:
        trip.open()
    assert error.value.field == "data.student"
    assert [s.id for s in engine.streams().streams] == [sid]


def test_erasure_reaches_every_stream_of_the_student_and_nobody_else(
    engine: Engine, clock: FakeClock
) -> None:
    trip = journey(engine, clock)
    internship = trip.open()
    trip.to_active(internship)
    engine.record(internship, "guidance_contact", actor=COACH,
                  data={"moment": "begin", "note": SENTENCE})  # fmt: skip
    engine.fire(internship, "withdraw", actor=PLACEMENT_OFFICE)
    about = _report(engine, reporter=WITNESS, student="stu-1")
    other = _report(engine, reporter=Actor("stu-2", "student"))
    for case in (about, other):
        _close(engine, case)
    erasure = engine.erase("stu-1", actor=OFFICER, basis="no_longer_needed")
    assert set(erasure.streams) == {internship, about}
    assert engine.reveal(internship, actor=COACH)[0].value is None
    assert engine.reveal(other, actor=ADVISOR)[0].value == SENTENCE
    assert all(e.type is not EventType.ERASED for e in engine.history(other))
    report = engine.verify()
    assert report.ok
    assert (report.sealed, report.erased) == (3, 2)


# -- retention, access requests, rotation -------------------------------------------


def test_retention_finds_the_subjects_whose_streams_all_ended_long_enough_ago(
    engine: Engine, clock: FakeClock
) -> None:
    ended = _report(engine)
    _close(engine, ended)
    _report(engine, reporter=Actor("stu-2", "student"))  # still open
    assert engine.erasure_due({"case": 30}) == ()
    clock.advance(days=31)
    assert engine.erasure_due({"case": 30}) == ("stu-1",)
    assert engine.erasure_due({"internship": 30}) == ()  # its kind is kept
    for retention, field in (({"cases": 30}, "retention"), ({"case": 0}, "retention.case"),
                             ([("case", 3)], "retention")):  # fmt: skip
        with pytest.raises(InvalidInput) as error:
            engine.erasure_due(retention)  # type: ignore[arg-type]
        assert error.value.field == field
    engine.erase("stu-1", actor=Actor("retention", "system"), basis="retention_expired")
    assert engine.erasure_due({"case": 30}) == ()


def test_the_store_pages_subjects_with_their_streams_rows(engine: Engine) -> None:
    first = _report(engine)
    second = _report(engine)
    other = _report(engine, reporter=Actor("stu-2", "student"))
    page = engine.store.subjects("", 1)
    assert [(s, sorted(r.id for r in rows)) for s, rows in page] == [
        ("stu-1", sorted([first, second]))
    ]
    assert all(r.lifecycle == "case" and r.state == "received" for r in page[0][1])
    rest = engine.store.subjects("stu-1", 10)
    assert [(s, [r.id for r in rows]) for s, rows in rest] == [("stu-2", [other])]
    with pytest.raises(InvalidInput) as error:
        engine.store.subjects("", 0)
    assert error.value.field == "limit"


def test_a_subject_export_holds_everything_about_them_for_the_officer(engine: Engine) -> None:
    case = _report(engine)
    export = engine.subject_export("stu-1", actor=OFFICER)
    assert export["subject"] == "stu-1"
    assert export["erased_at"] is None
    (stream,) = export["streams"]
    assert stream["id"] == case
    opened = stream["events"][0]
    assert opened["sealed"] == {"description": SENTENCE, "ground": "religion"}
    assert [(e.actor_id, e.outcome) for e in engine.access_log()] == [(OFFICER.id, "granted")]
    assert engine.subject_export("stu-1", actor=STUDENT)["streams"][0]["id"] == case
    for actor in (COACH, Actor("stu-1", "employer")):
        with pytest.raises(Refused) as refused:
            engine.subject_export("stu-1", actor=actor)
        assert refused.value.subject == "stu-1"


def test_a_rotated_master_key_reads_everything_and_the_old_one_nothing(
    db: str, clock: FakeClock, master_key: MasterKey
) -> None:
    new = MasterKey.generate()
    with Engine(db, clock=clock, master_key=master_key) as engine:
        sid = _report(engine)
        assert engine.rotate_master_key(new) == 1
        assert engine.reveal(sid, actor=ADVISOR)[0].value == SENTENCE
    with Engine(db, clock=clock, master_key=new) as engine:
        assert engine.reveal(sid, actor=ADVISOR)[0].value == SENTENCE
    with Engine(db, clock=clock, master_key=master_key) as engine:
        with pytest.raises(KeyUnavailable):
            engine.reveal(sid, actor=ADVISOR)
        with pytest.raises(InvalidInput) as error:
            engine.rotate_master_key("a new key")  # type: ignore[arg-type]
        assert error.value.field == "new"
        with pytest.raises(KeyUnavailable, match="not the database's master key"):
            _report(engine, reporter=Actor("stu-3", "student"))  # the old key wraps nothing
    with (
        Engine(db, clock=clock, master_key=new) as engine,
        pytest.raises(InvalidInput, match="current master key"),
    ):
        engine.rotate_master_key(MasterKey(bytes(new._raw)))  # type: ignore[attr-defined]


# -- key provider hook -----------------------------------------------------------


class _Service:
    """A stand-in key management service: envelope encryption under its own key."""

    def __init__(self) -> None:
        self._key = MasterKey.generate()
        self.calls = 0

    def wrap(self, key_id: str, subject_key: bytes) -> bytes:
        self.calls += 1
        return self._key.wrap(key_id, subject_key)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        self.calls += 1
        return self._key.unwrap(key_id, wrapped)


@pytest.mark.hook("stageborging_key_provider")
def test_a_key_provider_plugin_seals_in_place_of_a_master_key(db: str, clock: FakeClock) -> None:
    service = _Service()

    class Kms:
        @hookimpl
        def stageborging_key_provider(self) -> _Service:
            return service

    with Engine(db, plugins=[Kms(), Recognises()], clock=clock) as engine:
        sid = _report(engine)
        assert engine.reveal(sid, actor=ADVISOR)[0].value == SENTENCE
    assert service.calls == 3  # the database's master check and the subject's key wrapped,
    # then the subject's key unwrapped to read


@pytest.mark.hook("stageborging_key_provider")
@pytest.mark.parametrize("answer", ["a key", 42])
def test_a_key_provider_that_offers_nothing_usable_stops_the_engine(
    db: str, answer: object
) -> None:
    class Broken:
        @hookimpl
        def stageborging_key_provider(self) -> object:
            return answer

    with pytest.raises(PluginError, match="without wrap and unwrap"):
        Engine(db, plugins=[Broken()])


@pytest.mark.hook("stageborging_key_provider")
def test_a_key_provider_cannot_join_a_running_engine(engine: Engine) -> None:
    class Late:
        @hookimpl
        def stageborging_key_provider(self) -> _Service:
            return _Service()

    with pytest.raises(PluginError, match="collected when the registry is built"):
        engine.register_plugin(Late(), name="late-kms")


# -- pseudonyms and the command line ----------------------------------------------


def test_pseudonyms_are_stable_keyed_and_survive_a_rotation(
    db: str, clock: FakeClock, master_key: MasterKey
) -> None:
    with Engine(db, clock=clock, master_key=master_key) as engine:
        first = engine.pseudonym("reporter", "stu-1")
        assert first == engine.pseudonym("reporter", "stu-1")
        assert first.startswith("p1:")
        assert first != engine.pseudonym("employer", "stu-1")  # the kind is part of it
        engine.rotate_master_key(new := MasterKey.generate())
    with Engine(db, clock=clock, master_key=new) as engine:
        assert engine.pseudonym("reporter", "stu-1") == first
        with pytest.raises(InvalidInput) as error:
            engine.pseudonym("reporter", "two words")
        assert error.value.field == "value"
        with pytest.raises(InvalidInput) as error:
            engine.erase("stageborging.pseudonyms", actor=OFFICER, basis="no_longer_needed")
        assert error.value.field == "subject"
    with Engine(db, clock=clock) as engine, pytest.raises(KeyUnavailable):
        engine.pseudonym("reporter", "stu-1")


def test_audit_commands_never_print_free_text_and_never_write(file_engine: Engine) -> None:
    from click.testing import CliRunner

    from stageborging.cli import main

    sid = _report(file_engine)
    file_engine.reveal(sid, actor=ADVISOR)
    path = file_engine.store.path  # type: ignore[attr-defined]
    file_engine.close()
    before = Path(path).read_bytes()
    runner = CliRunner()
    for args in (["audit", "verify"], ["audit", "verify", "--format", "json"],
                 ["audit", "access"], ["audit", "access", "--format", "json"],
                 ["events"]):  # fmt: skip
        result = runner.invoke(main, [*args, "--db", str(path)])
        assert result.exit_code == 0, result.output
        assert SENTENCE not in result.output
        assert "religion" not in result.output
    feed = runner.invoke(main, ["events", "--db", str(path)]).output
    assert json.loads(feed.splitlines()[0])["sealed"] == ["description", "ground"]
    verified = runner.invoke(main, ["audit", "verify", "--db", str(path)]).output
    assert "sealed: 1 event(s)" in verified
    access = runner.invoke(main, ["audit", "access", "--db", str(path), "--format", "json"])
    assert [e["actor_id"] for e in json.loads(access.output)] == [ADVISOR.id]
    assert Path(path).read_bytes() == before


# -- what verification checks of erasures, and a provider's answers ------------------


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE subject_keys SET erased_at = '2027-06-01T00:00:00.000000Z', wrapped = NULL "
         "WHERE key_id = 'stu-2'", "subject_keys has it erased, but no erased event"),
        ("UPDATE subject_keys SET erased_at = NULL WHERE key_id = 'stu-1'",
         "an erased event records its erasure, but subject_keys still holds it"),
    ],
)  # fmt: skip
def test_verification_compares_the_erased_events_with_the_keys_table(
    file_engine: Engine, tamper: str, problem: str
) -> None:
    import sqlite3

    from stageborging import verify_database

    erased = _report(file_engine)
    _close(file_engine, erased)
    _report(file_engine, reporter=Actor("stu-2", "student"))
    file_engine.erase("stu-1", actor=OFFICER, basis="consent_withdrawn")
    path = file_engine.store.path  # type: ignore[attr-defined]
    file_engine.close()
    intact = verify_database(path)
    assert intact.ok
    assert (intact.sealed, intact.erased) == (2, 1)
    with sqlite3.connect(path) as conn:
        conn.execute(tamper)
    report = verify_database(path)
    assert not report.ok
    assert any(problem in p for p in report.problems)


class _Flaky:
    """A key service that fails, or answers what no key is."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._key = MasterKey.generate()

    def wrap(self, key_id: str, subject_key: bytes) -> Any:
        if self.mode == "down":
            raise ConnectionError("the KMS is unreachable")
        if self.mode == "text":
            return "wrapped"
        return self._key.wrap(key_id, subject_key)

    def unwrap(self, key_id: str, wrapped: bytes) -> Any:
        return b"short" if self.mode == "short" else self._key.unwrap(key_id, wrapped)


@pytest.mark.parametrize(
    ("mode", "problem"),
    [("down", "failed to wrap (ConnectionError)"), ("text", "wrap returned str"),
     ("short", "no 32-byte key")],
)  # fmt: skip
def test_a_key_service_that_fails_is_a_library_error_and_writes_nothing(
    db: str, clock: FakeClock, mode: str, problem: str
) -> None:
    with Engine(db, clock=clock, master_key=_Flaky(mode)) as engine:
        if mode == "short":  # it wraps, then cannot unwrap what it wrapped
            sid = _report(engine)
            with pytest.raises(KeyUnavailable, match=re.escape(problem)):
                engine.reveal(sid, actor=ADVISOR)
            return
        with pytest.raises(KeyUnavailable, match=re.escape(problem)):
            _report(engine)
        assert engine.streams().streams == ()


def test_a_database_of_schema_9_learns_each_streams_subject(db: str, clock: FakeClock) -> None:
    with Engine(db, clock=clock, master_key=MasterKey.generate()) as engine:
        internship = journey(engine).open()
        case = engine.open("case", actor=WITNESS, data={"phase": "search"}).stream_id
        _as_schema_9(engine)
    with Engine(db, clock=clock) as engine:  # migrates to schema 10
        subjects = {s: engine.store.run(lambda tx, s=s: tx.stream_subject(s))  # type: ignore[misc]
                    for s in (internship, case)}  # fmt: skip
        assert subjects == {internship: "stu-1", case: WITNESS.id}
        assert engine.verify().ok


def _as_schema_9(engine: Engine) -> None:
    """Drop what schemas 10 to 12 added, as a database of the release before held it."""
    store = engine.store
    if isinstance(store, SQLiteStore):
        import sqlite3

        with sqlite3.connect(store.path) as conn:
            conn.executescript(
                "DROP TABLE stream_subjects; DROP TRIGGER access_log_no_update;"
                "DROP TRIGGER access_log_no_delete; DROP TABLE access_log;"
                "DROP TABLE jobs; DROP TABLE applications; DROP TABLE deliveries;"
                "DROP INDEX outbox_dead; ALTER TABLE outbox DROP COLUMN dead_at;"
                "PRAGMA user_version = 9;"
            )
        return
    with store._pool.connection() as conn:  # type: ignore[attr-defined]
        conn.execute("DROP TABLE stream_subjects")
        conn.execute("DROP TABLE access_log")
        conn.execute("DROP TABLE jobs")
        conn.execute("DROP TABLE applications")
        conn.execute("DROP TABLE deliveries")
        conn.execute("ALTER TABLE outbox DROP COLUMN dead_at")
        conn.execute("UPDATE stageborging_schema SET version = 9")


def test_erasures_in_a_row_scrub_the_files_once_after_the_last(file_engine: Engine) -> None:
    for n in (1, 2):
        student = Actor(f"stu-{n}", "student")
        _close(file_engine, _report(file_engine, reporter=student))
    first = file_engine.erase("stu-1", actor=OFFICER, basis="retention_expired", scrub=False)
    assert first.scrubbed == ()
    wrapped = file_engine.store.run(lambda tx: tx.subject_key("stu-2")).wrapped
    file_engine.erase("stu-2", actor=OFFICER, basis="retention_expired", scrub=False)
    assert file_engine.store.scrub() == ("secure_delete", "wal_checkpoint(TRUNCATE)")
    assert wrapped is not None
    assert wrapped not in _raw_files(file_engine)
    with pytest.raises(InvalidInput) as error:
        file_engine.erase("stu-3", actor=OFFICER, basis="objection", scrub="yes")  # type: ignore[arg-type]
    assert error.value.field == "scrub"


def test_the_retention_command_lists_then_erases_as_the_system(db_path: Path) -> None:
    from datetime import UTC, datetime

    from click.testing import CliRunner

    from stageborging.cli import main

    clock = FakeClock()
    clock.set(datetime(2020, 3, 2, 9, tzinfo=UTC))  # long before the command's today
    with Engine(db_path, clock=clock, master_key=MasterKey.generate()) as engine:
        _close(engine, _report(engine))
    runner = CliRunner()
    args = ["erase", "--due", "--db", str(db_path), "--retain", "case=365"]
    listed = runner.invoke(main, args)
    assert (listed.exit_code, listed.stdout) == (0, "stu-1\n")
    mixed = runner.invoke(main, [*args, "--yes", "--actor", "privacy_officer:dpo-1"])
    assert mixed.exit_code == 2
    twice = runner.invoke(main, [*args, "--retain", "case=30"])
    assert twice.exit_code == 2
    assert "given twice" in twice.output
    done = runner.invoke(main, [*args, "--yes"])
    assert done.exit_code == 0, done.output
    assert "erased 1 subject(s) past retention; secure_delete" in done.output
    with Engine(db_path) as engine:
        erased = [e for s in engine.streams().streams for e in engine.history(s.id)][-1]
        assert (erased.type, erased.actor, dict(erased.data)) == (
            EventType.ERASED,
            Actor("retention", "system"),
            {"basis": "retention_expired"},
        )
