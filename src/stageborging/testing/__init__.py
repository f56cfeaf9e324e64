"""The testing kit for plugin authors, registered as a pytest plugin.

With stageborging installed, every pytest session has these fixtures:

``stageborging_clock``
    A :class:`FakeClock` at 2027-01-10 09:00 UTC that the test moves by hand.
``stageborging_plugins``
    The plugins the engine gets: ``[]``; override it in your ``conftest.py``.
``stageborging_engine``
    A fresh :class:`~stageborging.Engine` on a temporary SQLite file, with the
    clock and the plugins above (entry points off, so the test sees only what
    it asked for).

and, to use in tests: :func:`registered` (a plugin for the duration of a
block), :func:`notifications` (what plugins queued), :func:`assert_refused`,
:func:`assert_recorded` and :func:`assert_intact` (the audit log), a
:class:`Journey` that drives streams along the lifecycles, and
:class:`PluginContract`, a suite of tests every plugin should pass::

    from stageborging.testing import PluginContract

    class TestMyPlugin(PluginContract):
        @pytest.fixture
        def plugin(self):
            return MyPlugin()
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .. import Actor, Engine, Event, EventType, Finding, Notification, Severity, hookimpl
from ..exceptions import InvalidInput, Refused
from ..lifecycles import AGREEMENT_FIELDS_MBO

__all__ = [
    "FakeClock",
    "Journey",
    "KitRegister",
    "PluginContract",
    "assert_intact",
    "assert_recorded",
    "assert_refused",
    "notifications",
    "registered",
]


class FakeClock:
    """A clock that moves only when told to; pass it as ``Engine(clock=...)``."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2027, 1, 10, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move forward, e.g. ``advance(days=14)``."""
        self.now += timedelta(**delta)

    def set(self, day: str) -> None:
        """Jump to 09:00 UTC on *day* (``YYYY-MM-DD``)."""
        self.now = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)


@contextmanager
def registered(engine: Engine, plugin: object) -> Iterator[str]:
    """Register *plugin* on *engine* for the duration of the block; yields its name.

    For hooks called per command (checks, verifiers, notifications, recipients).
    Lifecycles and guidance steps are collected when an engine starts: pass
    such plugins to the engine itself.
    """
    name = engine.register_plugin(plugin)
    try:
        yield name
    finally:
        engine.unregister_plugin(name)


def notifications(engine: Engine, stream_id: str | None = None) -> list[Notification]:
    """The notifications plugins queued (pending in the outbox), oldest first."""
    return [entry.notification for entry in engine.notifications(stream_id)]


def assert_refused(engine: Engine, stream_id: str, code: str) -> Event:
    """Assert that a refusal blocked by a finding with *code* was recorded; return it."""
    for event in reversed(engine.history(stream_id)):
        if event.type is EventType.REFUSED and any(
            f.code == code and f.blocks for f in event.findings
        ):
            return event
    refusals = [
        (e.seq, e.name, [f.code for f in e.findings if f.blocks])
        for e in engine.history(stream_id)
        if e.type is EventType.REFUSED
    ]
    raise AssertionError(f"no refusal with code {code!r} on {stream_id}; refusals: {refusals}")


def assert_recorded(engine: Engine, stream_id: str, name: str) -> Event:
    """Assert that a transition or fact called *name* went ahead; return the last one."""
    for event in reversed(engine.history(stream_id)):
        if event.name == name and event.type in (EventType.TRANSITIONED, EventType.RECORDED):
            return event
    names = [e.name for e in engine.history(stream_id)]
    raise AssertionError(f"no event {name!r} went ahead on {stream_id}; events: {names}")


def assert_intact(engine: Engine) -> None:
    """Assert that every hash chain and projection in the engine's database verifies."""
    report = engine.verify()
    assert report.ok, "audit log broken: " + "; ".join(str(b) for b in report.breaks)


# -- driving streams -----------------------------------------------------------

OFFICE = Actor("kit-po", "placement_office")
COACH = Actor("kit-coach", "coach")
STUDENT = Actor("kit-student", "student")
EMPLOYER = Actor("kit-employer", "employer")
EXAM = Actor("kit-exam", "exam_committee")
ADVISOR = Actor("kit-advisor", "confidential_advisor")
START = "2027-02-01"
#: Opening data of an adult MBO student starting on 2027-02-01.
MBO: dict[str, Any] = {
    "student": "kit-student", "programme": "kit-ict", "qualification": "25604", "level": 4,
    "track": "BOL", "planned_start": START, "planned_end": "2027-06-30",
    "planned_hours": 400,
}  # fmt: skip
AGREEMENT = list(AGREEMENT_FIELDS_MBO)


class KitRegister:
    """A recognition verifier for journeys: every employer except ``kit-unrecognised``."""

    name = "stageborging.testing.register"

    @hookimpl
    def stageborging_verify_recognition(self, employer: str) -> bool:
        return employer != "kit-unrecognised"


class Journey:
    """Drives one MBO internship and one case along their lifecycles, step by step.

    Each step is ``(stream id, kind, name, actor, data)``; :meth:`steps` yields
    them and the caller runs them (``engine.fire`` or ``engine.record``), so a
    test can check, dry-run or time each one. The clock is moved as the story
    needs (the start waits for the planned start date).
    """

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine = engine
        self.clock = clock

    def steps(self) -> Iterator[tuple[str, str, str, Actor, dict[str, Any] | None]]:
        """Yield the steps of a complete internship and a case with consent."""
        sid = self.engine.open("mbo_bpv", actor=OFFICE, data=MBO).stream_id
        yield sid, "fire", "begin_search", STUDENT, None
        yield sid, "record", "application_sent", STUDENT, {"application": "a1", "employer": "e1"}
        yield sid, "fire", "propose_placement", STUDENT, {"employer": "kit-employer-1"}
        yield sid, "fire", "verify_employer", OFFICE, None
        agreement = {"document": "d1", "fields_present": AGREEMENT}
        yield sid, "fire", "draft_agreement", OFFICE, agreement
        for actor, party in ((STUDENT, "student"), (EMPLOYER, "employer"), (OFFICE, "school")):
            yield sid, "record", "signature", actor, {"party": party, "agreement_version": 1}
        yield sid, "fire", "confirm_signatures", OFFICE, None
        self.clock.set(START)
        yield sid, "fire", "start", COACH, None
        yield sid, "record", "guidance_contact", COACH, {"moment": "begin"}
        yield sid, "fire", "suspend", COACH, {"reason": "illness"}
        yield sid, "fire", "resume", COACH, None
        yield sid, "record", "hours", STUDENT, {"hours": 400}
        yield sid, "record", "midterm_review", COACH, {"social_safety": "safe"}
        yield sid, "fire", "finish", COACH, None
        yield sid, "record", "assessment_decision", EXAM, {"outcome": "passed"}
        yield sid, "fire", "complete", EXAM, None
        # a second internship, planned from today: assisted search, then a termination
        # and a replacement search
        today = self.clock().date()
        dates = {"planned_start": today.isoformat(),
                 "planned_end": (today + timedelta(days=150)).isoformat()}  # fmt: skip
        other = self.engine.open("mbo_bpv", actor=OFFICE, data={**MBO, **dates}).stream_id
        yield other, "fire", "begin_search", STUDENT, None
        yield other, "fire", "request_assistance", STUDENT, None
        yield other, "fire", "propose_placement", OFFICE, {"employer": "kit-employer-2"}
        yield other, "fire", "verify_employer", OFFICE, None
        yield other, "fire", "draft_agreement", OFFICE, agreement
        for actor, party in ((STUDENT, "student"), (EMPLOYER, "employer"), (OFFICE, "school")):
            yield other, "record", "signature", actor, {"party": party, "agreement_version": 1}
        yield other, "fire", "confirm_signatures", OFFICE, None
        yield other, "fire", "start", COACH, None
        yield other, "fire", "terminate", COACH, {"reason": "mismatch"}
        yield other, "fire", "seek_replacement", COACH, None
        case = self.engine.open("case", actor=STUDENT, data={"phase": "search"}).stream_id
        yield case, "fire", "acknowledge", ADVISOR, None
        yield case, "fire", "hold_intake", ADVISOR, None
        yield case, "fire", "give_consent", ADVISOR, {"form": "written"}
        yield case, "record", "employer_hearing", ADVISOR, {"held_on": "2027-02-01"}
        yield case, "fire", "record_outcome", ADVISOR, {"outcome": "founded"}
        yield case, "record", "reporter_feedback", ADVISOR, {"channel": "written"}
        yield case, "fire", "close", ADVISOR, None

    def run(self) -> list[Event]:
        """Run every step and return the events that went ahead.

        A step a plugin refuses is recorded as a refusal, and the steps that
        needed it are then invalid from the state the stream is in: both are
        skipped, so the rest of the story still runs.
        """
        done = []
        for sid, kind, name, actor, data in self.steps():
            command = self.engine.fire if kind == "fire" else self.engine.record
            try:
                done.append(command(sid, name, actor=actor, data=data))
            except (Refused, InvalidInput):
                continue
        return done


# -- the contract ----------------------------------------------------------------

_CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
#: What personal data looks like in a message: an e-mail address, a phone or
#: citizen service number, a postcode, or one of the journey's own ids.
_PERSONAL = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|\b\d{9,}\b|\b\d{4}\s?[A-Z]{2}\b|kit-(student|employer|coach|po)"
)


class PluginContract:
    """Tests every plugin should pass. Subclass it and provide a ``plugin`` fixture.

    The suite registers your plugin on an engine, drives the :class:`Journey`
    and, before every transition, dry-runs it twice. It checks that the plugin
    registers (hook names and arguments valid), that its findings are
    well-formed (a dotted lowercase code, a known severity, an English and a
    Dutch message), hold no personal data, and are deterministic (the same
    answer when asked twice), and that what it queues is well-formed.
    """

    @pytest.fixture
    def plugin(self) -> object:
        """Override: return an instance (or module) of your plugin."""
        raise NotImplementedError("override the 'plugin' fixture with your plugin")

    @pytest.fixture
    def plugin_config(self) -> dict[str, Any]:
        """Override: the settings your plugin needs (``Engine(config=...)``)."""
        return {}

    @pytest.fixture
    def contract_engine(
        self, tmp_path: Path, plugin: object, plugin_config: dict[str, Any]
    ) -> Iterator[tuple[Engine, FakeClock]]:
        clock = FakeClock()
        plugins = [KitRegister(), plugin]
        path = tmp_path / "contract.db"
        with Engine(path, plugins=plugins, clock=clock, config=plugin_config) as engine:
            yield engine, clock

    def _decisions(self, engine: Engine, clock: FakeClock, plugin: object) -> list[list[Finding]]:
        from ..pluginhost import plugin_name

        name = plugin_name(plugin)
        decisions = []
        for sid, kind, trigger, actor, data in Journey(engine, clock).steps():
            try:
                if kind == "fire":
                    first = engine.check(sid, trigger, actor=actor, data=data)
                    second = engine.check(sid, trigger, actor=actor, data=data)
                    assert first == second, f"{trigger}: two dry runs disagree: {first} / {second}"
                    decisions.append([f for f in first.findings if f.source == name])
                    engine.fire(sid, trigger, actor=actor, data=data)
                else:
                    engine.record(sid, trigger, actor=actor, data=data)
            except (Refused, InvalidInput):
                continue
        return decisions

    def test_registers_cleanly(self, contract_engine: tuple[Engine, FakeClock]) -> None:
        """The plugin's hooks exist and take only arguments their specs have."""
        engine, _ = contract_engine
        assert engine.plugin_problems == ()

    def test_findings_are_well_formed(
        self, contract_engine: tuple[Engine, FakeClock], plugin: object
    ) -> None:
        """Every finding has a dotted code, a known severity and a message in both languages."""
        engine, clock = contract_engine
        for findings in self._decisions(engine, clock, plugin):
            for finding in findings:
                assert _CODE.fullmatch(finding.code), (
                    f"code {finding.code!r} is not dotted lowercase"
                )
                assert finding.severity in Severity
                assert finding.message.strip(), f"{finding.code}: empty message"
                assert finding.message_nl.strip(), f"{finding.code}: empty Dutch message"

    def test_findings_hold_no_personal_data(
        self, contract_engine: tuple[Engine, FakeClock], plugin: object
    ) -> None:
        """Messages and params carry codes, never addresses, numbers or the people's ids."""
        engine, clock = contract_engine
        for findings in self._decisions(engine, clock, plugin):
            for finding in findings:
                text = " ".join([finding.message, finding.message_nl, *finding.params.values()])
                match = _PERSONAL.search(text)
                assert match is None, f"{finding.code}: looks like personal data: {match.group()!r}"

    def test_notifications_are_well_formed(
        self, contract_engine: tuple[Engine, FakeClock], caplog: pytest.LogCaptureFixture
    ) -> None:
        """The notification hooks never fail: what they return is notifications, queued."""
        engine, clock = contract_engine
        caplog.set_level(logging.WARNING, logger="stageborging")
        Journey(engine, clock).run()
        skipped = [r for r in caplog.records if r.getMessage() == "notifications skipped"]
        assert not skipped, "notification hook failed: " + ", ".join(
            f"{getattr(r, 'hook', '?')}: {getattr(r, 'error', '?')}" for r in skipped
        )
        for entry in engine.notifications(pending=False):
            assert isinstance(entry.notification, Notification)
        assert_intact(engine)


# -- the pytest plugin -----------------------------------------------------------


@pytest.fixture
def stageborging_clock() -> FakeClock:
    """A fake clock at 2027-01-10 09:00 UTC."""
    return FakeClock()


@pytest.fixture
def stageborging_plugins() -> list[object]:
    """The plugins ``stageborging_engine`` registers; override to give yours."""
    return []


@pytest.fixture
def stageborging_config() -> dict[str, Any]:
    """The plugin settings ``stageborging_engine`` passes; override to give yours."""
    return {}


@pytest.fixture
def stageborging_engine(
    tmp_path: Path,
    stageborging_clock: FakeClock,
    stageborging_plugins: list[object],
    stageborging_config: dict[str, Any],
) -> Iterator[Engine]:
    """A fresh engine on a temporary SQLite file, with the fake clock, your plugins and settings."""
    with Engine(
        tmp_path / "stageborging.db",
        plugins=stageborging_plugins,
        clock=stageborging_clock,
        config=stageborging_config,
    ) as engine:
        yield engine
