"""Versions of a definition: the ones stamped in the past, as this release reads them.

Every event is stamped with the digest of the definition in force. A definition
changes between school years (an institution edits its file) and between
releases (a built-in changes); the streams stamped with an earlier version keep
it until they are migrated. This module reads such a version back from its data:

* :func:`load_version` builds a definition from the data stored with it. One
  that no longer passes this release's hard rules (a rule was added since) is
  still read, as a :class:`PastDefinition` whose :attr:`~PastDefinition.unsafe`
  says why: its streams can be read, verified and migrated, but take no command.
* :func:`released` gives every built-in definition a release of this package
  has shipped, from the TOML files in ``lifecycles/releases/`` (one per
  version, never removed), so a database made by an earlier release is read
  without the definitions it stored.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from functools import cache, cached_property
from importlib.resources import files
from typing import Any

from attrs import frozen

from ..core import DefinitionError, Role, canonical_bytes
from ._definition import LifecycleDefinition
from ._files import build_checked, definition_from_data
from ._validation import check_rules, check_sound

__all__ = [
    "MIGRATE_ROLES",
    "PastDefinition",
    "digest_of",
    "load_version",
    "read_stored",
    "release_file_name",
    "released",
    "unsafe_reason",
]


#: Who may migrate a stream to another version: the system (a SIS job, the command
#: line) and the school staff who answer for the lifecycle.
MIGRATE_ROLES = (Role.SYSTEM, Role.PLACEMENT_OFFICE, Role.TEAM_LEAD)


@frozen
class PastDefinition(LifecycleDefinition):
    """A definition stamped in the past that this release's hard rules refuse.

    It is a sound machine (states, transitions and facts are well formed and
    every state is reachable), so its streams are read, verified and replayed as
    ever; :attr:`unsafe` names the rule it breaks, and the engine takes no
    command on its streams until they are migrated to a version that passes.
    """

    def __attrs_post_init__(self) -> None:
        check_sound(self)

    @cached_property
    def unsafe(self) -> str | None:
        """Why this release's hard rules refuse the definition (None: they pass)."""
        try:
            check_rules(self)
        except DefinitionError as exc:
            return str(exc)
        return None


def unsafe_reason(definition: LifecycleDefinition) -> str | None:
    """Why *definition* may take no command under this release's rules, or None."""
    return definition.unsafe if isinstance(definition, PastDefinition) else None


def digest_of(data: Mapping[str, Any]) -> str:
    """The digest the definition stored as *data* (its ``to_json()``) was stamped with.

    The same computation as :attr:`LifecycleDefinition.digest`, on the data alone, so
    a stored definition that was altered is noticed before it is built.
    """
    stamped = {key: value for key, value in data.items() if key != "description"}
    return hashlib.sha256(canonical_bytes(stamped)).hexdigest()


def load_version(data: Mapping[str, Any], source: str = "data") -> LifecycleDefinition:
    """The definition stored as *data*: validated if it passes this release's rules,
    else a :class:`PastDefinition` (read-only for commands).

    Raises:
        DefinitionError: the data is no sound definition even without the hard
            rules (a key this release does not know, an unknown guard …).
    """
    try:
        return definition_from_data(data, source)
    except DefinitionError:
        past = build_checked(data, source, PastDefinition)
        if unsafe_reason(past) is None:  # pragma: no cover - the strict build refused it
            raise
        return past


def read_stored(digest: str, lifecycle: str, data: bytes) -> dict[str, Any]:
    """The data a database stored as the definition *digest*, checked against it.

    Build it with :func:`load_version`.

    Raises:
        DefinitionError: the bytes are not the definition of that digest (the row
            was altered).
    """
    source = f"stored version {digest[:12]}"
    try:
        value = json.loads(data)
        canonical = canonical_bytes(value) == data
    except (ValueError, TypeError, RecursionError):
        canonical = False
    if not canonical:
        raise DefinitionError(lifecycle, source, "is not canonical JSON (altered)")
    if not isinstance(value, dict) or digest_of(value) != digest:
        raise DefinitionError(lifecycle, source, "does not hash to its digest (altered)")
    if value.get("name") != lifecycle:
        raise DefinitionError(lifecycle, source, "names another lifecycle (altered)")
    return value


@cache
def released() -> tuple[LifecycleDefinition, ...]:
    """Every built-in definition a release shipped, oldest file name first (read once)."""
    folder = files(__package__).joinpath("releases")
    loaded = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            loaded.append(load_version(data, f"releases/{entry.name}"))
    return tuple(loaded)


def release_file_name(definition: LifecycleDefinition) -> str:
    """The name of *definition*'s file in ``lifecycles/releases/``."""
    return f"{definition.name}-{definition.digest[:16]}.toml"
