"""Collecting what plugins declare at start-up (guidance steps, institution facts): each
checked as it comes, names unique across plugins, a failure naming its plugin."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from ..core import PluginError, PluginInfo
from ..lifecycles import InstitutionFact, LifecycleDefinition
from ._host import PluginHost

__all__ = ["collect_facts", "collect_named"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)


def collect_named(
    host: PluginHost, hook: str, kind: type[N], noun: str, check: Callable[[N], None]
) -> tuple[N, ...]:
    """Every plugin's answer to *hook*: instances of *kind* (*noun* in messages), each
    passed to *check* (which raises to refuse it), sorted by name.

    Raises:
        PluginError: naming the plugin whose hook failed, returned something that is no
            *kind*, or whose item *check* refused or takes a name already taken.
    """

    article = "an" if kind.__name__[0] in "AEIOU" else "a"

    def accept(info: PluginInfo, returned: Any) -> tuple[N, ...]:
        items = tuple(returned)
        for item in items:
            if not isinstance(item, kind):
                raise TypeError(f"returned a {type(item).__name__}, not {article} {kind.__name__}")
        return items

    found: dict[str, N] = {}
    for answer in host.call(hook, {}, accept):
        try:
            if answer.error is not None:
                raise answer.error
            for item in answer.value or ():
                check(item)
                if item.name in found:
                    raise ValueError(f"{noun} named {item.name!r} exists")
                found[item.name] = item
        except Exception as exc:
            raise PluginError(answer.plugin.name, f"{hook}: {type(exc).__name__}: {exc}") from None
    return tuple(found[name] for name in sorted(found))


def collect_facts(
    host: PluginHost, definitions: Mapping[str, LifecycleDefinition]
) -> tuple[InstitutionFact, ...]:
    """Every plugin's institution facts, by name, validated against the *definitions*."""
    return collect_named(
        host,
        "stageborging_institution_facts",
        InstitutionFact,
        "an institution fact",
        lambda fact: fact.check(definitions),
    )
