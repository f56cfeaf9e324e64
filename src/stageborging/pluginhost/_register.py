"""What registration refuses: the checks a plugin passes before the host calls it."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

import pluggy

from ..core import FrozenMap, InvalidInput, PluginError

__all__ = ["NoHooks", "admit", "own_settings", "plugin_name"]


class NoHooks(PluginError):
    """The plugin implements no stageborging hook, or not all it seems to (an unmarked one):
    it would silently do less than it says."""

    def __init__(
        self, plugin: str, problem: str = "implements no stageborging hook; forgot @hookimpl?"
    ) -> None:
        super().__init__(plugin, problem)


def plugin_name(plugin: object) -> str:
    """The name a plugin is registered under: its ``name`` attribute, else its import path."""
    name = getattr(plugin, "name", None)
    if isinstance(name, str) and name:
        return name
    if isinstance(plugin, types.ModuleType):
        return plugin.__name__
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


#: The prefix of every hook's name.
_HOOK_PREFIX = "stageborging_"


def admit(manager: pluggy.PluginManager, plugin: object, name: str) -> None:
    """Raise :class:`PluginError` unless the registered *plugin* is one the host can call.

    Every hook must have a spec (a misspelled one is named, ``optionalhook`` or
    not), every function named like a hook must be marked with ``@hookimpl``, at
    least one hook must be implemented, and no implementation may be a wrapper:
    the host calls each implementation on its own, so a wrapper (``wrapper=True``
    or ``hookwrapper=True``) would never wrap anything.
    """
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(name, str(exc)) from None
    all_callers = list(manager.get_hookcallers(plugin) or ())
    for hook in all_callers:
        if hook.spec is None:  # only an optionalhook gets past check_pending()
            raise PluginError(name, f"{hook.name} is no stageborging hook (a misspelling?)")
    callers = [c for c in all_callers if c.spec is not None]
    if not callers:
        raise NoHooks(name)
    implemented = {hook.name for hook in all_callers}
    for attribute in sorted(dir(plugin)):
        unmarked = attribute.startswith(_HOOK_PREFIX) and attribute not in implemented
        if unmarked and callable(getattr(plugin, attribute, None)):
            raise NoHooks(name, f"{attribute} is not marked with @hookimpl, so it is never called")
    for hook in sorted(callers, key=lambda c: c.name):
        for impl in hook.get_hookimpls():
            if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper):
                kind = "wrapper=True" if impl.wrapper else "hookwrapper=True"
                raise PluginError(
                    name,
                    f"{hook.name} is a hook wrapper ({kind}); stageborging calls each "
                    "implementation on its own and cannot wrap: implement it plainly",
                )


_EMPTY: Mapping[str, Any] = FrozenMap()


def own_settings(config: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The settings *config* (already frozen) holds for the plugin *name*: ``{}`` if none."""
    own = config.get(name, _EMPTY)
    if not isinstance(own, Mapping):
        raise InvalidInput(f"config[{name!r}]", own, "a plugin's settings must be a mapping")
    return own
