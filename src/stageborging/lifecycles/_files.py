"""Lifecycle definitions in data files: JSON or TOML, in the shape of ``to_json()``.

The schema is the one :meth:`LifecycleDefinition.to_json` writes (documented in
``docs/lifecycles.rst``), so ``json.dumps(definition.to_json())`` round-trips.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core import DefinitionError
from ._definition import LifecycleDefinition
from ._fields import FieldSpec
from ._model import FactSpec, Transition

__all__ = ["definition_from_data", "load_definition"]

_TOP = {
    "name", "kind", "education", "states", "initial", "final", "transitions", "facts",
    "open_roles", "open_fields", "phases", "description",
}  # fmt: skip
_REQUIRED = ("name", "kind", "states", "initial", "final", "transitions")


def _field(data: Mapping[str, Any]) -> FieldSpec:
    return FieldSpec(**data)


def _transition(data: Mapping[str, Any]) -> Transition:
    values = dict(data)
    values["fields"] = [_field(f) for f in values.get("fields", ())]
    return Transition(**values)


def _fact(data: Mapping[str, Any]) -> FactSpec:
    values = dict(data)
    values["fields"] = [_field(f) for f in values.get("fields", ())]
    return FactSpec(**values)


def definition_from_data(data: Mapping[str, Any], source: str = "data") -> LifecycleDefinition:
    """Build (and so validate) a definition from plain data.

    Raises:
        DefinitionError: a key is missing, unknown or malformed, or the
            definition is unsound (with the counterexample of a bypass).
    """
    if not isinstance(data, Mapping):
        raise DefinitionError(source, source, "must be a table (object) of definition keys")
    name = str(data.get("name", source))
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise DefinitionError(
            name, f"key {unknown[0]!r}", f"unknown; known: {', '.join(sorted(_TOP))}"
        )
    for key in _REQUIRED:
        if key not in data:
            raise DefinitionError(name, f"key {key!r}", "required")
    values = dict(data)
    try:
        values["transitions"] = [_transition(t) for t in data["transitions"]]
        values["facts"] = [_fact(f) for f in data.get("facts", ())]
        values["open_fields"] = [_field(f) for f in data.get("open_fields", ())]
        return LifecycleDefinition(**values)
    except DefinitionError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise DefinitionError(name, source, f"malformed: {exc}") from None


def load_definition(path: str | Path) -> LifecycleDefinition:
    """Read a definition from a ``.json`` or ``.toml`` file.

    Raises:
        DefinitionError: the file cannot be parsed, or the definition is unsound.
    """
    path = Path(path)
    if path.suffix not in (".json", ".toml"):
        raise DefinitionError(path.name, "file", "use a .json or .toml file")
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise DefinitionError(path.name, "file", f"cannot be read: {exc}") from None
    return definition_from_data(data, source=path.name)
