"""The public boundary: bad input is a library error naming the field, and nothing is written.

Every entry point is fuzzed with hostile values (wrong kinds, huge numbers, lone
surrogates, sentences, megabytes); only :class:`StageborgingError` may escape, and the
database is the same afterwards. Plugins' answers are fuzzed the same way.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import (
    Actor,
    ConcurrencyConflict,
    Engine,
    Finding,
    GuidanceStep,
    InvalidInput,
    Notification,
    Refused,
    StageborgingError,
    WorkingDays,
    hookimpl,
)
from stageborging.core import EXCERPT, excerpt
from stageborging.privacy import MasterKey
from stageborging.testing import FakeClock
from support import PLACEMENT_OFFICE, STUDENT, SYSTEM, Recognises, mbo_details

#: Values of every wrong kind, and strings a careless host might pass.
HOSTILE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "\ud800",
            "x\udfff",
            "Jan Jansen 0612345678",
            "jan@example.nl",
            "",
            " ",
            "\x00",
            "a\x1b[31m",
            "x" * 300,
            "20270201",
            "2027-W05-1",
            "2027W091",
            "begin_search",
            "mbo_bpv",
        ]
    ),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**80),
    st.floats(),
    st.booleans(),
    st.none(),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.lists(st.text(max_size=3), max_size=2).map(tuple),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.dates(),
    st.datetimes(),
    st.datetimes(
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]
        )
    ),
    st.builds(object),
)

FUZZ = settings(
    max_examples=int(__import__("os").environ.get("FUZZ_N", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def dump(path: Path | str) -> list[str]:
    """Every table of the database as text (a fresh connection: what is committed)."""
    if str(path).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(path)) as conn:
            return [
                repr(row)
                for table in (
                    "stageborging_schema",
                    "streams",
                    "events",
                    "outbox",
                    "definitions",
                    "deadlines",
                    "subject_keys",
                    "stream_subjects",
                    "access_log",
                )
                for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1")  # type: ignore[call-overload]
            ]
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def refuses_cleanly(path: Path | str, call: Callable[[], object]) -> None:
    """*call* may succeed; if it fails, with a library error only, and nothing written.

    A refusal is the exception: it is recorded before it is raised, by design.
    """
    before = dump(path)
    try:
        call()
    except Refused:
        return
    except StageborgingError:
        assert dump(path) == before
    except Exception as exc:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"a raw {type(exc).__name__} escaped: {exc!r}"[:300])


@pytest.fixture
def fuzzed(backend: str) -> Iterator[tuple[Engine, str, str]]:
    """An engine, its database (each backend) and a stream in ``searching``."""
    path = backend
    key = MasterKey.generate()
    with Engine(path, plugins=[Recognises()], clock=FakeClock(), master_key=key) as engine:
        sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        engine.fire(sid, "begin_search", actor=STUDENT)
        yield engine, path, sid


# -- what was seen ---------------------------------------------------------------------


@pytest.mark.parametrize("stream_id", ["\ud800", 2**70, ["a"], None, b"a", 1.5])
@pytest.mark.parametrize(
    "entry",
    ["fire", "record", "check", "check_record", "stream", "history", "replay", "recipients"],
)
def test_a_malformed_stream_id_is_invalid_input(
    fuzzed: tuple[Engine, str, str], entry: str, stream_id: Any
) -> None:
    """Every entry point that takes a stream id names ``stream_id``, writes nothing."""
    engine, path, _ = fuzzed
    calls: dict[str, Callable[[], object]] = {
        "fire": lambda: engine.fire(stream_id, "propose_placement", actor=STUDENT),
        "record": lambda: engine.record(stream_id, "hours", actor=STUDENT),
        "check": lambda: engine.check(stream_id, "propose_placement", actor=STUDENT),
        "check_record": lambda: engine.check_record(stream_id, "hours", actor=STUDENT),
        "stream": lambda: engine.stream(stream_id),
        "history": lambda: engine.history(stream_id),
        "replay": lambda: engine.replay(stream_id),
        "recipients": lambda: engine.recipients("coach", stream_id),
    }
    before = dump(path)
    with pytest.raises(InvalidInput) as info:
        calls[entry]()
    assert info.value.field == "stream_id"
    assert dump(path) == before


def test_notifications_of_a_malformed_stream_id_are_invalid_input(
    fuzzed: tuple[Engine, str, str],
) -> None:
    """``notifications(["a"])`` names the field instead of failing in the database."""
    engine, _, sid = fuzzed
    with pytest.raises(InvalidInput) as info:
        engine.notifications(["a"])  # type: ignore[arg-type]
    assert info.value.field == "stream_id"
    with pytest.raises(InvalidInput) as info:
        engine.notifications(sid, pending="yes")  # type: ignore[arg-type]
    assert info.value.field == "pending"


@pytest.mark.parametrize("name", [["x"], {"x": 1}, None, 3])
def test_a_trigger_fact_or_lifecycle_of_the_wrong_kind_is_invalid_input(
    fuzzed: tuple[Engine, str, str], name: Any
) -> None:
    """A list as a trigger, fact or lifecycle is unknown, not an unhashable TypeError."""
    engine, _, sid = fuzzed
    with pytest.raises(InvalidInput) as info:
        engine.fire(sid, name, actor=STUDENT)
    assert info.value.field == "trigger"
    with pytest.raises(InvalidInput) as info:
        engine.record(sid, name, actor=STUDENT)
    assert info.value.field == "fact"
    with pytest.raises(InvalidInput) as info:
        engine.open(name, actor=PLACEMENT_OFFICE, data=mbo_details())
    assert info.value.field == "lifecycle"
    with pytest.raises(InvalidInput) as info:
        engine.lifecycle(name)
    assert info.value.field == "lifecycle"


@pytest.mark.parametrize("version", [True, False, 1.0, "1", [1], -1, 2**70])
def test_an_expected_version_must_be_an_integer(
    fuzzed: tuple[Engine, str, str], version: Any
) -> None:
    """True, 1.0, "1" or a negative version is invalid input: neither accepted nor a
    conflict."""
    engine, path, sid = fuzzed
    before = dump(path)
    with pytest.raises(InvalidInput) as info:
        engine.fire(
            sid,
            "propose_placement",
            actor=STUDENT,
            data={"employer": "emp-1"},
            expected_version=version,
        )
    assert info.value.field == "expected_version"
    assert dump(path) == before
    with pytest.raises(ConcurrencyConflict):
        engine.fire(sid, "propose_placement", actor=STUDENT, expected_version=1)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"timezone": "Europe/Amsterdam"}, "timezone"),
        ({"db": 123}, "db"),
        ({"db": None}, "db"),
        ({"clock": 3}, "clock"),
        ({"config": [1]}, "config"),
    ],
)
def test_the_engine_checks_its_arguments_when_built(
    tmp_path: Path, arguments: dict[str, Any], field: str
) -> None:
    """A wrong kind of argument fails at ``Engine(...)``, not at the first command."""
    arguments = {"db": tmp_path / "x.db", **arguments}
    with pytest.raises(InvalidInput) as info:
        Engine(**arguments)
    assert info.value.field == field


def test_a_clock_that_returns_no_datetime_is_a_library_error(tmp_path: Path) -> None:
    """A clock returning a string fails the command with a StageborgingError, nothing written."""
    with Engine(tmp_path / "x.db", clock=lambda: "2027-02-01") as engine:  # type: ignore[arg-type,return-value]
        with pytest.raises(StageborgingError, match="clock returned str"):
            engine.open("case", actor=PLACEMENT_OFFICE, data={"phase": "search"})
        assert engine.statistics().events == 0


@pytest.mark.parametrize(
    "edge",
    [
        datetime(9999, 12, 31, 23, 30, tzinfo=UTC),
        datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_a_clock_at_the_edge_of_the_calendar_is_a_library_error(
    tmp_path: Path, edge: datetime
) -> None:
    with Engine(tmp_path / "x.db", clock=lambda: edge) as engine:
        with pytest.raises(StageborgingError, match="edge of the calendar"):
            engine.open("case", actor=PLACEMENT_OFFICE, data={"phase": "search"})
        assert engine.statistics().events == 0


@pytest.mark.parametrize("day", ["20270201", "2027-W05-1", "2027W091", "2027-2-1", "٢٠٢٧-٠٢-٠١"])
def test_a_date_is_written_yyyy_mm_dd_only(fuzzed: tuple[Engine, str, str], day: str) -> None:
    """Other ISO 8601 forms Python would parse are refused, as the docs say."""
    engine, _, _ = fuzzed
    with pytest.raises(InvalidInput) as info:
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(planned_start=day))
    assert info.value.field == "data.planned_start"
    assert "YYYY-MM-DD" in str(info.value)


def test_a_date_is_a_day_not_an_instant(fuzzed: tuple[Engine, str, str]) -> None:
    """A ``date`` is taken, a ``datetime`` is not: a date field holds a calendar day."""
    engine, _, _ = fuzzed
    opened = engine.open(
        "mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(planned_start=date(2027, 2, 1))
    )
    assert opened.data["planned_start"] == "2027-02-01"
    with pytest.raises(InvalidInput):
        engine.open(
            "mbo_bpv",
            actor=PLACEMENT_OFFICE,
            data=mbo_details(planned_start=datetime(2027, 2, 1, 9)),
        )


# -- error messages and the operational log -------------------------------------------

MEGABYTE = "Jan Jansen 0612345678 " * (2**20 // 22)


def test_an_error_message_quotes_a_bounded_excerpt() -> None:
    """At most 80 characters of the value, control characters escaped; other kinds by kind."""
    message = str(InvalidInput("data.reason", "a\x1b[31m\n" + MEGABYTE, "unknown code"))
    assert "\x1b" not in message
    assert "\n" not in message
    quoted = message.removeprefix("data.reason=").removesuffix(": unknown code")
    assert len(quoted) <= EXCERPT
    assert quoted.endswith("…")
    assert excerpt(["Jan Jansen"]) == "<list>"
    assert excerpt(2**70) == "<int of 71 bits>"
    assert excerpt("\ud800") == "'\\ud800'"


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda e, sid, v: e.fire(sid, v, actor=STUDENT), id="trigger"),
        pytest.param(lambda e, sid, v: e.record(sid, v, actor=STUDENT), id="fact"),
        pytest.param(lambda e, sid, v: e.fire(v, "begin_search", actor=STUDENT), id="stream"),
        pytest.param(
            lambda e, sid, v: e.fire(sid, "propose_placement", actor=STUDENT, data={v: "x"}),
            id="data-key",
        ),
        pytest.param(
            lambda e, sid, v: e.fire(sid, "propose_placement", actor=STUDENT, data={"employer": v}),
            id="data-value",
        ),
        pytest.param(
            lambda e, sid, v: e.open(
                "mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(), stream_id=v
            ),
            id="open-stream-id",
        ),
        pytest.param(
            lambda e, sid, v: e.open(v, actor=PLACEMENT_OFFICE, data=mbo_details()),
            id="lifecycle",
        ),
    ],
)
@pytest.mark.parametrize("value", ["Jan Jansen 0612345678", MEGABYTE], ids=["name", "megabyte"])
def test_the_log_names_the_field_never_the_value(
    fuzzed: tuple[Engine, str, str],
    caplog: pytest.LogCaptureFixture,
    call: Callable[[Engine, str, str], object],
    value: str,
) -> None:
    """A rejected trigger, fact, stream id or field logs its name and outcome, not the value."""
    engine, _, sid = fuzzed
    caplog.set_level(logging.INFO, logger="stageborging")
    with pytest.raises(InvalidInput) as info:
        call(engine, sid, value)
    assert len(str(info.value)) < 400  # bounded, however long the value
    (record,) = [r for r in caplog.records if getattr(r, "outcome", None) == "invalid"]
    text = repr(vars(record)) + record.getMessage()
    assert "Jansen" not in text
    assert len(text) < 2000
    assert record.field == info.value.field  # type: ignore[attr-defined]
    assert record.command in {"-", "open", "propose_placement", "begin_search"}  # type: ignore[attr-defined]


def test_a_known_command_is_still_logged_by_name(
    fuzzed: tuple[Engine, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A trigger that exists but is not allowed here is logged: it is a code."""
    engine, _, sid = fuzzed
    caplog.set_level(logging.INFO, logger="stageborging")
    with pytest.raises(InvalidInput):
        engine.fire(sid, "start", actor=STUDENT)
    (record,) = [r for r in caplog.records if getattr(r, "outcome", None) == "invalid"]
    assert (record.stream, record.command, record.field) == (sid, "start", "trigger")  # type: ignore[attr-defined]


# -- the fuzz --------------------------------------------------------------------------


@FUZZ
@given(
    argument=st.sampled_from(
        [
            "db",
            "plugins",
            "lifecycles",
            "defaults",
            "block",
            "config",
            "registry",
            "clock",
            "timezone",
            "institution",
            "require_institution",
        ]
    ),
    value=HOSTILE,
)
def test_the_engine_constructor_raises_only_library_errors(
    fuzzed: tuple[Engine, str, str], argument: str, value: Any
) -> None:
    """``Engine(...)`` with any one argument of a hostile kind: a library error or an engine."""
    _, path, _ = fuzzed
    if argument == "db" and isinstance(value, str):
        value = 123  # a string is a path: it would create a file where the test runs
    arguments: dict[str, Any] = {"db": path, "clock": FakeClock(), argument: value}

    def build() -> None:
        Engine(**arguments).close()

    refuses_cleanly(path, build)


COMMANDS = ["fire", "record", "check", "check_record"]


@FUZZ
@given(
    entry=st.sampled_from(COMMANDS),
    position=st.sampled_from(
        [
            "stream_id",
            "name",
            "actor",
            "data",
            "data.employer",
            "data.application",
            "expected_version",
            "command_id",
        ]
    ),
    value=HOSTILE,
)
def test_commands_raise_only_library_errors_and_write_nothing(
    fuzzed: tuple[Engine, str, str], entry: str, position: str, value: Any
) -> None:
    """fire, record and their dry runs, one hostile argument at a time."""
    engine, path, sid = fuzzed
    name = "propose_placement" if entry in ("fire", "check") else "application_sent"
    data: Any = {"employer": "emp-1"}
    if name == "application_sent":
        data["application"] = "app-1"
    arguments: dict[str, Any] = {"actor": STUDENT}
    target: Any = sid
    if position == "stream_id":
        target = value
    elif position == "name":
        name = value
    elif position == "data":
        data = value
    elif position.startswith("data."):
        data = {**data, position.removeprefix("data."): value}
    elif position == "actor":
        arguments["actor"] = value
    if position in ("expected_version", "command_id") and entry in ("fire", "record"):
        arguments[position] = value
    method = getattr(engine, entry)
    refuses_cleanly(path, lambda: method(target, name, data=data, **arguments))


@FUZZ
@given(
    position=st.sampled_from(
        ["lifecycle", "actor", "data", "field", "stream_id", "command_id", "institution"]
    ),
    field=st.sampled_from(list(mbo_details())),
    value=HOSTILE,
)
def test_open_raises_only_library_errors_and_writes_nothing(
    fuzzed: tuple[Engine, str, str], position: str, field: str, value: Any
) -> None:
    """open, one hostile argument (or opening field) at a time."""
    engine, path, _ = fuzzed
    arguments: dict[str, Any] = {"actor": PLACEMENT_OFFICE, "data": mbo_details()}
    lifecycle: Any = "mbo_bpv"
    if position == "lifecycle":
        lifecycle = value
    elif position == "field":
        arguments["data"] = mbo_details(**{field: value})
    else:
        arguments[position] = value
    refuses_cleanly(path, lambda: engine.open(lifecycle, **arguments))


@FUZZ
@given(
    entry=st.sampled_from(
        [
            "stream",
            "history",
            "replay",
            "notifications",
            "pending",
            "recipients",
            "role",
            "events_since",
            "events_limit",
            "events_institution",
            "streams_institution",
            "statistics_institution",
        ]
    ),
    value=HOSTILE,
)
def test_reads_raise_only_library_errors(
    fuzzed: tuple[Engine, str, str], entry: str, value: Any
) -> None:
    """stream, history, replay, notifications and recipients with a hostile argument."""
    engine, path, sid = fuzzed
    calls: dict[str, Callable[[], object]] = {
        "stream": lambda: engine.stream(value),
        "history": lambda: engine.history(value),
        "replay": lambda: engine.replay(value),
        "notifications": lambda: engine.notifications(value),
        "pending": lambda: engine.notifications(sid, pending=value),
        "recipients": lambda: engine.recipients("coach", value),
        "role": lambda: engine.recipients(value, sid),
        "events_since": lambda: engine.events_since(value),
        "events_limit": lambda: engine.events_since(0, value),
        "events_institution": lambda: engine.events_since(0, institution=value),
        "streams_institution": lambda: engine.streams(institution=value),
        "statistics_institution": lambda: engine.statistics(institution=value),
    }
    refuses_cleanly(path, calls[entry])


class Quiet:
    """A plugin with one harmless hook, to register under a fuzzed name."""

    @hookimpl
    def stageborging_recipients(self) -> None:
        return None


@FUZZ
@given(as_name=st.booleans(), value=HOSTILE)
def test_register_plugin_raises_only_library_errors(
    fuzzed: tuple[Engine, str, str], as_name: bool, value: Any
) -> None:
    """A hostile plugin, or a good plugin under a hostile name."""
    engine, path, _ = fuzzed

    def register() -> None:
        name = (
            engine.register_plugin(Quiet(), name=value)
            if as_name
            else engine.register_plugin(value)
        )
        engine.unregister_plugin(name)

    refuses_cleanly(path, register)


class Answers:
    """A plugin whose every hook answers what the test sets (a callable: made in the hook)."""

    name = "fuzzed-answers"

    def __init__(self) -> None:
        self.answer: Callable[[], Any] = lambda: None

    @hookimpl
    def stageborging_check_transition(self) -> Any:
        return self.answer()

    @hookimpl
    def stageborging_check_record(self) -> Any:
        return self.answer()

    @hookimpl
    def stageborging_verify_recognition(self) -> Any:
        return self.answer()

    @hookimpl
    def stageborging_recipients(self) -> Any:
        return self.answer()

    @hookimpl
    def stageborging_after_transition(self) -> Any:
        return self.answer()

    @hookimpl
    def stageborging_after_record(self) -> Any:
        return self.answer()


def _finding(code: Any, severity: Any, message: Any, message_nl: Any, params: Any) -> Any:
    return lambda: [Finding(code, severity, message, message_nl, params=params)]


ANSWERS = st.one_of(
    HOSTILE.map(lambda value: lambda: value),
    st.lists(HOSTILE, max_size=3).map(lambda value: lambda: value),
    st.builds(
        _finding,
        code=st.one_of(st.just("roc.x"), HOSTILE),
        severity=st.one_of(st.sampled_from(["block", "warn", "info"]), HOSTILE),
        message=st.one_of(st.just("Text."), HOSTILE),
        message_nl=st.one_of(st.just("Tekst."), HOSTILE),
        params=st.one_of(
            st.just({}),
            HOSTILE,
            st.dictionaries(HOSTILE.filter(lambda k: isinstance(k, str)), HOSTILE, max_size=2),
        ),
    ),
    st.builds(
        lambda channel, role, template: lambda: [Notification(channel, role, template)],
        st.one_of(st.just("email"), HOSTILE),
        st.one_of(st.just("coach"), HOSTILE),
        st.one_of(st.just("x.y"), HOSTILE),
    ),
)


@FUZZ
@given(answer=ANSWERS, entry=st.sampled_from(["check", "fire", "check_record", "record"]))
def test_whatever_plugins_answer_only_library_errors_escape(
    tmp_path_factory: pytest.TempPathFactory, answer: Callable[[], Any], entry: str
) -> None:
    """Findings, verdicts, recipients and notifications of any shape: refused or recorded."""
    plugin = Answers()
    path = tmp_path_factory.mktemp("answers") / "answers.db"
    with Engine(path, plugins=[plugin], clock=FakeClock()) as engine:
        sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
        plugin.answer = answer
        office = Actor("po-1", "placement_office")
        calls: dict[str, Callable[[], object]] = {
            "check": lambda: engine.check(sid, "verify_employer", actor=office),
            "fire": lambda: engine.fire(sid, "verify_employer", actor=office),
            "check_record": lambda: engine.check_record(
                sid, "guidance_contact", actor=office, data={"moment": "begin"}
            ),
            "record": lambda: engine.record(
                sid, "guidance_contact", actor=office, data={"moment": "begin"}
            ),
        }
        refuses_cleanly(path, calls[entry])
        refuses_cleanly(path, lambda: engine.recipients("coach", sid))
        assert engine.verify().ok


@FUZZ
@given(
    entry=st.sampled_from(["migrate", "check_migrate", "migrate_all", "versions", "add_version"]),
    position=st.sampled_from(
        [
            "target",
            "actor",
            "reason",
            "to",
            "mapping",
            "mapping.key",
            "mapping.value",
            "only_from",
            "dry_run",
            "expected_version",
        ]
    ),
    value=HOSTILE,
)
def test_migrations_raise_only_library_errors_and_write_nothing(
    fuzzed: tuple[Engine, str, str], entry: str, position: str, value: Any
) -> None:
    """migrate, its dry run, the bulk migration, the version list and add_version, one
    hostile argument at a time."""
    engine, path, sid = fuzzed
    target: Any = "mbo_bpv" if entry in ("migrate_all", "versions") else sid
    arguments: dict[str, Any] = {"actor": SYSTEM, "reason": "fuzz", "mapping": {}}
    if position == "target":
        target = value
    elif position == "mapping.key":
        try:
            arguments["mapping"] = {value: "searching"}
        except TypeError:  # a list is no key of a dict
            arguments["mapping"] = {str(value): "searching"}
    elif position == "mapping.value":
        arguments["mapping"] = {"searching": value}
    else:
        arguments[position] = value
    allowed = {
        "migrate": {"actor", "reason", "to", "mapping", "expected_version"},
        "check_migrate": {"actor", "to", "mapping"},
        "migrate_all": {"actor", "reason", "to", "mapping", "only_from", "dry_run"},
        "versions": set(),
        "add_version": set(),
    }[entry]
    arguments = {k: v for k, v in arguments.items() if k in allowed}
    method = getattr(engine, entry)
    refuses_cleanly(path, lambda: method(target, **arguments))


@FUZZ
@given(
    entry=st.sampled_from(["open", "fire", "record"]),
    position=st.sampled_from(["target", "name", "actor", "data", "expected_version"]),
    value=HOSTILE,
)
def test_batches_raise_only_library_errors_and_write_nothing_of_a_bad_command(
    fuzzed: tuple[Engine, str, str], entry: str, position: str, value: Any
) -> None:
    """A batch with one hostile command between two good ones: queuing it raises a library
    error (and queues nothing) or it runs and fails on its own; the good ones apply."""
    engine, _, sid = fuzzed
    before = engine.statistics().events
    batch = engine.batch()
    batch.record(sid, "guidance_contact", actor=Actor("coach-1", "coach"),
                 data={"moment": "begin"})  # fmt: skip
    names = {"open": "mbo_bpv", "fire": "propose_placement", "record": "application_sent"}
    arguments: dict[str, Any] = {"actor": PLACEMENT_OFFICE if entry == "open" else STUDENT}
    arguments["data"] = {
        "open": mbo_details(),
        "fire": {"employer": "emp-1"},
        "record": {"employer": "emp-1", "application": "app-1"},
    }[entry]
    target: Any = names[entry] if entry == "open" else sid
    name: Any = names[entry]
    if position == "target":
        target = value
    elif position == "name" and entry != "open":
        name = value
    elif position in ("actor", "data") or (position == "expected_version" and entry != "open"):
        arguments[position] = value
    queue = getattr(batch, entry)
    try:
        if entry == "open":
            queue(target, **arguments)
        else:
            queue(target, name, **arguments)
    except StageborgingError:
        pass
    except Exception as exc:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"a raw {type(exc).__name__} escaped: {exc!r}"[:300])
    batch.record(sid, "guidance_contact", actor=Actor("coach-1", "coach"),
                 data={"moment": "middle"})  # fmt: skip
    results = batch.run()
    assert results[0].ok
    assert results[-1].ok
    # a placement proposed for the first time at emp-1 opens that employer's stream too
    opened = sum(r.event is not None and r.event.name == "propose_placement" for r in results)
    written = sum(r.event is not None for r in results)
    assert engine.statistics().events == before + written + opened
    assert engine.verify().ok


NOW = datetime(2027, 3, 1, 9, 0, tzinfo=__import__("datetime").UTC)


@FUZZ
@given(
    entry=st.sampled_from(
        ["lease_outbox", "settle_outbox", "deadlines", "claim_due", "schedule", "close_deadlines"]
    ),
    position=st.integers(0, 5),
    value=HOSTILE,
)
def test_work_queues_raise_only_library_errors_and_write_nothing(
    fuzzed: tuple[Engine, str, str], entry: str, position: int, value: Any
) -> None:
    """The claiming primitives of the store contract, one hostile argument at a time."""
    from datetime import timedelta

    from stageborging.store import DeadlineRow

    engine, path, _ = fuzzed
    store = engine.store
    row = DeadlineRow("d-1", "s-1", "search_check_in", "2027-03-01T09:00:00.000000Z",
                      "2027-03-01T09:00:00.000000Z")  # fmt: skip
    good: dict[str, list[Any]] = {
        "lease_outbox": ["w-1", NOW, timedelta(minutes=5), 10, "email"],
        "settle_outbox": ["s-1:2:p:0", "w-1", NOW, False, NOW, "smtp.timeout"],
        "deadlines": ["s-1", True],
        "claim_due": [NOW, 10],
        "schedule": [[row]],
        "close_deadlines": [["d-1"], "done", NOW],
    }
    arguments = good[entry]
    arguments[position % len(arguments)] = value
    calls: dict[str, Callable[[], object]] = {
        "lease_outbox": lambda: store.lease_outbox(*arguments),
        "settle_outbox": lambda: store.settle_outbox(
            *arguments[:3], delivered=arguments[3], retry_at=arguments[4], error=arguments[5]
        ),
        "deadlines": lambda: store.deadlines(*arguments),
        "claim_due": lambda: store.run(lambda tx: tx.claim_due(*arguments)),
        "schedule": lambda: store.run(lambda tx: tx.schedule(*arguments)),
        "close_deadlines": lambda: store.run(lambda tx: tx.close_deadlines(*arguments)),
    }
    if entry in ("lease_outbox", "schedule", "settle_outbox"):
        try:  # these may write when every argument is good: compare only a refusal
            before = dump(path)
            calls[entry]()
        except StageborgingError:
            assert dump(path) == before
        except Exception as exc:  # pragma: no cover - the failure this test exists for
            pytest.fail(f"a raw {type(exc).__name__} escaped: {exc!r}"[:300])
        return
    refuses_cleanly(path, calls[entry])


@FUZZ
@given(
    argument=st.sampled_from(
        ["lifecycle", "state", "programme", "qualification", "level", "track", "student",
         "employer", "planned_from", "planned_to", "updated_since", "limit", "after"]
    ),
    value=HOSTILE,
)  # fmt: skip
def test_stream_queries_raise_only_library_errors(
    fuzzed: tuple[Engine, str, str], argument: str, value: Any
) -> None:
    """``Engine.streams`` with one hostile filter: a page or a library error."""
    engine, path, _ = fuzzed
    refuses_cleanly(path, lambda: engine.streams(**{argument: value}))


@FUZZ
@given(
    position=st.sampled_from(["lifecycle", "state", "actor", "data", "evidence",
                              "evidence.employer", "evidence.signatures", "evidence.hours",
                              "stream_id", "command_id", "institution"]),
    value=HOSTILE,
)  # fmt: skip
def test_import_raises_only_library_errors_and_writes_nothing(
    fuzzed: tuple[Engine, str, str], position: str, value: Any
) -> None:
    """import_stream, one hostile argument (or piece of evidence) at a time."""
    engine, path, _ = fuzzed
    evidence: dict[str, Any] = {"source": "eduarte", "employer": "lb-1"}
    arguments: dict[str, Any] = {"state": "placement_proposed", "actor": PLACEMENT_OFFICE,
                                 "data": mbo_details(), "evidence": evidence}  # fmt: skip
    lifecycle: Any = "mbo_bpv"
    if position == "lifecycle":
        lifecycle = value
    elif position.startswith("evidence."):
        evidence[position.removeprefix("evidence.")] = value
    else:
        arguments[position] = value
    refuses_cleanly(path, lambda: engine.import_stream(lifecycle, **arguments))


@FUZZ
@given(
    position=st.sampled_from(["stream_id", "seq", "actor", "reason", "expected_version",
                              "command_id"]),
    value=HOSTILE,
)  # fmt: skip
def test_correct_raises_only_library_errors_and_writes_nothing(
    fuzzed: tuple[Engine, str, str], position: str, value: Any
) -> None:
    """correct, one hostile argument at a time."""
    engine, path, sid = fuzzed
    arguments: dict[str, Any] = {"stream_id": sid, "seq": 2, "actor": PLACEMENT_OFFICE,
                                 "reason": "mistyped", position: value}  # fmt: skip
    refuses_cleanly(
        path, lambda: engine.correct(arguments.pop("stream_id"), arguments.pop("seq"), **arguments)
    )


@FUZZ
@given(
    entry=st.sampled_from(
        [
            "tick",
            "due_now",
            "due_role",
            "due_person",
            "due_within",
            "due_limit",
            "due_institution",
            "gaps_programme",
            "gaps_step",
            "gaps_after",
            "gaps_institution",
            "dismiss_stream",
            "dismiss_step",
            "dismiss_actor",
            "dismiss_reason",
        ]
    ),
    value=HOSTILE,
)
def test_guidance_entries_raise_only_library_errors_and_write_nothing(
    fuzzed: tuple[Engine, str, str], entry: str, value: Any
) -> None:
    """tick, due, guidance_gaps and dismiss with a hostile argument."""
    engine, path, sid = fuzzed
    office = PLACEMENT_OFFICE
    calls: dict[str, Callable[[], object]] = {
        "tick": lambda: engine.tick(value),
        "due_now": lambda: engine.due(value),
        "due_role": lambda: engine.due(role=value),
        "due_person": lambda: engine.due(person=value),
        "due_within": lambda: engine.due(within=value),
        "due_limit": lambda: engine.due(limit=value),
        "due_institution": lambda: engine.due(institution=value),
        "gaps_programme": lambda: list(engine.guidance_gaps(programme=value)),
        "gaps_step": lambda: list(engine.guidance_gaps(step=value)),
        "gaps_after": lambda: list(engine.guidance_gaps(after=value)),
        "gaps_institution": lambda: list(engine.guidance_gaps(institution=value)),
        "dismiss_stream": lambda: engine.dismiss(value, "x", actor=office, reason="other"),
        "dismiss_step": lambda: engine.dismiss(sid, value, actor=office, reason="other"),
        "dismiss_actor": lambda: engine.dismiss(sid, "x", actor=value, reason="other"),
        "dismiss_reason": lambda: engine.dismiss(sid, "x", actor=office, reason=value),
    }
    refuses_cleanly(path, calls[entry])


STEP_FIELDS = ("name", "anchor", "role", "offset", "unit", "percent", "every", "states",
               "done_by", "count", "action", "escalate_to", "trigger", "channel",
               "lifecycles", "description", "description_nl")  # fmt: skip


@FUZZ
@given(field=st.sampled_from(STEP_FIELDS), value=HOSTILE)
def test_a_guidance_step_raises_only_library_errors(field: str, value: Any) -> None:
    """A step made with one hostile field is made, or refused naming that field."""
    values = {"name": "x", "anchor": "entered:searching", "role": "coach", field: value}
    related = {"anchor": {"states", "percent"}, "action": {"trigger"}}
    named = None
    try:
        GuidanceStep(**values)
    except InvalidInput as exc:
        named = exc.field
    assert named in {None, field} | related.get(field, set())


@FUZZ
@given(field=st.sampled_from(["country", "categories", "closures", "open_days"]), value=HOSTILE)
def test_a_calendar_raises_only_library_errors(field: str, value: Any) -> None:
    named = None
    try:
        WorkingDays(**{field: value})
    except InvalidInput as exc:
        named = exc.field
    assert named in (None, field)


@FUZZ
@given(
    entry=st.sampled_from(
        ["reveal", "erase", "erasure_due", "subject_export", "pseudonym", "rotate", "report"]
    ),
    position=st.integers(0, 2),
    value=HOSTILE,
)
def test_privacy_entry_points_raise_only_library_errors_and_write_nothing(
    fuzzed: tuple[Engine, str, str], entry: str, position: int, value: Any
) -> None:
    """Reading sealed fields, erasure, retention, access requests, pseudonyms, rotation and
    free text itself, one hostile argument at a time."""
    engine, path, sid = fuzzed
    officer = Actor("dpo-1", "privacy_officer")
    good: dict[str, list[Any]] = {
        "reveal": [sid, Actor("coach-1", "coach"), 1],
        "erase": ["stu-9", officer, "no_longer_needed"],
        "erasure_due": [{"internship": 30}],
        "subject_export": ["stu-1", officer],
        "pseudonym": ["reporter", "stu-1"],
        "rotate": [MasterKey.generate()],
        "report": ["what happened"],
    }
    arguments = good[entry]
    arguments[position % len(arguments)] = value
    calls: dict[str, Callable[[], object]] = {
        "reveal": lambda: engine.reveal(arguments[0], actor=arguments[1], seq=arguments[2]),
        "erase": lambda: engine.erase(arguments[0], actor=arguments[1], basis=arguments[2]),
        "erasure_due": lambda: engine.erasure_due(arguments[0]),
        "subject_export": lambda: engine.subject_export(arguments[0], actor=arguments[1]),
        "pseudonym": lambda: engine.pseudonym(*arguments),
        "rotate": lambda: engine.rotate_master_key(arguments[0]),
        "report": lambda: engine.open("case", actor=STUDENT,
                                      data={"phase": "search", "description": arguments[0]}),
    }  # fmt: skip
    refuses_cleanly(path, calls[entry])


@FUZZ
@given(
    entry=st.sampled_from(
        ["report", "employer", "raise_flag", "lift_flag", "recommend_flag", "dismiss_alert",
         "revoke", "suspend", "reinstate", "close", "suspend_for_case", "refresh_alerts",
         "open_alerts", "run_cascades"]
    ),
    position=st.integers(0, 7),
    value=HOSTILE,
)  # fmt: skip
def test_safeguarding_entry_points_raise_only_library_errors_and_write_nothing(
    fuzzed: tuple[Engine, str, str], entry: str, position: int, value: Any
) -> None:
    """Reports, employers' flags and recognitions, cascades and alerts, one hostile
    argument at a time: a library error (or a recorded refusal), and nothing written."""
    engine, path, sid = fuzzed
    office = Actor("po-1", "placement_office")
    good: dict[str, list[Any]] = {
        "report": [STUDENT, "search", sid, "emp-1", None, "student", "origin", "what happened"],
        "employer": ["emp-1"],
        "raise_flag": [
            "emp-1",
            "watch",
            office,
            "discrimination",
            "school_observation",
            "2027-06-01",
            "2028-01-01",
            None,
        ],
        "lift_flag": ["emp-1", "watch", office, "review_passed"],
        "recommend_flag": ["no-case", "watch", Actor("vp-1", "confidential_advisor")],
        "dismiss_alert": ["emp-1", 2, office, "explained"],
        "revoke": ["emp-1", "25604", "2027-01-10", office, "sbb"],
        "suspend": ["emp-1", "25604", "2027-01-10", office, "sbb"],
        "reinstate": ["emp-1", "25604", "2027-01-10", office, "sbb"],
        "close": ["emp-1", "2027-01-10", office, "closed"],
        "suspend_for_case": ["no-case", Actor("vp-1", "confidential_advisor")],
        "refresh_alerts": [None, None],
        "open_alerts": [None],
        "run_cascades": [None],
    }
    a = good[entry]
    a[position % len(a)] = value
    calls: dict[str, Callable[[], object]] = {
        "report": lambda: engine.report(actor=a[0], phase=a[1], internship=a[2], employer=a[3],
                                        student=a[4], reporter=a[5], ground=a[6],
                                        description=a[7]),
        "employer": lambda: engine.employer(a[0]),
        "raise_flag": lambda: engine.raise_flag(a[0], a[1], actor=a[2], reason=a[3], basis=a[4],
                                                review_on=a[5], expires_on=a[6],
                                                recommendation=a[7]),
        "lift_flag": lambda: engine.lift_flag(a[0], a[1], actor=a[2], reason=a[3]),
        "recommend_flag": lambda: engine.recommend_flag(a[0], a[1], actor=a[2]),
        "dismiss_alert": lambda: engine.dismiss_alert(a[0], a[1], actor=a[2], reason=a[3]),
        "revoke": lambda: engine.revoke_recognition(a[0], a[1], a[2], actor=a[3], source=a[4]),
        "suspend": lambda: engine.suspend_recognition(a[0], a[1], a[2], actor=a[3], source=a[4]),
        "reinstate": lambda: engine.reinstate_recognition(a[0], a[1], a[2], actor=a[3],
                                                          source=a[4]),
        "close": lambda: engine.close_employer(a[0], a[1], actor=a[2], reason=a[3]),
        "suspend_for_case": lambda: engine.suspend_for_case(a[0], actor=a[1]),
        "refresh_alerts": lambda: engine.refresh_alerts(a[0], settings=a[1]),
        "open_alerts": lambda: engine.open_alerts(institution=a[0]),
        "run_cascades": lambda: engine.run_cascades(a[0]),
    }  # fmt: skip
    refuses_cleanly(path, calls[entry])


@FUZZ
@given(
    entry=st.sampled_from(
        ["settle_outbox", "replay_outbox", "deliveries", "outbox_entry", "retry_dead_letter",
         "engine_deliveries", "dispatcher", "dispatch"]
    ),
    position=st.integers(0, 7),
    value=HOSTILE,
)  # fmt: skip
def test_delivery_raises_only_library_errors_and_writes_nothing(
    fuzzed: tuple[Engine, str, str], entry: str, position: int, value: Any
) -> None:
    """Delivery's store calls and the engine's, one hostile argument at a time."""
    engine, path, _ = fuzzed
    store = engine.store
    good: dict[str, list[Any]] = {
        "settle_outbox": [
            "s-1:2:p:0",
            "w-1",
            NOW,
            False,
            None,
            "smtp.550",
            True,
            [("coach-1", "refused", "smtp.550")],
        ],
        "replay_outbox": ["s-1:2:p:0", NOW, "po-1"],
        "deliveries": ["s-1:2:p:0", 0, 10],
        "outbox_entry": ["s-1:2:p:0"],
        "retry_dead_letter": ["s-1:2:p:0", "po-1"],
        "engine_deliveries": ["s-1:2:p:0"],
        "dispatcher": [["email"], None, "w-1"],
        "dispatch": [["email"], None, 10],
    }
    arguments = good[entry]
    arguments[position % len(arguments)] = value
    calls: dict[str, Callable[[], object]] = {
        "settle_outbox": lambda: store.settle_outbox(
            *arguments[:3],
            delivered=arguments[3],
            retry_at=arguments[4],
            error=arguments[5],
            dead=arguments[6],
            outcomes=arguments[7],
        ),
        "replay_outbox": lambda: store.replay_outbox(*arguments),
        "deliveries": lambda: store.deliveries(*arguments),
        "outbox_entry": lambda: store.outbox_entry(*arguments),
        "retry_dead_letter": lambda: engine.retry_dead_letter(arguments[0], by=arguments[1]),
        "engine_deliveries": lambda: engine.deliveries(*arguments),
        "dispatcher": lambda: engine.dispatcher(
            channels=arguments[0], policy=arguments[1], worker=arguments[2]
        ),
        "dispatch": lambda: engine.dispatch(
            channels=arguments[0], policy=arguments[1], limit=arguments[2]
        ),
    }
    refuses_cleanly(path, calls[entry])


@FUZZ
@given(
    kind=st.sampled_from(["contact", "template", "policy"]),
    field=st.integers(0, 3),
    value=HOSTILE,
)
def test_delivery_values_raise_only_library_errors(kind: str, field: int, value: Any) -> None:
    """Contacts, templates and policies refuse any bad value with InvalidInput naming it;
    a contact's error never quotes the value."""
    from stageborging import Contact, InvalidInput, MessageTemplate, RetryPolicy

    good: dict[str, list[Any]] = {
        "contact": ["a@school.example", "Ann", "https://sis.example/1", "en"],
        "template": ["local.x", {"nl": "a", "en": "b"}, {"nl": "c", "en": "d"}, None],
        "policy": [3, None, 5, 60],
    }
    arguments = good[kind]
    arguments[field % len(arguments)] = value
    refused: InvalidInput | None = None
    try:
        if kind == "contact":
            Contact(*arguments)
        elif kind == "template":
            MessageTemplate(*arguments[:3])
        else:
            attempts, _, timeout, lease = arguments
            RetryPolicy(attempts=attempts, timeout=timeout, lease=lease)
    except InvalidInput as exc:
        refused = exc
    except Exception as exc:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"a raw {type(exc).__name__} escaped: {exc!r}"[:300])
    if refused is not None and kind == "contact" and refused.field != "language":
        assert not isinstance(value, str) or not value or value not in str(refused)


class DeliveryAnswers:
    """A plugin whose contact, channels and templates are whatever the test says."""

    name = "test-delivery-answers"

    def __init__(self, hook: str, answer: Callable[[], Any]) -> None:
        self.hook, self.answer = hook, answer

    def _give(self, hook: str, default: Any) -> Any:
        return self.answer() if self.hook == hook else default

    @hookimpl
    def stageborging_recipients(self) -> Any:
        return self._give("recipients", ["coach-1"])

    @hookimpl
    def stageborging_contact(self) -> Any:
        from stageborging import Contact

        return self._give("contact", Contact("c@school.example", "C", "https://sis.example/c"))

    @hookimpl
    def stageborging_channels(self) -> Any:
        from stageborging.testing import RecordingChannel

        return self._give("channels", [RecordingChannel()])

    @hookimpl
    def stageborging_after_transition(self) -> Any:
        return [Notification("email", "coach", "guidance.missed", {"step": "s", "due": "d"})]


@FUZZ
@given(answer=ANSWERS, hook=st.sampled_from(["recipients", "contact", "channels", "templates"]))
def test_whatever_delivery_plugins_answer_only_library_errors_escape(
    tmp_path_factory: pytest.TempPathFactory, answer: Callable[[], Any], hook: str
) -> None:
    """Recipients, contacts, channels and templates of any shape: refused at start-up with
    a PluginError, or a recorded outcome; never a raw exception, never a lost entry."""
    path = tmp_path_factory.mktemp("delivery") / "delivery.db"
    plugin = DeliveryAnswers(hook, answer)
    if hook == "templates":

        class Gives:
            name = "test-gives-templates"

            @hookimpl
            def stageborging_templates(self) -> Any:
                return answer()

        with Engine(path, plugins=[Gives()]) as engine:
            try:
                engine.templates  # noqa: B018 - collected when first asked for
            except StageborgingError:
                pass
            except Exception as exc:  # pragma: no cover - the failure this test exists for
                pytest.fail(f"a raw {type(exc).__name__} escaped: {exc!r}"[:300])
        return
    with Engine(path, plugins=[plugin], clock=FakeClock()) as engine:
        sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        engine.fire(sid, "begin_search", actor=STUDENT)
        try:
            engine.dispatch()
        except StageborgingError:
            assert hook == "channels"  # a malformed channel stops the dispatcher at start
            return
        except Exception as exc:  # pragma: no cover - the failure this test exists for
            pytest.fail(f"a raw {type(exc).__name__} escaped: {exc!r}"[:300])
        [entry] = engine.notifications(pending=False)
        assert entry.attempts == 1 or hook == "channels"  # tried, and its outcome kept
        assert engine.verify().ok
