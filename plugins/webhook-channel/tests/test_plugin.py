"""The plugin as stageborging sees it: its entry point and name, and the testing kit's
contract suites (every plugin's, and every channel's) against a real receiver."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path
from typing import Any

import pytest
from stageborging import Engine
from stageborging.testing import ChannelContract, PluginContract

from conftest import ROOT, SECRET_ENV, Receiver
from stageborging_webhook import __version__, plugin


def test_the_entry_point_names_the_plugin_module() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    entry_points = project["project"]["entry-points"]["stageborging"]
    assert entry_points == {"webhook": "stageborging_webhook.plugin"}
    assert plugin.name == "webhook"
    assert project["project"]["name"] == "stageborging-webhook"
    assert {"httpx>=0.27", "standardwebhooks>=1.0"} <= set(project["project"]["dependencies"])


def test_the_entry_point_registers_the_plugin(tmp_path: Path, receiver: Receiver) -> None:
    """Installed (pip install plugins/webhook-channel), the plugin loads by its entry point."""
    names = {e.name for e in importlib.metadata.entry_points(group="stageborging")}
    if "webhook" not in names:
        pytest.skip("the distribution is not installed in this environment")
    config = {"webhook": {"url": receiver.url(), "secret_env": SECRET_ENV}}
    with Engine(tmp_path / "x.db", entry_points=True, config=config) as engine:
        status = {p.name: p for p in engine.plugin_status()}
        assert "webhook" in engine.dispatcher().channels
    assert status["webhook"].source == "entry point"
    assert status["webhook"].version == importlib.metadata.version("stageborging-webhook")
    assert status["webhook"].version == __version__


class TestPluginContract(PluginContract):
    """Every plugin's contract: it registers cleanly and queues nothing malformed."""

    @pytest.fixture
    def plugin(self) -> object:
        return plugin


class TestChannelContract(ChannelContract):
    """Every channel's contract, against a real receiver (and a closed port)."""

    @pytest.fixture
    def plugin(self) -> object:
        return plugin

    @pytest.fixture
    def channel_name(self) -> str:
        return "webhook"

    @pytest.fixture
    def plugin_config(self, receiver: Receiver) -> dict[str, Any]:
        # the engine's whole config, despite the fixture's name: the plugin's table in it
        return {"webhook": {"url": receiver.url(), "secret_env": SECRET_ENV}}

    @pytest.fixture
    def unreachable_config(self, closed_port: int) -> dict[str, Any]:
        return {"webhook": {"url": f"http://127.0.0.1:{closed_port}/", "secret_env": SECRET_ENV}}
