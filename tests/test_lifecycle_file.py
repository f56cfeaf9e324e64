"""Definitions in data files, and `stageborging lifecycle check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from stageborging import DefinitionError, Engine, UnguardedPath
from stageborging.cli import main
from stageborging.lifecycles import builtin, definition_from_data, load_definition
from stageborging.testing import FakeClock
from support import PLACEMENT_OFFICE, mbo_details

EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "roc_bpv.toml"


@pytest.mark.parametrize("definition", builtin(), ids=lambda d: d.name)
def test_json_round_trips(definition, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """What to_json writes, load_definition reads back: the same definition and digest."""
    path = tmp_path / f"{definition.name}.json"
    path.write_text(json.dumps(definition.to_json()), encoding="utf-8")
    loaded = load_definition(path)
    assert loaded == definition
    assert loaded.digest == definition.digest


def test_the_documented_toml_example_runs(db_path: Path, clock: FakeClock) -> None:
    """The TOML file in the docs is a working lifecycle."""
    roc = load_definition(EXAMPLE)
    assert roc.phase_of["intake"] == "orientation"
    details = {k: v for k, v in mbo_details().items() if k in ("student", "programme",
               "qualification", "planned_start", "planned_end")}  # fmt: skip
    with Engine(db_path, lifecycles=[roc], clock=clock) as engine:
        sid = engine.open(roc.name, actor=PLACEMENT_OFFICE, data=details).stream_id
        assert engine.fire(sid, "finish_intake", actor=PLACEMENT_OFFICE).to_state == "orientation"


@pytest.mark.parametrize(
    ("change", "element", "problem"),
    [
        ({"colour": "red"}, "key 'colour'", "unknown"),
        ({"initial": None}, "key 'initial'", "required"),
        ({"transitions": [{"trigger": "x"}]}, "roc.json", "malformed"),
    ],
)
def test_a_malformed_file_names_the_key(
    tmp_path: Path, change: dict[str, object], element: str, problem: str
) -> None:
    """Unknown, missing and malformed keys are errors naming the key."""
    data = builtin()[0].to_json() | {"name": "roc"} | change
    data = {k: v for k, v in data.items() if v is not None}
    path = tmp_path / "roc.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    assert info.value.element == element
    assert problem in info.value.problem


def test_an_unreadable_file_is_a_definition_error(tmp_path: Path) -> None:
    """Broken TOML or an unknown suffix are reported, not raised as parser errors."""
    bad = tmp_path / "x.toml"
    bad.write_text("name = [", encoding="utf-8")
    with pytest.raises(DefinitionError, match="cannot be read"):
        load_definition(bad)
    with pytest.raises(DefinitionError, match=r"use a \.json or \.toml file"):
        load_definition(tmp_path / "x.yaml")


def test_check_accepts_a_sound_lifecycle_by_name_or_file() -> None:
    """Exit status 0 and the verdict."""
    runner = CliRunner()
    for target in ("case", str(EXAMPLE)):
        result = runner.invoke(main, ["lifecycle", "check", target])
        assert result.exit_code == 0, result.output
        assert ": sound (" in result.output


def test_check_prints_the_counterexample(tmp_path: Path) -> None:
    """A shortcut past the signatures: exit status 1 and the path, step by step."""
    data = builtin()[0].to_json() | {"name": "fast_bpv"}
    data["transitions"].append(
        {"trigger": "fast_track", "sources": ["agreement_pending"], "dest": "ready_to_start",
         "roles": ["coach"]}
    )  # fmt: skip
    path = tmp_path / "fast.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UnguardedPath):
        definition_from_data(data)
    result = CliRunner().invoke(main, ["lifecycle", "check", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "fast_bpv: refused"
    assert lines[1] == "  phase 'active' is reachable without the signatures guard:"
    assert lines[-2:] == [
        "    agreement_pending -fast_track-> ready_to_start",
        "    ready_to_start -start-> active",
    ]


def test_check_of_an_unknown_name() -> None:
    """A name that is neither a lifecycle nor a file is a usage error listing the known ones."""
    result = CliRunner().invoke(main, ["lifecycle", "check", "nope"])
    assert result.exit_code == 2
    assert "mbo_bpv" in result.output
