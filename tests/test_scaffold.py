"""`stageborging new-plugin`: a package that installs with pip and passes its own tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from stageborging.cli import main


def run(*args: str, cwd: Path, site: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if site is not None:
        inherited = env.get("PYTHONPATH", "").split(os.pathsep)  # as the tests see it
        env["PYTHONPATH"] = os.pathsep.join(
            [str(site), *(os.path.abspath(p) for p in inherited if p)]
        )
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_new_plugin_writes_a_package(tmp_path: Path) -> None:
    """The scaffold holds a pyproject with the entry point, the plugin, tests and a README."""
    target = tmp_path / "roc-flags"
    result = CliRunner().invoke(main, ["new-plugin", "roc-flags", "--dir", str(target)])
    assert result.exit_code == 0, result.output
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "pyproject.toml",
        "src/roc_flags/__init__.py",
        "src/roc_flags/plugin.py",
        "tests/test_plugin.py",
    ]
    pyproject = (target / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points.stageborging]\nroc-flags = "roc_flags.plugin"' in pyproject


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new-plugin", "Roc Flags"], "use lowercase letters"),
        (["new-plugin", "roc-flags", "--dir", "{full}"], "exists and is not empty"),
    ],
)
def test_new_plugin_refuses_bad_names_and_full_directories(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """A name that is no distribution name, or a directory with files, is refused."""
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine", encoding="utf-8")
    argv = [a.format(full=full) for a in args]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2
    assert message in result.output
    assert (full / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_the_scaffold_installs_and_passes_its_own_tests(tmp_path: Path) -> None:
    """pip installs it next to stageborging; its tests pass; `stageborging plugins` lists it."""
    target, site = tmp_path / "roc-flags", tmp_path / "site"
    assert (
        CliRunner().invoke(main, ["new-plugin", "roc-flags", "--dir", str(target)]).exit_code == 0
    )
    installed = run(
        "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
        "--target", str(site), str(target), cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    assert (site / "roc_flags" / "plugin.py").exists()

    tests = run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=target, site=site)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "8 passed" in tests.stdout

    listed = run("-m", "stageborging", "plugins", "--db", str(tmp_path / "p.db"), cwd=tmp_path,
                 site=site)  # fmt: skip
    assert listed.returncode == 0, listed.stdout + listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.startswith("roc-flags"))
    assert line.split() == ["roc-flags", "0.1.0", "entry", "point"]
    assert "stageborging_guidance_steps" in listed.stdout


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a" * 300, "at most 64"),
        ("import", "is a Python keyword"),
        ("class", "is a Python keyword"),
        ("stageborging", "is stageborging itself"),
        ("json", "would hide the standard-library module"),
    ],
)
def test_new_plugin_writes_nothing_for_a_name_it_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, message: str
) -> None:
    """A name too long, a keyword, stageborging itself or a standard module: exit 2, no files."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["new-plugin", name])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["under_a_file", "too_long"])
def test_new_plugin_in_a_place_it_cannot_write(tmp_path: Path, where: str) -> None:
    """--dir under a file, or too long a path: one line, exit 2, nothing left behind."""
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    target = blocker / "roc" if where == "under_a_file" else tmp_path / ("d" * 300)
    result = CliRunner().invoke(main, ["new-plugin", "roc-flags", "--dir", str(target)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ")
    assert "cannot be written" in result.output
    assert len(result.output.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere")
def test_new_plugin_in_a_read_only_folder(tmp_path: Path) -> None:
    """A folder without write permission: one line, exit 2."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = CliRunner().invoke(main, ["new-plugin", "roc-flags", "--dir", str(locked / "r")])
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 2, result.output
    assert "Permission denied" in result.output
    assert list(locked.iterdir()) == []


def test_new_plugin_appears_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write failing halfway (a full disk) leaves no partial package and no new folders."""
    real = Path.write_text
    calls: list[Path] = []

    def fill_up(self: Path, *args: object, **kwargs: object) -> int:
        calls.append(self)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(self))
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", fill_up)
    target = tmp_path / "new" / "deeper" / "roc-flags"
    result = CliRunner().invoke(main, ["new-plugin", "roc-flags", "--dir", str(target)])
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.output
    assert len(calls) == 3
    assert list(tmp_path.iterdir()) == []


def test_new_plugin_fills_an_empty_folder(tmp_path: Path) -> None:
    """An existing empty folder is used; the package gets the usual permissions."""
    target = tmp_path / "empty"
    target.mkdir()
    result = CliRunner().invoke(main, ["new-plugin", "roc-flags", "--dir", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "src" / "roc_flags" / "plugin.py").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]
    probe = tmp_path / "probe"
    probe.mkdir()
    assert target.stat().st_mode & 0o777 == probe.stat().st_mode & 0o777
