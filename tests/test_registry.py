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
