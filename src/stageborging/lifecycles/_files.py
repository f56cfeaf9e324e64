"""Lifecycle definitions in data files: JSON or TOML, in the shape of ``to_json()``.

The schema is the one :meth:`LifecycleDefinition.to_json` writes (documented in
``docs/lifecycles.rst``), so ``json.dumps(definition.to_json())`` round-trips, and
:func:`definition_to_toml` writes the same data as TOML.

Every key's type is checked before anything is built, so a malformed file is a
:class:`~stageborging.DefinitionError` naming the key path
(``transitions[3].sources``), never a ``TypeError`` from a constructor or a
value the engine trips over later.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..core import IDENTIFIER, MAX_INT, DefinitionError, Role
from ._definition import LifecycleDefinition
from ._fields import FieldKind, FieldSpec
from ._model import Education, Effect, FactSpec, Guard, Kind, Transition

__all__ = [
    "build_checked",
    "definition_from_data",
    "definition_to_toml",
    "load_definition",
    "read_definition_data",
]

#: How much of a wrong value an error message shows.
_SHOWN = 40
#: A key TOML (and a key path) can show unquoted.
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class _Malformed(Exception):
    """A key of the data does not fit the schema (turned into a DefinitionError)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem


def _what(value: object) -> str:
    """The JSON/TOML name of *value*'s type, for ``must be …, not …``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def _show(text: str) -> str:
    """*text* quoted for a message: one line, and cut short when long."""
    shown = repr(text[:_SHOWN])
    return shown + "…" if len(text) > _SHOWN else shown


# A checker takes (value, key path) and raises _Malformed or returns the value.
Check = Callable[[Any, str], Any]


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _Malformed(path, f"must be a string, not {_what(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Malformed(path, "must be UTF-8 text (it holds a lone surrogate)") from None
    return value


def _identifier(value: Any, path: str) -> str:
    text = _string(value, path)
    if not IDENTIFIER.fullmatch(text):
        raise _Malformed(path, f"{_show(text)} is not an identifier (letters, digits, '._:-')")
    return text


def _member(vocabulary: type[StrEnum], noun: str) -> Check:
    def check(value: Any, path: str) -> str:
        _string(value, path)
        if value not in vocabulary._value2member_map_:
            known = ", ".join(member.value for member in vocabulary)
            raise _Malformed(path, f"unknown {noun} {_show(value)}; known: {known}")
        return str(value)

    return check


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _Malformed(path, f"must be true or false, not {_what(value)}")
    return value


def _integer_or_null(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Malformed(path, f"must be an integer or null, not {_what(value)}")
    if abs(value) > MAX_INT:
        raise _Malformed(path, "must be within ±(2**53 - 1)")
    return value


def _string_or_null(value: Any, path: str) -> str | None:
    return None if value is None else _string(value, path)


def _list(item: Check, noun: str) -> Check:
    def check(value: Any, path: str) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            raise _Malformed(path, f"must be a list of {noun}, not {_what(value)}")
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]

    return check


def _key_path(path: str, key: object) -> str:
    """``path.key``, or ``path['odd key']`` for a key that is no plain name."""
    if isinstance(key, str) and _BARE_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path or 'file'}[{_show(key) if isinstance(key, str) else _what(key)}]"


def _table(keys: Mapping[str, tuple[Check, bool]]) -> Check:
    """A table of *keys* (name → (checker, required)); unknown keys are refused."""

    def check(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise _Malformed(path or "file", f"must be a table (object), not {_what(value)}")
        for key in value:
            if key not in keys:
                known = ", ".join(sorted(keys))
                raise _Malformed(_key_path(path, key), f"unknown key; known: {known}")
        checked = {}
        for key, (checker, required) in keys.items():
            if key in value:
                checked[key] = checker(value[key], _key_path(path, key))
            elif required:
                raise _Malformed(_key_path(path, key), "required")
        return checked

    return check


def _phases(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _Malformed(path, f"must be a table of state = phase, not {_what(value)}")
    phases = {}
    for state, phase in value.items():
        _string(state, path)
        phases[state] = _string(phase, _key_path(path, state))
    return phases


def _field_spec(value: Any, path: str) -> dict[str, Any]:
    checked: dict[str, Any] = _FIELD(value, path)
    low, high = checked.get("minimum"), checked.get("maximum")
    if low is not None and high is not None and low > high:
        raise _Malformed(f"{path}.maximum", f"must not be below the minimum ({low})")
    return checked


_STRINGS = _list(_string, "strings")
_ROLES = _list(_member(Role, "role"), "roles")
_GUARDS = _list(_member(Guard, "guard"), "guards")
_FIELD = _table({
    "name": (_string, True),
    "kind": (_member(FieldKind, "field kind"), True),
    "required": (_boolean, False),
    "codes": (_STRINGS, False),
    "minimum": (_integer_or_null, False),
    "maximum": (_integer_or_null, False),
    "not_before": (_string_or_null, False),
    "sealed": (_boolean, False),
    "readers": (_ROLES, False),
})  # fmt: skip
_FIELDS = _list(_field_spec, "fields (tables)")
_TRANSITION = _table({
    "trigger": (_string, True),
    "sources": (_STRINGS, True),
    "dest": (_string, True),
    "roles": (_ROLES, True),
    "guards": (_GUARDS, False),
    "fields": (_FIELDS, False),
    "effects": (_list(_member(Effect, "effect"), "effects"), False),
})  # fmt: skip
_FACT = _table({
    "name": (_string, True),
    "roles": (_ROLES, True),
    "effect": (_member(Effect, "effect"), True),
    "fields": (_FIELDS, False),
    "guards": (_GUARDS, False),
    "states": (_STRINGS, False),
})  # fmt: skip
_DEFINITION = _table({
    "name": (_identifier, True),
    "kind": (_member(Kind, "kind"), True),
    "education": (_member(Education, "education"), False),
    "states": (_STRINGS, True),
    "initial": (_string, True),
    "final": (_STRINGS, True),
    "transitions": (_list(_TRANSITION, "transitions (tables)"), True),
    "facts": (_list(_FACT, "facts (tables)"), False),
    "open_roles": (_ROLES, False),
    "open_fields": (_FIELDS, False),
    "phases": (_phases, False),
    "description": (_string, False),
})  # fmt: skip


def _label(data: Any, source: str) -> str:
    """The definition's name for an error, when it has a usable one, else *source*."""
    name = data.get("name") if isinstance(data, Mapping) else None
    if isinstance(name, str) and IDENTIFIER.fullmatch(name):
        return name
    return source


def _checked(data: Any, source: str) -> dict[str, Any]:
    try:
        checked: dict[str, Any] = _DEFINITION(data, "")
    except _Malformed as exc:
        raise DefinitionError(_label(data, source), exc.path, exc.problem) from None
    return checked


def _with_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    return {**item, "fields": [FieldSpec(**f) for f in item.get("fields", ())]}


def _build(
    data: dict[str, Any],
    source: str,
    factory: Callable[..., LifecycleDefinition] = LifecycleDefinition,
) -> LifecycleDefinition:
    """The definition of checked *data*: only its validation can still refuse it."""
    values = dict(data)
    values["transitions"] = [Transition(**_with_fields(t)) for t in data["transitions"]]
    values["facts"] = [FactSpec(**_with_fields(f)) for f in data.get("facts", ())]
    values["open_fields"] = [FieldSpec(**f) for f in data.get("open_fields", ())]
    try:
        return factory(**values)
    except DefinitionError:
        raise
    except (TypeError, ValueError, KeyError) as exc:  # a value the schema let through
        raise DefinitionError(data["name"], source, f"malformed: {exc}") from None


def build_checked(
    data: Mapping[str, Any], source: str, factory: Callable[..., LifecycleDefinition]
) -> LifecycleDefinition:
    """Check *data* against the file schema, then build it with *factory*."""
    return _build(_checked(data, source), source, factory)


def definition_from_data(data: Mapping[str, Any], source: str = "data") -> LifecycleDefinition:
    """Build (and so validate) a definition from plain data, as a file holds it.

    Args:
        data: The keys of :meth:`LifecycleDefinition.to_json` (``phases`` as a table).
        source: What to name in an error before the data's own name is known.

    Returns:
        The validated definition.

    Raises:
        DefinitionError: a key is missing, unknown or of the wrong type (the
            element is its key path, ``transitions[3].sources``), or the
            definition is unsound (an :class:`~stageborging.UnguardedPath` with
            the counterexample of a bypass).
    """
    return _build(_checked(data, source), source)


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; a key given twice is an error (the second would win)."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"key {key!r} is given twice")
        seen.add(key)
    return dict(pairs)


def read_definition_data(path: str | Path) -> dict[str, Any]:
    """Read a ``.json`` or ``.toml`` definition file and check its keys, without building it.

    What :func:`load_definition` does before it validates the lifecycle itself;
    ``stageborging lifecycle check`` uses it to tell a malformed file (exit
    status 2) from an unsound lifecycle (exit status 1).

    Returns:
        The file's data, every key of the right type.

    Raises:
        DefinitionError: the file cannot be read or parsed, or a key is missing,
            unknown or of the wrong type (naming its key path).
    """
    path = Path(path)
    if path.suffix not in (".json", ".toml"):
        raise DefinitionError(path.name, "file", "use a .json or .toml file")
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = (
            tomllib.loads(text)
            if path.suffix == ".toml"
            else json.loads(text, object_pairs_hook=_no_repeated_keys)
        )
    except OSError as exc:
        raise DefinitionError(path.name, "file", f"cannot be read: {exc.strerror}") from None
    except RecursionError:
        raise DefinitionError(path.name, "file", "cannot be read: nested too deeply") from None
    except ValueError as exc:  # JSON or TOML syntax, bytes that are not UTF-8
        raise DefinitionError(path.name, "file", f"cannot be read: {exc}") from None
    return _checked(data, path.name)


def load_definition(path: str | Path) -> LifecycleDefinition:
    """Read a definition from a ``.json`` or ``.toml`` file (the schema of the docs).

    A plugin's ``stageborging_lifecycles`` hook can return
    ``[load_definition(Path(__file__).parent / "roc_bpv.toml")]``.

    Returns:
        The validated definition.

    Raises:
        DefinitionError: the file cannot be read or parsed, a key is missing,
            unknown or of the wrong type (naming its key path), or the
            definition is unsound (:class:`~stageborging.UnguardedPath`).
    """
    path = Path(path)
    return _build(read_definition_data(path), path.name)


# TOML -----------------------------------------------------------------------------

#: Longer lists are written one item a line.
_TOML_WIDTH = 88
_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
                 "\r": "\\r"}  # fmt: skip


def _toml_string(text: str) -> str:
    """A TOML basic string: control characters and DEL escaped, the rest as is."""
    out = []
    for char in text:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


def _toml_table(data: Mapping[str, Any], header: str, lines: list[str]) -> None:
    """Append *data* under *header*: its plain keys first, then its tables and arrays of
    tables under their dotted headers. TOML has no null: such keys are left out."""
    tables: dict[str, Mapping[str, Any]] = {}
    arrays: dict[str, list[Mapping[str, Any]]] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            tables[key] = value
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            arrays[key] = value
        elif value is not None:
            line = f"{_toml_key(key)} = {_toml_value(value)}"
            if isinstance(value, list) and len(line) > _TOML_WIDTH:  # one item a line
                rows = "".join(f"  {_toml_value(item)},\n" for item in value)
                line = f"{_toml_key(key)} = [\n{rows}]"
            lines.append(line)
    prefix = f"{header}." if header else ""
    for key, table in tables.items():
        lines.extend(("", f"[{prefix}{_toml_key(key)}]"))
        _toml_table(table, f"{prefix}{_toml_key(key)}", lines)
    for key, items in arrays.items():
        for item in items:
            lines.extend(("", f"[[{prefix}{_toml_key(key)}]]"))
            _toml_table(item, f"{prefix}{_toml_key(key)}", lines)


def definition_to_toml(definition: LifecycleDefinition) -> str:
    """*definition* as a TOML file that :func:`load_definition` reads back unchanged.

    The keys are those of :meth:`LifecycleDefinition.to_json`; a field's unset
    ``minimum``, ``maximum`` or ``not_before`` (null in JSON) is left out.
    """
    lines: list[str] = []
    _toml_table(definition.to_json(), "", lines)
    return "\n".join(lines) + "\n"
