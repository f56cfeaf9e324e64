"""Plugins from installed distributions, block lists, settings and plugin lifecycles."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from stageborging import Engine, PluginError, hookimpl
from stageborging.cli import main
from stageborging.pluginhost import PluginHost
from stageborging.testing import FakeClock
from support import PLACEMENT_OFFICE, STUDENT, mbo_details

ACME = """
import attrs
from stageborging import Finding, Transition, hookimpl
from stageborging.lifecycles import mbo_bpv

SETTINGS = {}


@hookimpl
def stageborging_configure(config):
    SETTINGS.update(config.get("acme", {}))


@hookimpl
def stageborging_check_transition(transition):
    if transition.trigger == "begin_search" and SETTINGS.get("remind"):
        return [Finding("acme.reminder", "info", "Remember the application training.")]
    return None


@hookimpl
def stageborging_lifecycles():
    base = mbo_bpv()
    pause = Transition("pause_search", ["searching"], "orientation", ["coach"])
    return [attrs.evolve(base, name="acme_bpv", transitions=(*base.transitions, pause))]
"""


def install(site: Path, name: str, module: str, code: str, version: str = "1.2.3") -> None:
    """Install a distribution the way pip leaves it: a module and its .dist-info."""
    (site / f"{module}.py").write_text(textwrap.dedent(code), encoding="utf-8")
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[stageborging]\n{name} = {module}\n", encoding="utf-8")
    (info / "top_level.txt").write_text(f"{module}\n", encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site-packages directory of our own on sys.path."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    return path


def test_installed_plugins_are_found_by_entry_point(
    site: Path, db_path: Path, clock: FakeClock
) -> None:
    """A distribution declaring the stageborging entry point is loaded, with its version."""
    install(site, "acme-stageborging", "acme_plugin", ACME)
    config = {"acme": {"remind": True}}
    with Engine(db_path, entry_points=True, config=config, clock=clock) as engine:
        status = {p.name: p for p in engine.plugin_status()}
        acme = status["acme-stageborging"]
        assert (acme.version, acme.source) == ("1.2.3", "entry point")
        assert acme.hooks == (
            "stageborging_check_transition",
            "stageborging_configure",
            "stageborging_lifecycles",
        )
        sid = engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        event = engine.fire(sid, "begin_search", actor=STUDENT)
    assert [f.code for f in event.findings] == ["acme.reminder"]
    assert ("acme-stageborging", "1.2.3") in {(p.name, p.version) for p in event.plugins}


def test_entry_points_are_off_unless_asked_for(site: Path, db_path: Path) -> None:
    """An embedding host decides: plugins installed in the environment stay out by default."""
    install(site, "acme-stageborging", "acme_plugin", ACME)
    with Engine(db_path) as engine:
        assert "acme-stageborging" not in {p.name for p in engine.plugins}
        assert "acme_bpv" not in engine.lifecycles


@pytest.mark.hook("stageborging_lifecycles")
def test_a_plugin_lifecycle_is_validated_and_usable(
    site: Path, db_path: Path, clock: FakeClock
) -> None:
    """A variant contributed by a plugin opens streams like a built-in one."""
    install(site, "acme-stageborging", "acme_plugin", ACME)
    with Engine(db_path, entry_points=True, clock=clock) as engine:
        sid = engine.open("acme_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        engine.fire(sid, "begin_search", actor=STUDENT)
        coach = engine.lifecycle("acme_bpv").transitions_by_trigger["pause_search"].roles[0]
        assert coach == "coach"
        assert engine.verify().ok


@pytest.mark.hook("stageborging_lifecycles")
def test_a_plugin_lifecycle_that_drops_a_hard_guard_stops_start_up(
    site: Path, db_path: Path
) -> None:
    """The engine refuses to start, naming the plugin and the transition."""
    code = """
    import attrs
    from stageborging import hookimpl
    from stageborging.lifecycles import mbo_bpv

    @hookimpl
    def stageborging_lifecycles():
        base = mbo_bpv()
        unsigned = [attrs.evolve(t, guards=()) if t.trigger == "confirm_signatures" else t
                    for t in base.transitions]
        return [attrs.evolve(base, name="quick_bpv", transitions=unsigned)]
    """
    install(site, "quick-bpv", "quick_plugin", code)
    with pytest.raises(PluginError) as info:
        Engine(db_path, entry_points=True)
    assert info.value.plugin == "quick-bpv"
    assert "-confirm_signatures-> ready_to_start -start-> active" in str(info.value)
    assert "reachable without the signatures guard" in str(info.value)


def test_a_plugin_that_fails_to_import_is_reported_not_fatal(
    site: Path, db_path: Path, clock: FakeClock
) -> None:
    """An import error is a named problem; the engine and the other plugins work."""
    install(site, "broken-plugin", "broken_plugin", "import not_a_module_anywhere\n")
    install(site, "acme-stageborging", "acme_plugin", ACME)
    with Engine(db_path, entry_points=True, clock=clock) as engine:
        (problem,) = engine.plugin_problems
        assert problem.name == "broken-plugin"
        assert "ModuleNotFoundError" in problem.problem
        assert "acme-stageborging" in {p.name for p in engine.plugins}
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())


def test_a_blocked_plugin_is_not_loaded(site: Path, db_path: Path) -> None:
    """The block list keeps an installed plugin out, and says so."""
    install(site, "acme-stageborging", "acme_plugin", ACME)
    with Engine(db_path, entry_points=True, block=["acme-stageborging"]) as engine:
        assert "acme-stageborging" not in {p.name for p in engine.plugins}
        assert "acme_bpv" not in engine.lifecycles
        assert [p.name for p in engine.plugin_problems] == ["acme-stageborging"]


def test_a_misspelled_hook_in_an_installed_plugin_fails_at_start_up(
    site: Path, db_path: Path
) -> None:
    """check_pending runs for entry-point plugins too: the error names plugin and hook."""
    code = """
    from stageborging import hookimpl

    @hookimpl
    def stageborging_check_transitions(transition):
        return None
    """
    install(site, "typo-plugin", "typo_plugin", code)
    with pytest.raises(PluginError, match=r"typo-plugin.*stageborging_check_transitions"):
        Engine(db_path, entry_points=True)


@pytest.mark.hook("stageborging_configure")
def test_a_plugin_refusing_its_settings_stops_start_up(db_path: Path) -> None:
    """A configure hook that raises is an error naming the plugin."""

    class Strict:
        name = "strict"

        @hookimpl
        def stageborging_configure(self, config: dict[str, object]) -> None:
            if "strict" not in config:
                raise ValueError("needs a 'strict' section")

    with pytest.raises(PluginError, match=r"strict.*needs a 'strict' section"):
        Engine(db_path, plugins=[Strict()])
    Engine(db_path, plugins=[Strict()], config={"strict": {}}).close()


@pytest.mark.hook("stageborging_configure")
def test_configure_is_historic() -> None:
    """A plugin registered after start-up is configured with the same settings."""
    seen: list[object] = []

    class Late:
        name = "late"

        @hookimpl
        def stageborging_configure(self, config: dict[str, object]) -> None:
            seen.append(config["level"])

    host = PluginHost(config={"level": 3})
    host.register(Late())
    assert seen == [3]


def test_plugins_command_lists_installed_plugins_and_problems(site: Path, tmp_path: Path) -> None:
    """`stageborging plugins` shows name, version, hooks; problems give exit status 1."""
    install(site, "acme-stageborging", "acme_plugin", ACME)
    runner = CliRunner()
    result = runner.invoke(main, ["plugins", "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 0, result.output
    assert "acme-stageborging" in result.output
    assert "1.2.3" in result.output
    assert "stageborging_lifecycles" in result.output
    assert "Lifecycles from plugins: acme_bpv" in result.output
    shown = runner.invoke(main, ["lifecycle", "show", "acme_bpv"])
    assert "pause_search" in shown.output
    install(site, "broken-plugin", "broken_plugin", "raise RuntimeError('boom')\n")
    result = runner.invoke(main, ["plugins", "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 1
    assert "broken-plugin: cannot be imported (broken_plugin): RuntimeError: boom" in result.output


def test_audit_verify_knows_plugin_lifecycles(site: Path, tmp_path: Path, clock: FakeClock) -> None:
    """Streams under an installed plugin's lifecycle get their facts recomputed too."""
    install(site, "acme-stageborging", "acme_plugin", ACME)
    db = tmp_path / "acme.db"
    with Engine(db, entry_points=True, clock=clock) as engine:
        engine.open("acme_bpv", actor=PLACEMENT_OFFICE, data=mbo_details())
    result = CliRunner().invoke(main, ["audit", "verify", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"warnings": []' in result.output  # no "facts not recomputed" warning


def test_listing_plugins_creates_no_database(site: Path, tmp_path: Path) -> None:
    """`stageborging plugins` reads; it never creates the database it is pointed at."""
    result = CliRunner().invoke(main, ["plugins", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "none.db").exists()


def test_an_installed_plugin_without_hooks_is_reported_not_fatal(site: Path, db_path: Path) -> None:
    """An entry point whose module marks nothing with @hookimpl would silently do nothing."""
    install(site, "forgot-hookimpl", "forgot_plugin", "def stageborging_check_transition(): ...")
    install(site, "acme-stageborging", "acme_plugin", ACME)
    with Engine(db_path, entry_points=True) as engine:
        (problem,) = engine.plugin_problems
        assert problem.name == "forgot-hookimpl"
        assert "implements no stageborging hook; forgot @hookimpl?" in problem.problem
        assert "acme-stageborging" in [p.name for p in engine.plugins]


# -- the version of a plugin passed as a module -------------------------------------------

PLAIN_PLUGIN = """
from stageborging import hookimpl


@hookimpl
def stageborging_check_transition(transition):
    return None
"""


def dist_info(site: Path, name: str, version: str, record: list[str], **files: str) -> None:
    """A .dist-info in *site* whose RECORD lists *record* (and no top_level.txt)."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = [*record, f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    for filename, text in files.items():
        (info / filename.replace("_json", ".json")).write_text(text, encoding="utf-8")


def version_of(module: str) -> str:
    """The version the host records for *module*, passed as a plugin."""
    return PluginHost([importlib.import_module(module)], defaults=False).plugins[0].version


def test_a_module_of_an_editable_install_has_its_distributions_version(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editable install maps no top-level name to its distribution: its files decide."""
    source = tmp_path / "checkout" / "src"
    (source / "roc_editable").mkdir(parents=True)
    (source / "roc_editable" / "__init__.py").write_text("", encoding="utf-8")
    (source / "roc_editable" / "plugin.py").write_text(PLAIN_PLUGIN, encoding="utf-8")
    (site / "_roc_editable.pth").write_text(f"{source}\n", encoding="utf-8")
    url = json.dumps({"url": (tmp_path / "checkout").as_uri(), "dir_info": {"editable": True}})
    dist_info(site, "roc-editable", "2.4.1", ["_roc_editable.pth,,"], direct_url_json=url)
    monkeypatch.syspath_prepend(str(source))  # what the .pth does at interpreter start
    assert importlib.metadata.packages_distributions().get("roc_editable") is None
    assert version_of("roc_editable.plugin") == "2.4.1"


def test_each_module_of_a_namespace_package_has_its_own_distributions_version(
    site: Path,
) -> None:
    """Two distributions share the namespace ``roc_ns``: each plugin module gets its own."""
    for part, version in (("flags", "1.0.0"), ("hours", "3.1.0")):
        (site / "roc_ns" / part).mkdir(parents=True)
        (site / "roc_ns" / part / "__init__.py").write_text(PLAIN_PLUGIN, encoding="utf-8")
        record = [f"roc_ns/{part}/__init__.py,,"]
        dist_info(site, f"roc-ns-{part}", version, record, top_level_txt="roc_ns\n")
    assert version_of("roc_ns.flags") == "1.0.0"
    assert version_of("roc_ns.hours") == "3.1.0"


def test_a_module_of_a_distribution_pip_installed_has_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real distribution, built with hatchling and installed by pip into a directory."""
    project = tmp_path / "roc-real"
    (project / "src" / "roc_real").mkdir(parents=True)
    (project / "src" / "roc_real" / "__init__.py").write_text(PLAIN_PLUGIN, encoding="utf-8")
    (project / "pyproject.toml").write_text(
        textwrap.dedent("""
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "roc-real"
            version = "0.7.2"
        """),
        encoding="utf-8",
    )
    target = tmp_path / "target"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(project)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    monkeypatch.syspath_prepend(str(target))
    assert version_of("roc_real") == "0.7.2"
