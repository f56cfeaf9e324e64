"""The README's promises: its example runs, and its two commands are the documented ones."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_example_runs(tmp_path: Path) -> None:
    """The embedding example runs as printed and shows the refusal in Dutch."""
    (code,) = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("recognition.no_verifier - Er is geen controle op erkenning")
    assert (tmp_path / "school.db").exists()


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one() -> None:
    """A fresh clone needs two commands; .ci/run uses the same test command."""
    commands = re.findall(r"```sh\n(.*?)\n```", README.split("## Quick start")[1].split("##")[0])
    assert len(commands) == 2
    demo, tests = commands
    assert demo.endswith("stageborging demo")
    installed = re.search(r"pip install -q -e \. (\S+) &&", demo)
    assert installed is not None, "the demo command installs the Dutch MBO defaults too"
    assert (ROOT / installed.group(1) / "pyproject.toml").is_file()
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
