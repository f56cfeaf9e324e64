"""The registry: plugins and lifecycles without a database, shared by engines and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from stageborging import Engine, InvalidInput, PluginError, Registry, hookimpl
from stageborging.lifecycles import builtin


class Quiet:
    name = "quiet"

    @hookimpl
    def stageborging_check_transition(self) -> None:
        return None


def test_a_registry_lists_lifecycles_and_plugins_without_a_database(tmp_path: Path) -> None:
    """Listing what an installation knows creates no file."""
    registry = Registry([Quiet()])
    assert set(registry.lifecycles) == {d.name for d in builtin()}
    assert "quiet" in [p.name for p in registry.plugins]
    assert list(tmp_path.iterdir()) == []


def test_two_engines_can_run_on_one_registry(tmp_path: Path) -> None:
    """An engine given a registry runs on its plugins and lifecycles."""
    registry = Registry([Quiet()])
    with (
        Engine(tmp_path / "a.db", registry=registry) as a,
        Engine(tmp_path / "b.db", registry=registry) as b,
    ):
        assert a.plugins == b.plugins == registry.plugins
        assert a.lifecycle("case") is b.lifecycle("case")


def test_a_registry_and_plugin_arguments_are_not_both_given(tmp_path: Path) -> None:
    """Either the registry decides the plugins or the arguments do, never a mix."""
    with pytest.raises(InvalidInput, match="registry"):
        Engine(tmp_path / "x.db", registry=Registry(), plugins=[Quiet()])
    with pytest.raises(InvalidInput, match="must be a Registry"):
        Engine(tmp_path / "x.db", registry=object())  # type: ignore[arg-type]
    assert not (tmp_path / "x.db").exists()


def test_plugins_register_and_unregister_through_the_engine(tmp_path: Path) -> None:
    """The public API adds a plugin to a running engine and takes it away again."""
    with Engine(tmp_path / "e.db") as engine:
        name = engine.register_plugin(Quiet())
        assert name in [p.name for p in engine.plugins]
        with pytest.raises(PluginError, match="quiet"):
            engine.register_plugin(Quiet())
        engine.unregister_plugin(name)
        assert name not in [p.name for p in engine.plugins]
        with pytest.raises(InvalidInput, match="name"):
            engine.unregister_plugin(name)


class Steps:
    name = "late-steps"

    @hookimpl
    def stageborging_guidance_steps(self) -> list[object]:
        return []


class Half:
    """One marked hook, one that forgot @hookimpl."""

    name = "half"

    @hookimpl
    def stageborging_check_transition(self) -> None:
        return None

    def stageborging_after_transition(self) -> None:  # never called: not marked
        return None


def test_a_plugin_added_late_may_not_implement_start_up_hooks(tmp_path: Path) -> None:
    """Guidance steps and lifecycles are collected once; a late plugin offering them is refused."""
    with Engine(tmp_path / "e.db") as engine:
        with pytest.raises(PluginError, match="stageborging_guidance_steps is collected"):
            engine.register_plugin(Steps())
        assert "late-steps" not in [p.name for p in engine.plugins]
    with Engine(tmp_path / "f.db", plugins=[Steps()]) as engine:  # at start-up: fine
        assert "late-steps" in [p.name for p in engine.plugins]


@pytest.mark.parametrize(
    ("plugin", "name", "problem"),
    [
        (None, None, "is no plugin"),
        ("stageborging.defaults", None, "is no plugin"),
        (Quiet(), "stageborging", "hard rules"),
        (Half(), None, "stageborging_after_transition is not marked with @hookimpl"),
    ],
)
def test_what_cannot_be_a_plugin_is_refused_by_name(
    tmp_path: Path, plugin: object, name: str | None, problem: str
) -> None:
    """Nothing, a string, the hard rules' own name, an unmarked hook: each a PluginError."""
    with Engine(tmp_path / "e.db") as engine:
        before = engine.plugins
        with pytest.raises(PluginError, match=problem):
            engine.register_plugin(plugin, name=name)
        assert engine.plugins == before


@pytest.mark.parametrize("name", [5, "", "two words", "line\nbreak"])
def test_a_plugin_name_must_be_well_formed(tmp_path: Path, name: object) -> None:
    """register_plugin(name=...) takes names like ids: the field is named, nothing registered."""
    with Engine(tmp_path / "e.db") as engine:
        with pytest.raises(InvalidInput) as info:
            engine.register_plugin(Quiet(), name=name)  # type: ignore[arg-type]
        assert info.value.field == "name"
        assert "quiet" not in [p.name for p in engine.plugins]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"plugins": None}, "plugins"),
        ({"lifecycles": "mbo_bpv"}, "lifecycles"),
        ({"block": "stageborging.defaults"}, "block"),
        ({"block": [5]}, "block"),
        ({"config": "x"}, "config"),
        ({"config": [1]}, "config"),
    ],
)
def test_registry_arguments_of_the_wrong_shape_are_named(
    arguments: dict[str, object], field: str
) -> None:
    """A string where a list of names belongs, settings that are no mapping: InvalidInput."""
    with pytest.raises(InvalidInput) as info:
        Registry(**arguments)  # type: ignore[arg-type]
    assert info.value.field == field
