"""Plugin checks: collect-all, fail closed, named in the log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from stageborging import Engine, Finding, PluginError, Refused, Severity, Transition, hookimpl
from stageborging.testing import FakeClock
from support import COACH, STUDENT, journey


class Warns:
    name = "warns"

    @hookimpl
    def stageborging_check_transition(self, transition: Transition) -> list[Finding]:
        return [Finding("local.note", "warn", f"Noted {transition.trigger}.", "Genoteerd.")]


class Blocks:
    name = "blocks"

    @hookimpl
    def stageborging_check_transition(self, data: Mapping[str, Any]) -> list[Finding]:
        return [Finding("local.no", Severity.BLOCK, "Not today.")]


class Raises:
    name = "raises"

    @hookimpl
    def stageborging_check_transition(self) -> None:
        raise RuntimeError("bug in plugin")


class ReturnsJunk:
    name = "junk"

    @hookimpl
    def stageborging_check_transition(self) -> object:
        return "ok"


class Mutates:
    name = "mutates"

    @hookimpl
    def stageborging_check_transition(self, stream: Any) -> None:
        stream.facts["details"]["student"] = "someone-else"


def engine_with(db: str, clock: FakeClock, *plugins: object) -> Engine:
    return Engine(db, plugins=list(plugins), clock=clock)


@pytest.mark.hook("stageborging_check_transition")
def test_warnings_are_recorded_with_the_plugin_name(db: str, clock: FakeClock) -> None:
    """A warn finding lets the transition pass and is kept on its event."""
    with engine_with(db, clock, Warns()) as engine:
        sid = journey(engine).open()
        event = engine.fire(sid, "begin_search", actor=STUDENT)
        assert event.to_state == "searching"
        (finding,) = event.findings
        assert (finding.code, finding.source, finding.message_nl) == (
            "local.note",
            "warns",
            "Genoteerd.",
        )
        assert engine.history(sid)[-1].findings == event.findings
        assert "warns" in {p.name for p in event.plugins}


@pytest.mark.hook("stageborging_check_transition")
def test_a_blocking_check_refuses(db: str, clock: FakeClock) -> None:
    """A block finding refuses the transition; a Dutch text it lacks is sealed empty,
    never as the English one passed off as Dutch."""
    with engine_with(db, clock, Blocks()) as engine:
        sid = journey(engine).open()
        with pytest.raises(Refused) as info:
            engine.fire(sid, "begin_search", actor=STUDENT)
        sealed = engine.history(sid)[-1].findings
    (finding,) = info.value.findings
    assert finding.source == "blocks"
    assert (finding.message, finding.message_nl) == ("Not today.", "")
    assert sealed == (finding,)


@pytest.mark.hook("stageborging_check_transition")
def test_a_raising_check_fails_closed_without_hiding_others(db: str, clock: FakeClock) -> None:
    """A plugin that raises blocks, named; other plugins' findings are still reported."""
    with engine_with(db, clock, Warns(), Raises()) as engine:
        sid = journey(engine).open()
        with pytest.raises(Refused) as info:
            engine.fire(sid, "begin_search", actor=STUDENT)
    by_source = {f.source: f for f in info.value.findings}
    assert by_source["raises"].code == "check.failed"
    assert by_source["raises"].params == {  # the type only: messages may hold personal data
        "plugin": "raises",
        "error": "RuntimeError",
    }
    assert by_source["warns"].code == "local.note"
    assert {p.name for p in info.value.event.plugins} >= {"raises", "warns"}


@pytest.mark.hook("stageborging_check_transition")
def test_a_check_returning_junk_fails_closed(db: str, clock: FakeClock) -> None:
    """Returning something other than findings is a blocking finding naming the plugin."""
    with engine_with(db, clock, ReturnsJunk()) as engine:
        sid = journey(engine).open()
        with pytest.raises(Refused) as info:
            engine.fire(sid, "begin_search", actor=STUDENT)
    assert info.value.findings[0].params["plugin"] == "junk"


@pytest.mark.hook("stageborging_check_transition")
def test_checks_cannot_change_the_stream(db: str, clock: FakeClock) -> None:
    """The stream a check sees is read-only: trying to change it fails closed."""
    with engine_with(db, clock, Mutates()) as engine:
        sid = journey(engine).open()
        with pytest.raises(Refused):
            engine.fire(sid, "begin_search", actor=STUDENT)
        assert engine.stream(sid).facts["details"]["student"] == "stu-1"


def test_a_misspelled_hook_fails_at_start_up(db: str) -> None:
    """A typo in a hook name is an error naming the plugin and the hook."""

    class Typo:
        name = "typo-plugin"

        @hookimpl
        def stageborging_check_transiton(self) -> None:
            return None

    with pytest.raises(PluginError) as info:
        Engine(db, plugins=[Typo()])
    assert info.value.plugin == "typo-plugin"
    assert "stageborging_check_transiton" in str(info.value)


def test_a_wrong_argument_name_fails_at_start_up(db: str) -> None:
    """An implementation asking for an argument the spec lacks is refused."""

    class BadArgs:
        name = "bad-args"

        @hookimpl
        def stageborging_check_transition(self, student_name: str) -> None:
            return None

    with pytest.raises(PluginError, match="bad-args"):
        Engine(db, plugins=[BadArgs()])


def test_two_plugins_with_one_name_are_refused(db: str) -> None:
    """Plugin names identify plugins in the log, so they are unique."""
    with pytest.raises(PluginError, match="warns"):
        Engine(db, plugins=[Warns(), Warns()])


def test_defaults_can_be_switched_off(db: str, clock: FakeClock) -> None:
    """defaults=False drops the default rules (finish before the end date passes)."""
    with Engine(db, clock=clock, defaults=False, plugins=[]) as engine:
        assert [p.name for p in engine.plugins] == []
        sid = journey(engine).open()
        event = engine.fire(sid, "begin_search", actor=STUDENT)
        assert event.plugins == ()


@pytest.mark.hook("stageborging_check_transition")
def test_plugins_see_the_proposed_data(db: str, clock: FakeClock) -> None:
    """A check receives the validated command data and the actor."""
    seen: list[Any] = []

    class Spy:
        name = "spy"

        @hookimpl
        def stageborging_check_transition(self, actor: Any, data: Any, stream: Any) -> None:
            seen.append((actor, dict(data), stream.state))

    with engine_with(db, clock, Spy()) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "propose_placement", actor=COACH, data={"employer": "emp-7"})
    assert seen == [(STUDENT, {}, "orientation"), (COACH, {"employer": "emp-7"}, "searching")]


def test_plugin_versions_come_from_their_distribution(engine: Engine) -> None:
    """The built-in defaults carry the installed stageborging version."""
    from stageborging import __version__

    versions = {p.name: p.version for p in engine.plugins}
    assert versions["stageborging.defaults"] == __version__
    assert versions["test-recognition"] == "unversioned"


def test_a_class_instead_of_an_instance_is_refused(db: str) -> None:
    """Passing the class by mistake is an error at start-up, not a check failing forever."""
    with pytest.raises(PluginError, match="register an instance"):
        Engine(db, plugins=[Warns])


def test_finding_params_must_be_strings(db: str, clock: FakeClock) -> None:
    """A plugin putting a number in params fails closed, named, instead of a bad log entry."""

    class Counts:
        name = "counts"

        @hookimpl
        def stageborging_check_transition(self) -> list[Finding]:
            return [Finding("counts.n", "info", "n", params={"n": 2})]  # type: ignore[dict-item]

    with engine_with(db, clock, Counts()) as engine:
        sid = journey(engine).open()
        with pytest.raises(Refused) as info:
            engine.fire(sid, "begin_search", actor=STUDENT)
    assert info.value.findings[0].params == {"plugin": "counts", "error": "InvalidInput"}
