"""Definitions in data files, and `stageborging lifecycle check`."""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
from collections.abc import Callable
from math import nan as NAN
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import stageborging
from stageborging import DefinitionError, Engine, LifecycleDefinition, UnguardedPath
from stageborging.cli import main
from stageborging.lifecycles import (
    CompiledMachine,
    builtin,
    definition_from_data,
    definition_to_toml,
    load_definition,
    mbo_bpv,
)
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
        ({"colour": "red"}, "colour", "unknown key"),
        ({"initial": None}, "initial", "required"),
        ({"transitions": [{"trigger": "x"}]}, "transitions[0].sources", "required"),
    ],
)
def test_a_malformed_file_names_the_key(
    tmp_path: Path, change: dict[str, object], element: str, problem: str
) -> None:
    """Unknown, missing and malformed keys are errors naming the key path."""
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


# Every file gets a verdict -------------------------------------------------------------


def bpv_data(**changes: object) -> dict[str, Any]:
    """The built-in BPV's data under a name of its own, with *changes* at the top level."""
    return builtin()[0].to_json() | {"name": "roc"} | changes


def write_json(path: Path, data: object) -> Path:
    """*data* as JSON, NaN and lone surrogates included (as a careless tool writes them)."""
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def check(target: str | Path) -> Result:
    return CliRunner().invoke(main, ["lifecycle", "check", str(target)])


def changed(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = bpv_data()
    change(data)
    return data


NEW_FIELD, NEW_STATE = len(mbo_bpv().open_fields), len(mbo_bpv().states)

#: (what is wrong, the file's data, the key path named, words of the problem).
MALFORMED_JSON = [
    ("a string minimum",
     changed(lambda d: d["open_fields"].append({"name": "n", "kind": "int", "minimum": "a"})),
     f"open_fields[{NEW_FIELD}].minimum", "must be an integer or null, not a string"),
    ("a NaN minimum",
     changed(lambda d: d["open_fields"].append({"name": "n", "kind": "int", "minimum": NAN})),
     f"open_fields[{NEW_FIELD}].minimum", "not a number"),
    ("a minimum above the maximum",
     changed(lambda d: d["open_fields"].append(
         {"name": "n", "kind": "int", "minimum": 5, "maximum": 1})),
     f"open_fields[{NEW_FIELD}].maximum", "must not be below the minimum"),
    ("an integer beyond the canonical subset",
     changed(lambda d: d["open_fields"].append({"name": "n", "kind": "int", "maximum": 2**60})),
     f"open_fields[{NEW_FIELD}].maximum", "2**53"),
    ("codes that are numbers",
     changed(lambda d: d["transitions"][0]["fields"].append(
         {"name": "why", "kind": "code", "codes": [1, 2]})),
     "transitions[0].fields[0].codes[0]", "must be a string, not an integer"),
    ("required as a word",
     changed(lambda d: d["open_fields"][0].update(required="no")),
     "open_fields[0].required", "must be true or false, not a string"),
    ("an unknown key in a transition",
     changed(lambda d: d["transitions"][3].update(guard=["signatures"])),
     "transitions[3].guard", "unknown key"),
    ("sources as one string",
     changed(lambda d: d["transitions"][3].update(sources="received")),
     "transitions[3].sources", "must be a list of strings, not a string"),
    ("an unknown guard",
     changed(lambda d: d["transitions"][3].update(guards=["signature"])),
     "transitions[3].guards[0]", "unknown guard 'signature'"),
    ("an unknown field kind",
     changed(lambda d: d["open_fields"][0].update(kind="prose")),
     "open_fields[0].kind", "unknown field kind 'prose'"),
    ("a transition that is a string",
     changed(lambda d: d["transitions"].__setitem__(2, "start")),
     "transitions[2]", "must be a table"),
    ("a name with a lone surrogate", bpv_data(name="ro\ud800c"), "name", "lone surrogate"),
    ("a state with a lone surrogate",
     changed(lambda d: d["states"].append("x\udfff")), f"states[{NEW_STATE}]", "lone surrogate"),
    ("a name that is no identifier", bpv_data(name="roc\nbpv"), "name", "not an identifier"),
    ("phases as a list", bpv_data(phases=["a"]), "phases", "must be a table"),
    ("a file that is a list", [bpv_data()], "file", "must be a table"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "element", "problem"),
    [case[1:] for case in MALFORMED_JSON],
    ids=[case[0] for case in MALFORMED_JSON],
)
def test_a_malformed_value_is_refused_by_key_path(
    tmp_path: Path, data: object, element: str, problem: str
) -> None:
    """load_definition names the key path; lifecycle check says so in one line, exit 2."""
    path = write_json(tmp_path / "roc.json", data)
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    assert type(info.value) is DefinitionError
    assert info.value.element == element
    assert problem in info.value.problem
    result = check(path)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.splitlines() == [result.output.rstrip("\n")]
    assert result.output.startswith(f"error: {path}: ")
    assert problem in result.output
    result.output.encode("utf-8")  # printable, whatever the file held


@pytest.mark.parametrize(
    ("text", "element", "problem"),
    [
        ('sources = "received"', "transitions[0].sources", "must be a list of strings"),
        ("sources = [1979-05-27]", "transitions[0].sources[0]", "must be a string, not date"),
        ('sources = ["orientation"]\nguard = "x"', "transitions[0].guard", "unknown key"),
        ('sources = ["orientation", 3]', "transitions[0].sources[1]", "not an integer"),
    ],
)
def test_a_malformed_toml_value_is_refused_by_key_path(
    tmp_path: Path, text: str, element: str, problem: str
) -> None:
    """TOML's own types (a bare string, a date) are named as the wrong type at their key."""
    source = definition_to_toml(mbo_bpv()).replace('name = "mbo_bpv"', 'name = "roc"', 1)
    first = '[[transitions]]\ntrigger = "begin_search"\nsources = ["orientation"]\n'
    assert first in source
    path = tmp_path / "roc.toml"
    path.write_text(source.replace(first, f'[[transitions]]\ntrigger = "begin_search"\n{text}\n'))
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    assert (info.value.element, problem in info.value.problem) == (element, True)
    assert check(path).exit_code == 2


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("deep.toml", "x = " + "[" * 100_000 + "]" * 100_000),
        ("deep_table.json", '{"a":' * 100_000 + "1" + "}" * 100_000),
        ("huge.json", '{"name": ' + "9" * 5000 + "}"),
        ("bad.toml", "name = ["),
        ("latin1.json", None),
    ],
)
def test_an_unreadable_file_has_a_verdict(tmp_path: Path, name: str, text: str | None) -> None:
    """Nesting too deep for the parser, huge numbers, bad syntax or bytes: exit 2, one line."""
    path = tmp_path / name
    if text is None:
        path.write_bytes(b'{"name": "r\xe9c"}')
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError, match="cannot be read"):
        load_definition(path)
    result = check(path)
    assert result.exit_code == 2, result.output
    assert len(result.output.splitlines()) == 1
    assert "cannot be read" in result.output


def test_check_exit_status_tells_malformed_from_unsound(tmp_path: Path) -> None:
    """0 sound, 1 an unsound lifecycle (the rule at fault), 2 a file it cannot use."""
    sound = write_json(tmp_path / "sound.json", bpv_data())
    assert check(sound).exit_code == 0
    undeclared = bpv_data()
    undeclared["transitions"][3]["sources"] = ["received"]
    unsound = check(write_json(tmp_path / "unsound.json", undeclared))
    assert unsound.exit_code == 1
    assert unsound.output.splitlines() == [
        "roc: refused",
        "  transition 'propose_placement': state 'received' is not declared",
    ]
    missing = check(tmp_path / "missing.json")
    assert missing.exit_code == 2
    assert missing.output == f"error: {tmp_path / 'missing.json'}: cannot be read: " \
        "No such file or directory\n"  # fmt: skip
    text = tmp_path / "notes.txt"
    text.write_text("name = 'x'", encoding="utf-8")
    wrong = check(text)
    assert (wrong.exit_code, wrong.output) == (2, f"error: {text}: use a .json or .toml file\n")


def test_a_sound_file_runs_in_the_engine(db_path: Path, clock: FakeClock, tmp_path: Path) -> None:
    """What check calls sound, an engine accepts and runs: the verdict is not a promise only."""
    data = bpv_data()
    data["open_fields"].append({"name": "weeks", "kind": "int", "required": False,
                                "minimum": 1, "maximum": 52})  # fmt: skip
    path = write_json(tmp_path / "roc.json", data)
    assert check(path).exit_code == 0
    roc = load_definition(path)
    with Engine(db_path, lifecycles=[roc], clock=clock) as engine:
        opened = engine.open("roc", actor=PLACEMENT_OFFICE, data=mbo_details(weeks=20))
        assert engine.stream(opened.stream_id).state == "orientation"


def test_load_definition_is_public_at_the_top() -> None:
    """A plugin's lifecycle hook can reuse a file through `stageborging.load_definition`."""
    assert stageborging.load_definition is load_definition
    assert "load_definition" in stageborging.__all__


# Export --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "toml"])
@pytest.mark.parametrize("definition", builtin(), ids=lambda d: d.name)
def test_export_loads_back_to_the_same_digest(
    definition: LifecycleDefinition, fmt: str, tmp_path: Path
) -> None:
    """Every built-in, in both formats, through --out and standard output alike."""
    out = tmp_path / f"{definition.name}.{fmt}"
    written = CliRunner().invoke(main, ["lifecycle", "export", definition.name, "--out", str(out)])
    assert written.exit_code == 0, written.output
    loaded = load_definition(out)
    assert loaded == definition
    assert loaded.digest == definition.digest
    printed = CliRunner().invoke(main, ["lifecycle", "export", definition.name, "--format", fmt])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == out.read_text(encoding="utf-8")
    assert check(out).output.startswith(f"{definition.name}: sound (")


def test_export_defaults_to_json_on_standard_output() -> None:
    """Without options: the JSON of to_json()."""
    result = CliRunner().invoke(main, ["lifecycle", "export", "case"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == builtin()[2].to_json()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "'nope' is not a lifecycle; known: mbo_bpv"),
        (["case", "--out", "{dir}/case.yaml"], "use a .json or .toml file"),
        (["case", "--out", "{dir}/case.json", "--format", "toml"], "needs the suffix .toml"),
        (["case", "--out", "{dir}/taken.json"], "exists; choose another file"),
        (["case", "--out", "{dir}/taken.json/case.json"], "cannot be written"),
        (["case", "--out", "{dir}/" + "x" * 300 + ".json"], "cannot be written"),
    ],
)
def test_export_refuses_what_it_cannot_write(tmp_path: Path, args: list[str], message: str) -> None:
    """Exit 2 with one message, never a traceback, and no file changed."""
    taken = tmp_path / "taken.json"
    taken.write_text("mine", encoding="utf-8")
    argv = ["lifecycle", "export", *(a.format(dir=tmp_path) for a in args)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert taken.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.json"]


@given(st.text())
def test_toml_strings_round_trip(text: str) -> None:
    """Any description (quotes, control characters, DEL, emoji) is written as valid TOML."""
    assume(text.encode("utf-8", "surrogatepass").decode("utf-8", "replace") == text)
    definition = attrs.evolve(builtin()[2], description=text)
    assert tomllib.loads(definition_to_toml(definition))["description"] == text


# The fuzz: random values at every key ---------------------------------------------------

#: Anything JSON can hold, and what careless writers put there: NaN, infinities, huge
#: integers, lone surrogates, deep nesting.
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats()
    | st.sampled_from([2**53, -(2**53), 10**30, "received", "", "\ud800", "signatures",
                       "coach", "int", "code"])
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip


def key_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and index path inside *value*, the empty path (the whole) included."""
    paths = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += key_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += key_paths(item, (*path, index))
    return paths


@st.composite
def mutated_definitions(draw: st.DrawFn) -> Any:
    """A built-in's data with a few keys replaced, removed or added at random places."""
    data: Any = draw(st.sampled_from(builtin())).to_json()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(key_paths(data)))
        if not path:
            data = draw(JSONISH)
            continue
        *outer, last = path
        parent = data
        for step in outer:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "remove":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = draw(JSONISH)
        else:
            parent[last] = draw(JSONISH)
    return data


VERDICT = re.compile(r"^(\S+: sound \(|\S+: refused$|error: )")


@settings(max_examples=300, deadline=None)
@given(mutated_definitions())
def test_every_definition_file_has_a_verdict(data: Any) -> None:
    """check exits 0, 1 or 2 with one verdict line; load_definition raises DefinitionError only."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_json(Path(folder) / "fuzz.json", data)
        try:
            definition = load_definition(path)
        except DefinitionError:
            definition = None
        result = check(path)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1, 2)
    lines = result.output.splitlines()
    assert [bool(VERDICT.match(line)) for line in lines][:1] == [True]
    assert sum(bool(VERDICT.match(line)) for line in lines) == 1
    if result.exit_code != 1:
        assert len(lines) == 1
    builtins = {d.name: d.digest for d in builtin()}
    clash = definition is not None and builtins.get(definition.name, definition.digest) != (
        definition.digest
    )  # a changed definition under a built-in's name is refused, not sound
    assert (result.exit_code == 0) == (definition is not None and not clash)
    if definition is not None:  # sound means usable: the digest, machine and renderings work
        assert len(definition.digest) == 64
        assert CompiledMachine(definition).definition is definition
        assert definition.table()
        assert definition.mermaid()


def test_a_not_before_naming_no_date_field_is_refused(tmp_path: Path) -> None:
    """A misspelled not_before would silently drop the date rule: it is refused by name."""

    def typo(data: dict[str, Any]) -> None:
        for spec in data["open_fields"]:
            if spec["name"] == "planned_end":
                spec["not_before"] = "planned_strat"

    result = check(write_json(tmp_path / "typo.json", {**changed(typo), "name": "roc_typo"}))
    assert result.exit_code == 1
    assert "not_before 'planned_strat' is no date field" in result.output


def test_a_key_given_twice_in_json_is_malformed(tmp_path: Path) -> None:
    """JSON would keep the last of two equal keys without a word: the file is refused."""
    text = json.dumps(bpv_data())[:-1] + ', "name": "other"}'
    (tmp_path / "twice.json").write_text(text, encoding="utf-8")
    result = check(tmp_path / "twice.json")
    assert result.exit_code == 2
    assert "given twice" in result.output


def test_a_changed_definition_under_a_built_in_name_is_refused(tmp_path: Path) -> None:
    """A file that keeps the name mbo_bpv but differs from it is no sound variant."""

    def one_role_less(data: dict[str, Any]) -> None:
        data["transitions"][0]["roles"] = data["transitions"][0]["roles"][:1]

    data = {**changed(one_role_less), "name": "mbo_bpv"}
    result = check(write_json(tmp_path / "same_name.json", data))
    assert result.exit_code == 1
    assert "a variant needs a name of its own" in result.output
    unchanged = write_json(tmp_path / "same.json", bpv_data(name="mbo_bpv"))
    assert check(unchanged).exit_code == 0  # the built-in itself, exported, is sound
