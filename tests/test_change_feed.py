"""The change feed: every event after a position in the global order, on both backends."""

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner

from stageborging import Engine, FeedEntry, InvalidInput, Refused
from stageborging.cli import main
from stageborging.testing import FakeClock
from support import COACH, PLACEMENT_OFFICE, STUDENT, journey, mbo_details


def test_the_feed_holds_every_event_in_order_and_resumes(engine: Engine) -> None:
    a = journey(engine).open()
    b = journey(engine).open()
    engine.fire(a, "begin_search", actor=STUDENT)
    with pytest.raises(Refused):  # a coach may not withdraw a student: recorded, in the feed
        engine.fire(b, "withdraw", actor=COACH)
    page = engine.events_since(0, limit=2)
    assert all(isinstance(entry, FeedEntry) for entry in page)
    assert [(e.event.stream_id, e.event.seq) for e in page] == [(a, 1), (b, 1)]
    rest = engine.events_since(page[-1].position)
    assert [(e.event.stream_id, e.event.type.value) for e in rest] == [
        (a, "transitioned"), (b, "refused"),
    ]  # fmt: skip
    positions = [e.position for e in (*page, *rest)]
    assert positions == sorted(set(positions))
    assert engine.events_since(rest[-1].position) == ()
    assert rest[0].event == engine.history(a)[1]


@pytest.mark.parametrize(
    ("position", "limit", "field"),
    [(-1, 10, "position"), ("0", 10, "position"), (True, 10, "position"),
     (0, 0, "limit"), (0, 10_001, "limit"), (0, 2.5, "limit")],
)  # fmt: skip
def test_a_bad_position_or_limit_is_named(
    engine: Engine, position: object, limit: object, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        engine.events_since(position, limit)  # type: ignore[arg-type]
    assert error.value.field == field


def test_a_mirror_from_the_feed_equals_every_stream_under_concurrent_writers(
    backend: str, clock: FakeClock
) -> None:
    """Writers in threads drive internships on while a consumer mirrors their states from
    the feed, resuming from its last position each time: once the writers stop and the
    consumer catches up, the mirror equals ``stream(id)`` for every stream."""
    with Engine(backend, clock=clock) as engine:
        errors: list[BaseException] = []

        def write() -> None:
            try:
                for _ in range(6):
                    sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
                    engine.fire(sid.stream_id, "begin_search", actor=STUDENT)
                    engine.fire(sid.stream_id, "request_assistance", actor=STUDENT)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        mirror: dict[str, str] = {}
        seen: list[int] = []
        position = 0

        def catch_up() -> None:
            nonlocal position
            while page := engine.events_since(position, limit=7):
                for entry in page:
                    mirror[entry.event.stream_id] = entry.event.to_state
                    seen.append(entry.position)
                    position = entry.position

        writers = [threading.Thread(target=write) for _ in range(3)]
        for writer in writers:
            writer.start()
        while any(w.is_alive() for w in writers):
            catch_up()
        for writer in writers:
            writer.join()
        catch_up()
        assert errors == []
        assert len(seen) == len(set(seen)) == engine.statistics().events == 3 * 6 * 3
        assert seen == sorted(seen)
        assert mirror == {sid: engine.stream(sid).state for sid in mirror}
        assert set(mirror.values()) == {"assisted_search"}


def test_the_events_command_prints_the_feed_read_only(backend: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "--db", backend, "--students", "2"]).exit_code == 0
    first = runner.invoke(main, ["events", "--db", backend, "--limit", "3"])
    assert first.exit_code == 0, first.output
    records = [json.loads(line) for line in first.output.splitlines()]
    assert [r["seq"] for r in records][:1] == [1]
    assert {"position", "stream_id", "type", "name", "to_state", "data"} <= set(records[0])
    after = runner.invoke(main, ["events", "--db", backend, "--since",
                                 str(records[-1]["position"]), "--format", "table"])  # fmt: skip
    assert after.exit_code == 0, after.output
    assert str(records[-1]["position"]) not in after.output.splitlines()[1].split()[0]
    bad = runner.invoke(main, ["events", "--db", backend, "--limit", "0"])
    assert bad.exit_code == 2
    assert "--limit" in bad.output
