"""The plugin manager of one engine, and isolated, fail-closed hook calls."""

from __future__ import annotations

import functools
import importlib.metadata
import operator
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pluggy

from . import hookspecs
from .__about__ import __version__
from ._lifecycle import Transition
from ._logging import get_logger
from ._messages import finding
from ._records import Actor, Finding, PluginInfo, Stream
from ._rules import RecognitionAnswer
from .exceptions import PluginError

__all__ = ["PluginHost", "plugin_name"]

#: (plugin, a caller taking the hook's keyword arguments as a dict)
_Impl = tuple[PluginInfo, Callable[[Mapping[str, Any]], Any]]


def _caller(
    function: Callable[..., Any], argnames: Sequence[str]
) -> Callable[[Mapping[str, Any]], Any]:
    """Call *function* with just the arguments it asks for, picked from a dict."""
    if not argnames:
        return lambda kwargs: function()
    if len(argnames) == 1:
        pick = operator.itemgetter(argnames[0])
        return lambda kwargs: function(pick(kwargs))
    picks = operator.itemgetter(*argnames)
    return lambda kwargs: function(*picks(kwargs))


def plugin_name(plugin: object) -> str:
    """The name a plugin is registered under: its ``name`` attribute, else its import path."""
    name = getattr(plugin, "name", None)
    if isinstance(name, str) and name:
        return name
    if isinstance(plugin, types.ModuleType):
        return plugin.__name__
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


def _distribution_version(plugin: object) -> str:
    module = plugin.__name__ if isinstance(plugin, types.ModuleType) else None
    if module is None:
        cls = plugin if isinstance(plugin, type) else type(plugin)
        module = cls.__module__
    top = module.split(".")[0]
    if top == "stageborging":
        return __version__
    return _top_level_version(top)


@functools.cache
def _top_level_version(top: str) -> str:
    # Scanning every installed distribution costs 0.1-0.5 s: once per module per process.
    for dist in importlib.metadata.packages_distributions().get(top, []):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - racy uninstall
            continue
    return "unversioned"


def _error_text(exc: BaseException) -> str:
    # Only the type: an exception's message may echo personal data, and the audit
    # log keeps findings for good. Plugin authors debug with the testing kit.
    return type(exc).__name__


class PluginHost:
    """One pluggy manager with the hook specs, the built-in defaults and the given plugins.

    Hook implementations are called one by one, so that an implementation that
    raises becomes a finding naming it instead of hiding the others (pluggy
    itself stops at the first exception).
    """

    def __init__(self, plugins: Sequence[object] = (), *, defaults: bool = True) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._log = get_logger()
        self._impls: dict[str, list[_Impl]] = {}
        self._takers: dict[str, list[PluginInfo]] = {}  # hook -> its plugins, by name
        if defaults:
            from .builtin.defaults import DefaultRules

            self.register(DefaultRules())
        for plugin in plugins:
            self.register(plugin)

    def register(self, plugin: object) -> str:
        """Register *plugin*; raise :class:`PluginError` if it is malformed."""
        name = plugin_name(plugin)
        if isinstance(plugin, type):
            raise PluginError(name, "is a class; register an instance of it")
        try:
            self.manager.register(plugin, name=name)
        except ValueError as exc:
            raise PluginError(name, str(exc)) from None
        except pluggy.PluginValidationError as exc:
            raise PluginError(name, str(exc)) from None
        try:
            self.manager.check_pending()
        except pluggy.PluginValidationError as exc:
            self.manager.unregister(plugin)
            raise PluginError(name, str(exc)) from None
        self._infos[name] = PluginInfo(name, _distribution_version(plugin))
        self._impls.clear()
        self._takers.clear()
        return name

    def _implementations(self, hook: str) -> list[_Impl]:
        cached = self._impls.get(hook)
        if cached is None:
            caller = getattr(self.manager.hook, hook)
            cached = [
                (self._infos[impl.plugin_name], _caller(impl.function, impl.argnames))
                for impl in reversed(caller.get_hookimpls())
            ]
            self._impls[hook] = cached
            self._takers[hook] = sorted({info for info, _ in cached}, key=lambda i: i.name)
        return cached

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """Every registered plugin, by name."""
        return tuple(sorted(self._infos.values(), key=lambda info: info.name))

    def check_transition(
        self,
        stream: Stream,
        transition: Transition,
        actor: Actor,
        data: Mapping[str, Any],
        now: datetime,
    ) -> tuple[list[Finding], list[PluginInfo]]:
        """Call every check implementation; return their findings and who took part.

        *stream* must be read-only (its facts frozen): every plugin sees the same one.
        """
        impls = self._implementations("stageborging_check_transition")
        if not impls:
            return [], []
        kwargs = {
            "stream": stream,
            "transition": transition,
            "actor": actor,
            "data": types.MappingProxyType(data),
            "now": now,
        }
        findings: list[Finding] = []
        for info, call in impls:
            try:
                result = call(kwargs)
                if result is not None:
                    findings.extend(_own_findings(info, result))
            except Exception as exc:
                self._log.warning("check failed", plugin=info.name, error=_error_text(exc))
                findings.append(
                    finding(
                        "check.failed", source=info.name, plugin=info.name, error=_error_text(exc)
                    )
                )
        return findings, list(self._takers["stageborging_check_transition"])

    def verify_recognition(self, employer: str, qualification: str, on: date) -> RecognitionAnswer:
        """Ask the recognition verifiers in turn until one answers."""
        kwargs: dict[str, Any] = {"employer": employer, "qualification": qualification, "on": on}
        impls = self._implementations("stageborging_verify_recognition")
        for info, call in impls:
            try:
                answer = call(kwargs)
            except Exception as exc:
                self._log.warning(
                    "recognition verifier failed", plugin=info.name, error=_error_text(exc)
                )
                return RecognitionAnswer(None, info.name, _error_text(exc))
            if answer is not None:
                return RecognitionAnswer(bool(answer), info.name)
        return RecognitionAnswer(None, "stageborging", asked=len(impls))

    @property
    def checks_transitions(self) -> bool:
        """True when any plugin implements ``stageborging_check_transition``."""
        return bool(self._implementations("stageborging_check_transition"))

    def __contains__(self, name: object) -> bool:
        return name in self._infos

    def info(self, name: str) -> PluginInfo:
        """The name and version of the registered plugin *name*."""
        return self._infos[name]


def _own_findings(info: PluginInfo, result: Iterable[Finding]) -> list[Finding]:
    if isinstance(result, (str, bytes, Finding)) or not isinstance(result, Iterable):
        raise TypeError(f"returned {type(result).__name__}, not an iterable of findings")
    own = []
    for item in result:
        if not isinstance(item, Finding):
            raise TypeError(f"returned a {type(item).__name__}, not a Finding")
        message_nl = item.message_nl or item.message
        own.append(
            Finding(
                code=item.code,
                severity=item.severity,
                message=item.message,
                message_nl=message_nl,
                source=info.name,
                params=item.params,
            )
        )
    return own
