"""Institutions: a school group's institutions on one database keep to their own streams."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import Engine, InvalidInput, StreamNotFound
from stageborging.cli import main
from stageborging.testing import FakeClock
from support import (
    ADVISOR,
    COACH,
    PLACEMENT_OFFICE,
    STUDENT,
    Recognises,
    Tells,
    as_schema_3,
    journey,
    mbo_details,
)


@pytest.fixture
def group(db: str, clock: FakeClock) -> Iterator[tuple[Engine, Engine, Engine]]:
    """Engines bound to roc-a and roc-b, and an unbound one (the group's), on one database."""
    plugins = [Recognises()]
    with (
        Engine(db, plugins=plugins, clock=clock, institution="roc-a") as a,
        Engine(db, plugins=plugins, clock=clock, institution="roc-b") as b,
        Engine(db, plugins=plugins, clock=clock) as whole,
    ):
        yield a, b, whole


def test_a_bound_engine_opens_in_its_institution(group: tuple[Engine, Engine, Engine]) -> None:
    a, _, whole = group
    sid = journey(a).open()
    assert a.institution == "roc-a"
    assert a.stream(sid).institution == "roc-a"
    assert whole.stream(sid).institution == "roc-a"
    assert all(e.institution == "roc-a" for e in a.history(sid))
    header = json.loads(a.store.read_events(sid)[0].header)
    assert header["institution"] == "roc-a"


def test_another_institutions_stream_is_not_found_by_any_read_or_command(
    group: tuple[Engine, Engine, Engine],
) -> None:
    a, b, _ = group
    sid = journey(a).open()
    reads = [
        lambda: b.stream(sid),
        lambda: b.history(sid),
        lambda: b.replay(sid),
        lambda: b.notifications(sid),
        lambda: b.recipients("coach", sid),
        lambda: b.check(sid, "begin_search", actor=STUDENT),
        lambda: b.check_record(sid, "guidance_contact", actor=COACH, data={"kind": "visit"}),
        lambda: b.fire(sid, "begin_search", actor=STUDENT),
        lambda: b.record(sid, "guidance_contact", actor=COACH, data={"kind": "visit"}),
        lambda: b.migrate(sid, actor=PLACEMENT_OFFICE, reason="correction"),
        lambda: b.check_migrate(sid, actor=PLACEMENT_OFFICE),
    ]
    for read in reads:
        with pytest.raises(StreamNotFound):
            read()
    assert a.stream(sid).version == 1  # nothing was written on it


def test_queries_feed_statistics_and_versions_keep_to_the_institution(
    group: tuple[Engine, Engine, Engine],
) -> None:
    a, b, whole = group
    mine = [journey(a).open() for _ in range(2)]
    theirs = journey(b).open()
    a.fire(mine[0], "begin_search", actor=STUDENT)
    none = journey(whole).open()  # an unbound engine's open: no institution
    assert sorted(s.id for s in a.streams().streams) == sorted(mine)
    assert [s.id for s in b.streams().streams] == [theirs]
    assert {e.event.stream_id for e in a.events_since(0)} == set(mine)
    assert {e.event.stream_id for e in b.events_since(0)} == {theirs}
    assert a.statistics().events == 3
    assert b.statistics().events == 1
    assert sum(v.streams for v in a.versions()) == 2
    assert sum(v.streams for v in b.versions()) == 1
    assert whole.statistics().events == 5
    assert [s.id for s in whole.streams(institution="roc-b").streams] == [theirs]
    assert [s.id for s in whole.streams(institution="").streams] == [none]
    assert {e.event.stream_id for e in whole.events_since(0, institution="roc-b")} == {theirs}
    assert whole.statistics(institution="roc-a").events == 3


def test_a_bound_engine_refuses_another_institution_by_name(
    group: tuple[Engine, Engine, Engine],
) -> None:
    a, _, _ = group
    calls = [
        lambda: a.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), institution="roc-b"),
        lambda: a.streams(institution="roc-b"),
        lambda: a.events_since(0, institution="roc-b"),
        lambda: a.statistics(institution="roc-b"),
    ]
    for call in calls:
        with pytest.raises(InvalidInput) as error:
            call()
        assert error.value.field == "institution"
    assert a.statistics().events == 0


def test_an_unbound_engine_opens_in_the_institution_it_is_given(
    group: tuple[Engine, Engine, Engine],
) -> None:
    a, b, whole = group
    event = whole.open("case", actor=STUDENT, data={"phase": "search"}, institution="roc-b")
    assert whole.stream(event.stream_id).institution == "roc-b"
    assert b.stream(event.stream_id).state == "received"
    b.fire(event.stream_id, "acknowledge", actor=ADVISOR)
    with pytest.raises(StreamNotFound):
        a.stream(event.stream_id)


@pytest.mark.parametrize("bad", ["", "two words", 5, "x" * 129])
def test_a_malformed_institution_is_named(db: str, bad: object) -> None:
    with pytest.raises(InvalidInput) as error:
        Engine(db, institution=bad)  # type: ignore[arg-type]
    assert error.value.field == "institution"
    with Engine(db) as engine:
        for call in (
            lambda: engine.open("case", actor=STUDENT, data={"phase": "search"}, institution=bad),
            lambda: engine.streams(institution=bad),
        ):
            if bad == "":
                continue  # "" names no institution: as a filter, and on an unbound open
            with pytest.raises(InvalidInput) as error:
                call()  # type: ignore[arg-type]
            assert error.value.field == "institution"
        assert engine.statistics().events == 0


def test_stream_ids_are_unique_across_institutions(group: tuple[Engine, Engine, Engine]) -> None:
    """An id is the database's: another institution cannot take it (nor read the stream)."""
    a, b, _ = group
    journey(a).open()
    sid = a.open("case", actor=STUDENT, data={"phase": "search"}, stream_id="case-1").stream_id
    with pytest.raises(InvalidInput) as error:
        b.open("case", actor=STUDENT, data={"phase": "search"}, stream_id=sid)
    assert error.value.field == "stream_id"
    assert a.verify().ok


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.sampled_from(["roc-a", "roc-b"]), st.booleans()), min_size=1,
                max_size=8))  # fmt: skip
def test_two_institutions_never_see_each_others_streams(
    clock: FakeClock, steps: list[tuple[str, bool]]
) -> None:
    """Whatever each institution does, each bound engine sees exactly its own streams."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "group.db"
        engines = {n: Engine(path, clock=clock, institution=n) for n in ("roc-a", "roc-b")}
        owned: dict[str, set[str]] = {"roc-a": set(), "roc-b": set()}
        try:
            for name, fire in steps:
                engine = engines[name]
                sid = journey(engine).open()
                owned[name].add(sid)
                if fire:
                    engine.fire(sid, "begin_search", actor=STUDENT)
            for name, engine in engines.items():
                other = "roc-b" if name == "roc-a" else "roc-a"
                assert {s.id for s in engine.streams(limit=1000).streams} == owned[name]
                assert {e.event.stream_id for e in engine.events_since(0)} == owned[name]
                for sid in owned[other]:
                    with pytest.raises(StreamNotFound):
                        engine.stream(sid)
        finally:
            for engine in engines.values():
                engine.close()


def test_the_cli_filters_streams_and_the_feed_by_institution(
    db_path: Path, clock: FakeClock
) -> None:
    with Engine(db_path, clock=clock, institution="roc-a") as a:
        mine = journey(a).open()
    with Engine(db_path, clock=clock, institution="roc-b") as b:
        theirs = journey(b).open()
    runner = CliRunner()
    listed = runner.invoke(main, ["streams", "--db", str(db_path), "--institution", "roc-a",
                                  "--format", "json"])  # fmt: skip
    assert listed.exit_code == 0, listed.output
    assert [s["id"] for s in json.loads(listed.output)["streams"]] == [mine]
    feed = runner.invoke(main, ["events", "--db", str(db_path), "--institution", "roc-b"])
    assert feed.exit_code == 0, feed.output
    lines = [json.loads(line) for line in feed.output.splitlines()]
    assert [(e["stream_id"], e["institution"]) for e in lines] == [(theirs, "roc-b")]
    bad = runner.invoke(main, ["streams", "--db", str(db_path), "--institution", "a b"])
    assert bad.exit_code == 2
    assert "institution" in bad.output


def test_a_database_from_before_institutions_reads_as_of_none(
    db_path: Path, clock: FakeClock
) -> None:
    """An older file (read-only, never migrated) has no institution column: its streams
    belong to none, and a filter by an institution finds nothing."""
    with Engine(db_path, clock=clock) as engine:
        sid = journey(engine).open()
    as_schema_3(db_path)
    runner = CliRunner()
    for institution, expected in (("", [sid]), ("roc-a", [])):
        listed = runner.invoke(main, ["streams", "--db", str(db_path), "--institution",
                                      institution, "--format", "json"])  # fmt: skip
        assert listed.exit_code == 0, listed.output
        assert [s["id"] for s in json.loads(listed.output)["streams"]] == expected
    feed = runner.invoke(main, ["events", "--db", str(db_path)])
    assert json.loads(feed.output.splitlines()[0])["institution"] == ""
    assert runner.invoke(main, ["audit", "verify", "--db", str(db_path)]).exit_code == 0


def test_an_engine_may_require_every_open_to_name_its_institution(db: str) -> None:
    with Engine(db, require_institution=True) as engine:
        with pytest.raises(InvalidInput) as error:
            engine.open("case", actor=STUDENT, data={"phase": "search"})
        assert error.value.field == "institution"
        with pytest.raises(InvalidInput):
            engine.import_stream("mbo_bpv", state="searching", actor=PLACEMENT_OFFICE,
                                 data=mbo_details(), evidence={"source": "eduarte"})  # fmt: skip
        assert engine.statistics().events == 0
        event = engine.open("case", actor=STUDENT, data={"phase": "search"}, institution="roc-a")
        assert engine.stream(event.stream_id).institution == "roc-a"
    with pytest.raises(InvalidInput) as error:
        Engine(db, require_institution="yes")  # type: ignore[arg-type]
    assert error.value.field == "require_institution"


def test_an_empty_institution_names_none_on_an_unbound_engine(db: str) -> None:
    with Engine(db) as engine:
        event = engine.open("case", actor=STUDENT, data={"phase": "search"}, institution="")
        assert engine.stream(event.stream_id).institution == ""
    with Engine(db, institution="roc-a") as bound, pytest.raises(InvalidInput) as error:
        bound.open("case", actor=STUDENT, data={"phase": "search"}, institution="")
    assert error.value.field == "institution"


def test_a_bound_engines_outbox_holds_its_own_notifications_only(db: str, clock: FakeClock) -> None:
    """The store filters the outbox by the streams' institution (both backends)."""
    plugins = [Recognises(), Tells()]
    with (
        Engine(db, plugins=plugins, clock=clock, institution="roc-a") as a,
        Engine(db, plugins=plugins, clock=clock, institution="roc-b") as b,
        Engine(db, plugins=plugins, clock=clock) as whole,
    ):
        mine, theirs = journey(a).open(), journey(b).open()
        a.fire(mine, "begin_search", actor=STUDENT)
        b.fire(theirs, "begin_search", actor=STUDENT)
        assert [n.stream_id for n in a.notifications()] == [mine]
        assert [n.stream_id for n in b.notifications(pending=False)] == [theirs]
        assert {n.stream_id for n in whole.notifications()} == {mine, theirs}
