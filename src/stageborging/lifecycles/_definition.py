"""A lifecycle definition: states, transitions, facts, roles and phases, as data.

A :class:`LifecycleDefinition` is immutable and hashable, validated when it is
built, and has a stable :attr:`~LifecycleDefinition.digest` that is stamped on
every event recorded under it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from ..core import Role, as_tuple, canonical_bytes
from ._fields import FieldSpec
from ._model import Education, FactSpec, Kind, Transition, as_roles, known_or_raw
from ._render import to_mermaid, to_table
from ._validation import validate

__all__ = ["LifecycleDefinition"]


def _kind(value: Kind | str) -> Kind:
    kind: Kind = known_or_raw(Kind, value)
    return kind


def _education(value: Education | str) -> Education:
    education: Education = known_or_raw(Education, value)
    return education


def _phase_pairs(
    values: Mapping[str, str] | Iterable[tuple[str, str]],
) -> tuple[tuple[str, str], ...]:
    pairs = values.items() if isinstance(values, Mapping) else values
    return tuple(sorted((str(state), str(phase)) for state, phase in pairs))


@frozen
class LifecycleDefinition:
    """A validated lifecycle: build one to give an institution its own variant.

    ``kind`` and ``education`` take a :class:`Kind` and an :class:`Education` or
    their values (``"internship"``, ``"mbo"``); they hold the enum members.

    Raises:
        DefinitionError: naming the offending state, transition or fact, when
            the definition is not sound (see :func:`validate`).
    """

    name: str
    kind: Kind = field(converter=_kind)
    states: tuple[str, ...] = field(converter=as_tuple)
    initial: str
    final: tuple[str, ...] = field(converter=as_tuple)
    transitions: tuple[Transition, ...] = field(converter=as_tuple)
    facts: tuple[FactSpec, ...] = field(default=(), converter=as_tuple)
    open_roles: tuple[Role, ...] = field(default=(), converter=as_roles)
    open_fields: tuple[FieldSpec, ...] = field(default=(), converter=as_tuple)
    education: Education = field(default=Education.NONE, converter=_education)
    description: str = ""
    phases: tuple[tuple[str, str], ...] = field(default=(), converter=_phase_pairs)

    def __attrs_post_init__(self) -> None:
        validate(self)

    @cached_property
    def phase_of(self) -> Mapping[str, str]:
        """Every state's canonical phase: as given in ``phases``, else its own name."""
        given = dict(self.phases)
        return MappingProxyType({state: given.get(state, state) for state in self.states})

    def to_json(self) -> dict[str, Any]:
        """The definition as plain data; its canonical bytes give the digest."""
        return {
            "name": self.name,
            "kind": str(self.kind),
            "education": str(self.education),
            "states": list(self.states),
            "initial": self.initial,
            "final": list(self.final),
            "transitions": [t.to_json() for t in self.transitions],
            "facts": [f.to_json() for f in self.facts],
            "open_roles": [str(r) for r in self.open_roles],
            "open_fields": [f.to_json() for f in self.open_fields],
            "phases": dict(self.phases),
            "description": self.description,
        }

    @cached_property
    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :meth:`to_json`, less the description.

        The description is a label for people: rewording it is no new definition.
        """
        data = self.to_json()
        del data["description"]
        return hashlib.sha256(canonical_bytes(data)).hexdigest()

    @cached_property
    def transitions_by_trigger(self) -> Mapping[str, Transition]:
        return MappingProxyType({t.trigger: t for t in self.transitions})

    @cached_property
    def facts_by_name(self) -> Mapping[str, FactSpec]:
        return MappingProxyType({f.name: f for f in self.facts})

    def triggers_from(self, state: str) -> tuple[str, ...]:
        """The triggers that may be fired from *state*, in definition order."""
        return tuple(t.trigger for t in self.transitions if state in t.sources)

    def fact_states(self, fact: FactSpec) -> tuple[str, ...]:
        """The states *fact* may be recorded in."""
        return fact.states or tuple(s for s in self.states if s not in self.final)

    def mermaid(self) -> str:
        """A Mermaid ``stateDiagram-v2`` of this lifecycle (guards in brackets)."""
        return to_mermaid(self)

    def table(self) -> str:
        """A plain-text table of the transitions (roles, guards, data) and facts."""
        return to_table(self)
