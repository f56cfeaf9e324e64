"""Stream queries: filters, a stable cursor, indexes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import Engine, InvalidInput, Stream
from stageborging.cli import main
from stageborging.store import StreamQuery
from stageborging.store._queries import INDEXED_KEYS, pg_fact, sqlite_fact, stream_query
from stageborging.store._rows import Columns
from stageborging.store._schema import SCHEMA_VERSION
from stageborging.testing import FakeClock
from support import PLACEMENT_OFFICE, STUDENT, mbo_details

#: What the stores select from a database of the current schema.
CURRENT = Columns.of(SCHEMA_VERSION)
PROGRAMMES = ("prog-ict", "prog-care")
STARTS = ("2027-02-01", "2027-09-01")


def build_cohort(engine: Engine, clock: FakeClock) -> list[str]:
    """Twelve internships over programmes, levels, tracks, starts and states, and the two
    employers' streams their proposed placements opened: every stream id, in order."""
    sids = []
    for n in range(12):
        details = mbo_details(
            student=f"stu-{n % 5}", programme=PROGRAMMES[n % 2], level=2 + n % 3,
            track=("BOL", "BBL")[n % 2 if n < 6 else 0], qualification=f"q-{n % 4}",
            planned_start=STARTS[n % 2], planned_end="2028-01-31",
        )  # fmt: skip
        sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=details,
                          stream_id=f"s-{n:02}").stream_id  # fmt: skip
        if n % 3:
            engine.fire(sid, "begin_search", actor=STUDENT)
        if n % 3 == 2:
            engine.fire(sid, "propose_placement", actor=STUDENT,
                        data={"employer": f"emp-{n % 2}"})  # fmt: skip
        clock.advance(hours=1)
        sids.append(sid)
    return sorted([*sids, "employer:emp-0", "employer:emp-1"])


@pytest.fixture
def cohort(engine: Engine, clock: FakeClock) -> tuple[Engine, list[str]]:
    return engine, build_cohort(engine, clock)


def everything(engine: Engine, **filters: Any) -> list[str]:
    """Every stream id matching *filters*, page by page (pages of 5)."""
    found, after = [], None
    while True:
        page = engine.streams(**filters, limit=5, after=after)
        found += [s.id for s in page.streams]
        if page.next is None:
            return found
        after = page.next


def matches(stream: Stream, **filters: Any) -> bool:
    """The oracle: what a filter means, in Python over the stream's facts."""
    details = stream.facts["details"]
    for key, value in filters.items():
        if key in ("planned_from", "planned_to") and "planned_start" not in details:
            return False  # an employer's stream plans nothing
        if key == "state":
            states = (value,) if isinstance(value, str) else tuple(value)
            if stream.state not in states:
                return False
        elif key == "lifecycle":
            if stream.lifecycle != value:
                return False
        elif key == "employer":
            if stream.facts.get("employer") != value:
                return False
        elif key == "planned_from":
            if not details["planned_start"] >= value:
                return False
        elif key == "planned_to":
            if not details["planned_start"] <= value:
                return False
        elif details.get(key) != value:
            return False
    return True


FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "lifecycle": st.sampled_from(["mbo_bpv", "hbo_stage"]),
        "state": st.one_of(
            st.sampled_from(["orientation", "searching", "placement_proposed"]),
            st.lists(
                st.sampled_from(["orientation", "searching", "placement_proposed"]),
                min_size=1,
                max_size=2,
            ),
        ),
        "programme": st.sampled_from(PROGRAMMES),
        "qualification": st.sampled_from(["q-0", "q-1", "q-9"]),
        "level": st.integers(1, 4),
        "track": st.sampled_from(["BOL", "BBL"]),
        "student": st.sampled_from(["stu-0", "stu-3", "stu-9"]),
        "employer": st.sampled_from(["emp-0", "emp-1"]),
        "planned_from": st.sampled_from(STARTS),
        "planned_to": st.sampled_from(STARTS),
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(filters=FILTERS)
def test_every_filter_finds_exactly_what_it_means(
    cohort: tuple[Engine, list[str]], filters: dict[str, Any]
) -> None:
    """Any combination of filters, paged: exactly the streams the oracle picks, in id
    order, each as ``stream(id)`` returns it."""
    engine, sids = cohort
    expected = [sid for sid in sids if matches(engine.stream(sid), **filters)]
    assert everything(engine, **filters) == expected
    page = engine.streams(**filters, limit=1000)
    assert list(page.streams) == [engine.stream(sid) for sid in expected]
    assert page.next is None


def test_paging_is_stable_while_streams_are_written(cohort: tuple[Engine, list[str]]) -> None:
    """New streams and moves between pages: no stream twice, none that matched skipped."""
    engine, sids = cohort
    first = engine.streams(limit=4)
    assert [s.id for s in first.streams] == sids[:4]
    assert first.next == sids[3]
    engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), stream_id="s-00a")
    engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), stream_id="s-99")
    rest: list[str] = []
    after = first.next
    while after is not None:
        page = engine.streams(limit=4, after=after)
        rest += [s.id for s in page.streams]
        after = page.next
    assert rest == [*sids[4:], "s-99"]  # s-00a sorts before the cursor: a later query's


def test_updated_since_finds_the_streams_changed_since(cohort: tuple[Engine, list[str]]) -> None:
    engine, sids = cohort
    since = datetime(2027, 1, 10, 9, 0, tzinfo=UTC) + timedelta(hours=9)
    internships = [sid for sid in sids if sid.startswith("s-")]  # the employers came earlier
    assert [s.id for s in engine.streams(updated_since=since).streams] == internships[9:]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"limit": "5"}, "limit"),
        ({"state": 5}, "state"), ({"state": ["a b"]}, "state"), ({"level": "4"}, "level"),
        ({"level": True}, "level"), ({"student": "Jan Jansen"}, "student"),
        ({"planned_from": "1 feb"}, "planned_from"),
        ({"planned_to": datetime.now(UTC)}, "planned_to"),
        ({"updated_since": datetime(2027, 1, 1)}, "updated_since"),
        ({"after": ["s-01"]}, "after"), ({"lifecycle": {"x": 1}}, "lifecycle"),
    ],
)  # fmt: skip
def test_a_bad_filter_is_named(engine: Engine, arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        engine.streams(**arguments)
    assert error.value.field == field


@pytest.mark.parametrize("key", INDEXED_KEYS)
def test_a_query_by_a_selective_key_uses_its_index(cohort: tuple[Engine, list[str]], backend: str,
                                                  key: str) -> None:  # fmt: skip
    """The migration's index expressions are the queries' own (else they go unused)."""
    query = StreamQuery(**{key: "x"})
    if backend.startswith("postgresql"):
        import psycopg

        statement, params = stream_query(query, None, 10, pg_fact, as_text=True, columns=CURRENT)
        with psycopg.connect(backend) as conn:
            conn.execute("SET enable_seqscan = off")
            plan = "\n".join(
                row[0] for row in conn.execute("EXPLAIN " + statement.replace("?", "%s"), params)
            )
    else:
        import sqlite3

        statement, params = stream_query(
            query, None, 10, sqlite_fact, as_text=False, columns=CURRENT
        )
        with sqlite3.connect(backend) as conn:
            plan = "\n".join(
                str(row) for row in conn.execute("EXPLAIN QUERY PLAN " + statement, params)
            )
    assert f"streams_by_{key}" in plan


def test_the_streams_command_lists_and_pages(backend: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "--db", backend, "--students", "4"]).exit_code == 0
    listed = runner.invoke(main, ["streams", "--db", backend, "--lifecycle", "mbo_bpv",
                                  "--format", "json", "--limit", "1"])  # fmt: skip
    assert listed.exit_code == 0, listed.output
    page = json.loads(listed.output)
    assert len(page["streams"]) == 1
    assert page["streams"][0]["lifecycle"] == "mbo_bpv"
    assert page["next"] == page["streams"][0]["id"]
    table = runner.invoke(main, ["streams", "--db", backend, "--state", "completed",
                                 "--state", "terminated"])  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "completed" in table.output or "terminated" in table.output
    bad = runner.invoke(main, ["streams", "--db", backend, "--planned-from", "1 feb"])
    assert bad.exit_code == 2
    assert "planned_from" in bad.output


def test_an_empty_or_unordered_state_filter_is_refused(engine: Engine) -> None:
    """An empty list would silently match every stream; a set or dict has no meaning here."""
    for value in ([], {"searching": 1}, {"searching"}):
        with pytest.raises(InvalidInput) as error:
            engine.streams(state=value)  # type: ignore[arg-type]
        assert error.value.field == "state"


def test_the_streams_command_filters_by_last_change(backend: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "--db", backend, "--students", "2"]).exit_code == 0
    future = runner.invoke(main, ["streams", "--db", backend, "--updated-since",
                                  "2999-01-01", "--format", "json"])  # fmt: skip
    assert future.exit_code == 0, future.output
    assert json.loads(future.output)["streams"] == []
    past = runner.invoke(main, ["streams", "--db", backend, "--updated-since",
                                "2000-01-01T00:00:00Z", "--format", "json"])  # fmt: skip
    assert len(json.loads(past.output)["streams"]) > 0
