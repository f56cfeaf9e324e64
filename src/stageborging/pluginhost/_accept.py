"""The answers of the asking hooks, checked: each raises when an answer is malformed."""

from __future__ import annotations

from typing import Any

from ..core import (
    Channel,
    Contact,
    KeyProvider,
    MessageTemplate,
    PluginInfo,
    Recognition,
    check_identifier,
)
from ..lifecycles import LifecycleDefinition

__all__ = [
    "Malformed",
    "NotAnAnswer",
    "channels",
    "contact",
    "definitions",
    "ids",
    "key_provider",
    "recognition",
    "templates",
]


class NotAnAnswer(TypeError):
    """A recognition verifier answered with neither a bool nor None."""


class Malformed(TypeError):
    """A plugin answered with something of the wrong kind: the message says what (it
    holds no value of the answer, only its type)."""


def recognition(info: PluginInfo, answer: Any) -> bool | Recognition:
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, str) and answer in Recognition._value2member_map_:
        return Recognition(answer)
    # "no", 0 …: never guess, fail closed
    raise NotAnAnswer(f"returned {type(answer).__name__}")


def ids(info: PluginInfo, answer: Any) -> tuple[str, ...]:
    if not isinstance(answer, (list, tuple)):
        raise TypeError(f"returned a {type(answer).__name__}, not a list of ids")
    return tuple(check_identifier("recipient", a) for a in answer)


def definitions(info: PluginInfo, contributed: Any) -> tuple[LifecycleDefinition, ...]:
    found = _listed(contributed)
    for definition in found:
        if not isinstance(definition, LifecycleDefinition):
            raise Malformed(f"returned a {type(definition).__name__}")
    return found


def key_provider(info: PluginInfo, answer: Any) -> KeyProvider:
    if not (callable(getattr(answer, "wrap", None)) and callable(getattr(answer, "unwrap", None))):
        raise TypeError(f"returned a {type(answer).__name__}, without wrap and unwrap")
    return answer  # type: ignore[no-any-return]


def channels(info: PluginInfo, offered: Any) -> tuple[Channel, ...]:
    found = _listed(offered)
    for channel in found:
        if not callable(getattr(channel, "deliver", None)):
            raise Malformed(f"offered a {type(channel).__name__} without a deliver method")
        check_identifier("name", getattr(channel, "name", None))
    return found


def contact(info: PluginInfo, answer: Any) -> Contact:
    if not isinstance(answer, Contact):
        raise Malformed(f"returned a {type(answer).__name__}, not a Contact")
    return answer


def templates(info: PluginInfo, given: Any) -> tuple[MessageTemplate, ...]:
    found = _listed(given)
    for template in found:
        if not isinstance(template, MessageTemplate):
            raise Malformed(f"returned a {type(template).__name__}, not a MessageTemplate")
    return found


def _listed(answer: Any) -> tuple[Any, ...]:
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        raise Malformed(f"returned a {type(answer).__name__}, not a list")
    return tuple(answer)
