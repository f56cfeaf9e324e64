"""The plugin host honours pluggy (order, firstresult, wrappers) or refuses by name."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from stageborging import (
    Engine,
    FactSpec,
    Finding,
    InvalidInput,
    PluginError,
    Stream,
    hookimpl,
    hookspecs,
)
from stageborging.pluginhost import PluginHost
from stageborging.testing import FakeClock
from support import PLACEMENT_OFFICE, STUDENT, journey, mbo_details

HOOKS = sorted(name for name in hookspecs.__all__ if name.startswith("stageborging_"))
NOW = datetime(2027, 3, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam"))


def spec_args(hook: str) -> dict[str, Any]:
    """Every argument of *hook*'s spec, each None (what pluggy itself is called with)."""
    caller = getattr(PluginHost(defaults=False).manager.hook, hook)
    return dict.fromkeys(caller.spec.argnames)


def plugin_with(name: str, hook: str, function: Callable[..., Any], **opts: Any) -> object:
    """A plugin object called *name* whose *hook* is *function*, marked with *opts*."""
    plugin = types.SimpleNamespace(name=name)
    setattr(plugin, hook, hookimpl(**opts)(function))
    return plugin


# -- refused at registration --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["wrapper", "hookwrapper"])
def test_a_hook_wrapper_is_refused_naming_plugin_and_hook(kind: str) -> None:
    """pluggy would wrap the other implementations; the host calls each alone, so it refuses."""

    class Wraps:
        name = "wraps"

        @hookimpl(**{kind: True})
        def stageborging_check_transition(self) -> Any:
            return (yield)

    host = PluginHost()
    with pytest.raises(PluginError) as info:
        host.register(Wraps())
    assert info.value.plugin == "wraps"
    assert "stageborging_check_transition" in info.value.problem
    assert f"{kind}=True" in info.value.problem
    assert "wraps" not in host
    assert not host.manager.has_plugin("wraps")  # nothing half-registered


def test_a_hook_wrapper_stops_the_engine(db_path: Path) -> None:
    """Before: it registered silently and every command was refused with check.failed."""

    class Wraps:
        name = "old-style"

        @hookimpl(hookwrapper=True)
        def stageborging_after_transition(self) -> Any:
            yield

    with pytest.raises(PluginError, match=r"'old-style'.*stageborging_after_transition"):
        Engine(db_path, plugins=[Wraps()])


class Forgot:
    """Named like a plugin, but no @hookimpl: pluggy would register it and never call it."""

    name = "forgot"

    def stageborging_check_transition(self, transition: Any) -> None:
        raise AssertionError("never called")


class Misspelled:
    """Every name misses the stageborging prefix, so no hook matches."""

    name = "misspelled"

    def stagebroging_check_transition(self, transition: Any) -> None:
        raise AssertionError("never called")


@pytest.mark.parametrize("plugin", [Forgot(), Misspelled(), types.ModuleType("empty_plugin")])
def test_a_plugin_without_any_hook_is_refused(plugin: object) -> None:
    host = PluginHost()
    with pytest.raises(PluginError, match="implements no stageborging hook; forgot @hookimpl"):
        host.register(plugin)
    assert host.plugins == PluginHost().plugins  # the defaults only


def test_the_built_in_path_refuses_a_plugin_without_hooks_too(db_path: Path) -> None:
    with pytest.raises(PluginError, match="'forgot': implements no stageborging hook"):
        PluginHost().register(Forgot(), source="built-in")
    with pytest.raises(PluginError, match="'forgot': implements no stageborging hook"):
        Engine(db_path, plugins=[Forgot()])


# -- the order and firstresult are pluggy's ------------------------------------------------


def test_call_order_is_pluggys_with_tryfirst_and_trylast() -> None:
    """The host calls implementations in the order pluggy's own hook call would."""
    called: list[str] = []

    def check(name: str) -> Callable[[], list[object]]:
        def function() -> list[object]:
            called.append(name)
            return []  # an answer (None would be "nothing to say", which gives none)

        return function

    marks: list[tuple[str, dict[str, bool]]] = [
        ("plain-1", {}),
        ("last-1", {"trylast": True}),
        ("first-1", {"tryfirst": True}),
        ("plain-2", {}),
        ("last-2", {"trylast": True}),
        ("first-2", {"tryfirst": True}),
        ("plain-3", {}),
    ]
    host = PluginHost(defaults=False)
    hook = "stageborging_check_transition"
    for name, opts in marks:
        host.register(plugin_with(name, hook, check(name), **opts))
    getattr(host.manager.hook, hook)(**spec_args(hook))
    pluggys, called[:] = list(called), []
    answers = host.call(hook, spec_args(hook))
    assert called == pluggys == [a.plugin.name for a in answers]
    assert pluggys == ["first-2", "first-1", "plain-3", "plain-2", "plain-1", "last-1", "last-2"]


@pytest.mark.parametrize("hook", HOOKS)
def test_firstresult_comes_from_the_spec(hook: str) -> None:
    """A firstresult hook stops at the first value, as pluggy does; the others ask everyone."""
    host = PluginHost(defaults=False)
    for name in ("one", "two", "three"):
        host.register(plugin_with(name, hook, lambda: "an answer"))
    caller = getattr(host.manager.hook, hook)
    answers = host.call(hook, spec_args(hook))
    if caller.spec.opts["firstresult"]:
        assert [a.plugin.name for a in answers] == ["three"]
        assert caller(**spec_args(hook)) == "an answer"  # pluggy: the first answer only
    else:
        assert [a.plugin.name for a in answers] == ["three", "two", "one"]
    assert [a.value for a in answers] == ["an answer"] * len(answers)


def test_a_firstresult_hook_asks_past_none_and_past_failures_when_told() -> None:
    host = PluginHost(defaults=False)
    hook = "stageborging_recipients"

    def fails() -> None:
        raise ConnectionError("down")

    host.register(plugin_with("answers", hook, lambda: ["coach-1"]))
    host.register(plugin_with("fails", hook, fails))
    host.register(plugin_with("does-not-know", hook, lambda: None))
    kwargs = spec_args(hook)
    stops = host.call(hook, kwargs)
    assert [(a.plugin.name, a.error_type) for a in stops] == [
        ("does-not-know", ""),
        ("fails", "ConnectionError"),
    ]
    passes = host.call(hook, kwargs, skip_failures=True)
    assert [(a.plugin.name, a.value) for a in passes][-1] == ("answers", ["coach-1"])


def test_a_collect_all_call_isolates_each_implementation() -> None:
    host = PluginHost(defaults=False)
    hook = "stageborging_after_record"

    def fails() -> None:
        raise KeyError("a value that must not be logged")

    host.register(plugin_with("before", hook, lambda: ["b"]))
    host.register(plugin_with("fails", hook, fails))
    host.register(plugin_with("after", hook, lambda: ["a"]))
    answers = host.call(hook, spec_args(hook))
    assert [(a.plugin.name, a.value, a.error_type) for a in answers] == [
        ("after", ["a"], ""),
        ("fails", None, "KeyError"),
        ("before", ["b"], ""),
    ]


# -- plugin_config: this engine's settings for this plugin --------------------------------

SEEN: list[tuple[str, Mapping[str, Any]]] = []


@hookimpl
def stageborging_check_transition(transition: Any, plugin_config: Mapping[str, Any]) -> None:
    SEEN.append((transition.trigger, plugin_config))


def test_one_module_plugin_in_two_engines_sees_each_engines_settings(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Two institutions of a school group, one plugin module, no settings shared."""
    module = sys.modules[__name__]
    name = module.__name__
    north = {name: {"minimum": 1, "codes": ["a", "b"]}, "other": {"x": 1}}
    south = {name: {"minimum": 3}}
    SEEN.clear()
    with (
        Engine(tmp_path / "n.db", plugins=[module], config=north, clock=clock) as first,
        Engine(tmp_path / "s.db", plugins=[module], config=south, clock=clock) as second,
        Engine(tmp_path / "w.db", plugins=[module], clock=clock) as third,
    ):
        for engine in (first, second, third):
            engine.fire(journey(engine).open(), "begin_search", actor=STUDENT)
    (_, seen_north), (_, seen_south), (_, seen_none) = SEEN
    assert dict(seen_north) == {"minimum": 1, "codes": ("a", "b")}
    assert dict(seen_south) == {"minimum": 3}
    assert dict(seen_none) == {}
    with pytest.raises(TypeError):
        seen_north["minimum"] = 9  # type: ignore[index]
    assert north[name]["minimum"] == 1


def test_plugin_config_is_read_only_all_the_way_down() -> None:
    got: list[Mapping[str, Any]] = []
    hook = "stageborging_guidance_steps"
    plugin = plugin_with("deep", hook, lambda plugin_config: got.append(plugin_config))
    config = {"deep": {"nested": {"list": [1, {"k": "v"}], "set": {1, 2}}}}
    PluginHost([plugin], defaults=False, config=config).call(hook, {})
    (seen,) = got
    nested = seen["nested"]
    assert nested["list"] == (1, {"k": "v"})
    assert isinstance(nested["set"], frozenset)
    with pytest.raises(TypeError):
        nested["list"][1]["k"] = "changed"
    config["deep"]["nested"]["list"].append(2)  # the host's own copy stays the host's
    assert nested["list"] == (1, {"k": "v"})


def test_configure_gets_plugin_config_and_settings_that_are_no_mapping_are_refused() -> None:
    checked: list[Any] = []
    hook = "stageborging_configure"
    plugin = plugin_with("checks", hook, lambda config, plugin_config: checked.append(
        (dict(config), dict(plugin_config))))  # fmt: skip
    PluginHost([plugin], defaults=False, config={"checks": {"n": 1}, "else": {}})
    assert checked == [({"checks": {"n": 1}, "else": {}}, {"n": 1})]
    with pytest.raises(InvalidInput) as info:
        PluginHost([plugin], defaults=False, config={"checks": 3})
    assert (info.value.field, info.value.value) == ("config['checks']", 3)


# -- stageborging_check_record -------------------------------------------------------------


class CapsHours:
    name = "caps-hours"

    @hookimpl
    def stageborging_check_record(
        self, stream: Stream, fact: FactSpec, data: Mapping[str, Any], plugin_config: Any
    ) -> list[Finding] | None:
        if fact.name == "hours" and data["hours"] > plugin_config.get("cap", 40):
            return [Finding("caps.over", "block", "Too many hours.", params={"on": stream.state})]
        return None


class BrokenFactCheck:
    name = "broken-fact-check"

    @hookimpl
    def stageborging_check_record(self) -> None:
        raise ConnectionError("down")


@pytest.mark.hook("stageborging_check_record")
def test_check_record_collects_every_plugins_findings_and_fails_closed(
    db_path: Path, clock: FakeClock
) -> None:
    with Engine(db_path, clock=clock) as engine:
        sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        stream = engine.stream(sid)
        hours = engine.lifecycle("mbo_bpv").facts_by_name["hours"]
    host = PluginHost([CapsHours(), BrokenFactCheck()], config={"caps-hours": {"cap": 8}})
    assert host.implemented("stageborging_check_record")
    assert not PluginHost().implemented("stageborging_check_record")
    findings, plugins = host.check_record(stream, hours, STUDENT, {"hours": 9}, NOW)
    assert [(f.code, f.source, f.params) for f in findings] == [
        ("check.failed", "broken-fact-check", {"plugin": "broken-fact-check",
                                               "error": "ConnectionError"}),
        ("caps.over", "caps-hours", {"on": "orientation"}),
    ]  # fmt: skip
    assert [p.name for p in plugins] == ["broken-fact-check", "caps-hours"]
    findings, _ = host.check_record(stream, hours, STUDENT, {"hours": 8}, NOW)
    assert [f.code for f in findings] == ["check.failed"]
    assert PluginHost().check_record(stream, hours, STUDENT, {"hours": 9}, NOW) == ([], [])
