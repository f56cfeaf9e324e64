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
    assert "7 passed" in tests.stdout

    listed = run("-m", "stageborging", "plugins", "--db", str(tmp_path / "p.db"), cwd=tmp_path,
                 site=site)  # fmt: skip
    assert listed.returncode == 0, listed.stdout + listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.startswith("roc-flags"))
    assert line.split() == ["roc-flags", "0.1.0", "entry", "point"]
    assert "stageborging_guidance_steps" in listed.stdout
