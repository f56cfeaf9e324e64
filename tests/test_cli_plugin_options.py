"""The plugin options of the command line: --block NAME and --config FILE."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from stageborging import Engine, load_definition
from stageborging.cli import main
from stageborging.lifecycles import mbo_bpv
from stageborging.testing import FakeClock
from support import PLACEMENT_OFFICE, mbo_details
from test_plugin_loading import install

#: Refuses to start without its settings; names its lifecycle after them.
TUNED = """
import attrs
from stageborging import hookimpl
from stageborging.lifecycles import mbo_bpv

NAME = []


@hookimpl
def stageborging_configure(config):
    if "tuned-plugin" not in config:
        raise ValueError("needs a [tuned-plugin] table")
    NAME[:] = [config["tuned-plugin"]["lifecycle"]]


@hookimpl
def stageborging_lifecycles():
    return [attrs.evolve(mbo_bpv(), name=NAME[0])]
"""

#: Every command that builds a registry or an engine, with arguments it needs.
COMMANDS = {
    "demo": ["demo", "--students", "1"],
    "audit verify": ["audit", "verify"],
    "lifecycle show": ["lifecycle", "show"],
    "lifecycle check": ["lifecycle", "check", "mbo_bpv"],
    "lifecycle export": ["lifecycle", "export", "mbo_bpv"],
    "plugins": ["plugins"],
}


@pytest.fixture
def tuned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tuned plugin installed, and a settings file for it (the path returned)."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    install(site, "tuned-plugin", "tuned_plugin", TUNED, version="2.0.1")
    config = tmp_path / "settings.toml"
    config.write_text('[tuned-plugin]\nlifecycle = "tuned_bpv"\n', encoding="utf-8")
    return config


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("STAGEBORGING_CONFIG", raising=False)
    return CliRunner()


def test_config_reaches_an_installed_plugin(runner: CliRunner, tuned: Path) -> None:
    """The file's tables are the plugins' settings, for every command that lists or checks."""
    listed = runner.invoke(main, ["plugins", "--config", str(tuned)])
    assert listed.exit_code == 0, listed.output
    assert "tuned-plugin" in listed.output
    assert "2.0.1" in listed.output
    assert "Lifecycles from plugins: tuned_bpv" in listed.output
    shown = runner.invoke(main, ["lifecycle", "show", "tuned_bpv", "--config", str(tuned)])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("tuned_bpv ")
    checked = runner.invoke(main, ["lifecycle", "check", "tuned_bpv", "--config", str(tuned)])
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("tuned_bpv: sound")


def test_export_writes_a_plugins_lifecycle(runner: CliRunner, tuned: Path, tmp_path: Path) -> None:
    """A plugin's lifecycle exports like a built-in, and the file loads back to its digest."""
    out = tmp_path / "tuned.toml"
    argv = ["lifecycle", "export", "tuned_bpv", "--out", str(out), "--config", str(tuned)]
    result = runner.invoke(main, argv)
    assert result.exit_code == 0, result.output
    expected = attrs.evolve(mbo_bpv(), name="tuned_bpv")
    assert load_definition(out).digest == expected.digest


def test_config_defaults_to_the_environment_variable(
    runner: CliRunner, tuned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--config falls back to $STAGEBORGING_CONFIG."""
    monkeypatch.setenv("STAGEBORGING_CONFIG", str(tuned))
    result = runner.invoke(main, ["lifecycle", "show", "tuned_bpv", "--format", "mermaid"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("stateDiagram-v2")


def test_a_plugin_refusing_its_missing_settings_is_a_message(
    runner: CliRunner, tuned: Path
) -> None:
    """Without the settings file the plugin refuses to start: one line naming it, exit 2."""
    result = runner.invoke(main, ["plugins"])
    assert result.exit_code == 2
    assert "tuned-plugin" in result.output
    assert "needs a [tuned-plugin] table" in result.output
    assert "Traceback" not in result.output


def test_audit_verify_uses_the_settings_and_the_block_list(
    runner: CliRunner, tuned: Path, tmp_path: Path, clock: FakeClock
) -> None:
    """The settings and the block list reach the verifier; the database keeps the plugin's
    definition, so its streams are judged even when the plugin is blocked."""
    db = tmp_path / "tuned.db"
    settings = {"tuned-plugin": {"lifecycle": "tuned_bpv"}}
    with Engine(db, entry_points=True, config=settings, clock=clock) as engine:
        engine.open("tuned_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
    verify = ["audit", "verify", "--db", str(db), "--format", "json"]
    known = runner.invoke(main, [*verify, "--config", str(tuned)])
    assert known.exit_code == 0, known.output
    assert json.loads(known.stdout)["warnings"] == []
    blocked = runner.invoke(main, [*verify, "--config", str(tuned), "--block", "tuned-plugin"])
    assert blocked.exit_code == 0, blocked.output
    assert json.loads(blocked.stdout)["judged"] is True
    refusing = runner.invoke(main, verify)
    assert refusing.exit_code == 0, refusing.output
    assert "warning: plugin lifecycles not loaded" in refusing.stderr
    assert "needs a [tuned-plugin] table" in refusing.stderr


def test_a_blocked_plugin_contributes_no_lifecycle(runner: CliRunner, tuned: Path) -> None:
    """--block keeps an installed plugin out of lifecycle show and check."""
    argv = ["tuned_bpv", "--config", str(tuned), "--block", "tuned-plugin"]
    shown = runner.invoke(main, ["lifecycle", "show", *argv])
    assert shown.exit_code == 2
    assert "'tuned_bpv' is not a lifecycle" in shown.output
    checked = runner.invoke(main, ["lifecycle", "check", *argv])
    assert checked.exit_code == 2
    assert "unknown lifecycle" in checked.output


def test_plugins_block_the_built_in_defaults(runner: CliRunner) -> None:
    """A blocked plugin is not listed as loaded, but under 'Not loaded'; exit status 0."""
    result = runner.invoke(main, ["plugins", "--block", "stageborging.defaults"])
    assert result.exit_code == 0, result.output
    loaded, _, not_loaded = result.output.partition("Not loaded:")
    assert "stageborging.defaults" not in loaded
    assert "stageborging.defaults: blocked by configuration; not loaded" in not_loaded


def test_a_block_that_matches_no_plugin_is_a_warning(runner: CliRunner) -> None:
    """A misspelt name blocks nothing: say so on stderr, and go on."""
    result = runner.invoke(main, ["plugins", "--block", "stageborging.default"])
    assert result.exit_code == 0, result.output
    assert "warning: --block stageborging.default: no plugin of that name" in result.stderr
    assert "stageborging.defaults" in result.stdout


def test_demo_blocks_the_built_in_defaults(runner: CliRunner, tmp_path: Path) -> None:
    """The demo's engine runs without a blocked plugin: no event names it."""
    db = tmp_path / "d.db"
    plain = runner.invoke(main, ["demo", "--db", str(db), "--students", "3"])
    assert plain.exit_code == 0, plain.output
    headers = [row[0] for row in sqlite3.connect(db).execute("SELECT header FROM events")]
    assert any(b"stageborging.defaults" in bytes(h) for h in headers)
    argv = ["demo", "--db", str(db), "--students", "3", "--block", "stageborging.defaults"]
    blocked = runner.invoke(main, argv)
    assert blocked.exit_code == 0, blocked.output
    headers = [row[0] for row in sqlite3.connect(db).execute("SELECT header FROM events")]
    assert headers
    assert not any(b"stageborging.defaults" in bytes(h) for h in headers)
    assert "Audit log: intact" in blocked.output


def test_demo_accepts_settings(runner: CliRunner, tmp_path: Path) -> None:
    """A settings file is passed to the demo's plugins (none of them refuses it)."""
    config = tmp_path / "demo.toml"
    config.write_text("[demo-register]\nstrict = true\n", encoding="utf-8")
    argv = ["demo", "--db", str(tmp_path / "d.db"), "--students", "2", "--config", str(config)]
    result = runner.invoke(main, argv)
    assert result.exit_code == 0, result.output
    assert "Audit log: intact" in result.output


def test_demo_cannot_block_its_own_register(runner: CliRunner, tmp_path: Path) -> None:
    """Without its recognition register the demo's story cannot run: a usage error first."""
    db = tmp_path / "d.db"
    result = runner.invoke(main, ["demo", "--db", str(db), "--block", "demo-register"])
    assert result.exit_code == 2
    assert "'--block'" in result.output
    assert "'demo-register': the demo needs its recognition register" in result.output
    assert not db.exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "does not exist"),
        ("[tuned-plugin\n", "not valid TOML"),
        ("threshold = 3\n", "'threshold' is not in a table"),
        (b"\xff\xfe[a]\n", "not valid TOML"),
    ],
    ids=["missing", "malformed", "outside-a-table", "not-utf8"],
)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bad_config_file_is_a_usage_error(
    runner: CliRunner, tmp_path: Path, command: str, content: str | bytes | None, problem: str
) -> None:
    """Exit status 2 naming the option and the file, before anything is written."""
    config = tmp_path / "settings.toml"
    if isinstance(content, str):
        config.write_text(content, encoding="utf-8")
    elif content is not None:
        config.write_bytes(content)
    db = tmp_path / "out.db"
    argv = [*COMMANDS[command], "--config", str(config)]
    if command in ("demo", "audit verify"):
        argv += ["--db", str(db)]
    result = runner.invoke(main, argv)
    assert result.exit_code == 2, result.output
    assert "'--config'" in result.output
    assert "settings.toml" in result.output
    assert problem in result.output
    assert "Traceback" not in result.output
    assert not db.exists()


def test_a_bad_config_keeps_the_previous_demo(runner: CliRunner, tmp_path: Path) -> None:
    """The demo replaces its database only once the options are sound."""
    db = tmp_path / "d.db"
    assert runner.invoke(main, ["demo", "--db", str(db), "--students", "2"]).exit_code == 0
    before = db.read_bytes()
    config = tmp_path / "bad.toml"
    config.write_text("[unclosed\n", encoding="utf-8")
    argv = ["demo", "--db", str(db), "--students", "3", "--config", str(config)]
    assert runner.invoke(main, argv).exit_code == 2
    assert db.read_bytes() == before


def test_plugins_never_writes_the_database(runner: CliRunner, tmp_path: Path) -> None:
    """--db is accepted for older scripts and ignored: an existing file is left as it is."""
    db = tmp_path / "school.db"
    with Engine(db) as engine:
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
    files = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    result = runner.invoke(main, ["plugins", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == files
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database", encoding="utf-8")
    assert runner.invoke(main, ["plugins", "--db", str(foreign)]).exit_code == 0
    assert foreign.read_text(encoding="utf-8") == "not a database"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_that_loads_plugins_has_both_options(runner: CliRunner, command: str) -> None:
    """The help of each command shows --block NAME and --config FILE with its variable."""
    result = runner.invoke(main, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "--block NAME" in result.output
    assert "--config FILE" in result.output
    assert "STAGEBORGING_CONFIG" in result.output
