"""Collecting the plugins' institution facts, validated against the known lifecycles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import PluginError, PluginInfo
from ..lifecycles import InstitutionFact, LifecycleDefinition
from ._host import PluginHost

__all__ = ["collect_facts"]


def collect_facts(
    host: PluginHost, definitions: Mapping[str, LifecycleDefinition]
) -> tuple[InstitutionFact, ...]:
    """Every plugin's institution facts, by name, validated against the *definitions*.

    Raises:
        PluginError: naming the plugin whose hook failed, returned something that is
            no institution fact, or whose fact is invalid or takes a name already taken.
    """
    facts: dict[str, InstitutionFact] = {}
    for answer in host.call("stageborging_institution_facts", {}, _facts):
        try:
            if answer.error is not None:
                raise answer.error
            for fact in answer.value or ():
                fact.check(definitions)
                if fact.name in facts:
                    raise ValueError(f"an institution fact named {fact.name!r} exists")
                facts[fact.name] = fact
        except Exception as exc:
            raise PluginError(
                answer.plugin.name, f"stageborging_institution_facts: {type(exc).__name__}: {exc}"
            ) from None
    return tuple(facts[name] for name in sorted(facts))


def _facts(info: PluginInfo, returned: Any) -> tuple[InstitutionFact, ...]:
    facts = tuple(returned)
    for fact in facts:
        if not isinstance(fact, InstitutionFact):
            raise TypeError(f"returned a {type(fact).__name__}, not an InstitutionFact")
    return facts
