"""Calling hook implementations one by one, in pluggy's order, each isolated."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attrs import frozen

from ..core import PluginInfo
from ._answers import Answer

__all__ = ["Accept", "Hook", "Impl", "call", "caller"]

#: Checks and converts one plugin's non-None answer; raises when it is malformed.
Accept = Callable[[PluginInfo, Any], Any]

#: The opt-in argument that carries the calling host's settings for the called plugin.
PLUGIN_CONFIG = "plugin_config"


@frozen
class Impl:
    """One plugin's implementation of a hook, callable with the hook's arguments as a dict."""

    plugin: PluginInfo
    call: Callable[[Mapping[str, Any]], Any]


@frozen
class Hook:
    """A hook's implementations in call order, and whether its spec says ``firstresult``."""

    impls: tuple[Impl, ...]
    firstresult: bool
    plugins: tuple[PluginInfo, ...]  #: the implementing plugins, by name


def caller(
    function: Callable[..., Any], argnames: Sequence[str], own: Mapping[str, Any]
) -> Callable[[Mapping[str, Any]], Any]:
    """Call *function* with just the arguments it asks for, picked from a dict.

    ``plugin_config`` is not picked: it is *own*, this plugin's settings.
    """
    if PLUGIN_CONFIG in argnames:
        names = tuple(argnames)
        return lambda kwargs: function(
            *(own if name == PLUGIN_CONFIG else kwargs[name] for name in names)
        )
    if not argnames:
        return lambda kwargs: function()
    if len(argnames) == 1:
        pick = operator.itemgetter(argnames[0])
        return lambda kwargs: function(pick(kwargs))
    picks = operator.itemgetter(*argnames)
    return lambda kwargs: function(*picks(kwargs))


def call(
    hook: Hook,
    kwargs: Mapping[str, Any],
    accept: Accept | None = None,
    *,
    skip_failures: bool = False,
) -> list[Answer]:
    """Call *hook*'s implementations in order, each on its own; return every answer.

    An implementation that raises (or whose answer *accept* refuses) gives an
    answer with its ``error``; the others are still called. For a ``firstresult``
    hook every implementation asked has an answer, and the calls stop at the first
    value that is not None, or at the first failure unless *skip_failures*: the
    answers then end with the one that decided. For the other hooks an
    implementation that returned None (nothing to say) gives no answer.
    """
    answers: list[Answer] = []
    for impl in hook.impls:
        try:
            value = impl.call(kwargs)
            if value is not None and accept is not None:
                value = accept(impl.plugin, value)
        except Exception as exc:  # isolated: one implementation never hides another
            answers.append(Answer(impl.plugin, error=exc))
            if hook.firstresult and not skip_failures:
                break
            continue
        if hook.firstresult:
            answers.append(Answer(impl.plugin, value))
            if value is not None:
                break
        elif value is not None:
            answers.append(Answer(impl.plugin, value))
    return answers
