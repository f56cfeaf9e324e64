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

from .. import hookspecs
from ..__about__ import __version__
from ..core import (
    Actor,
    Event,
    Finding,
    GuidanceStep,
    Notification,
    OutboxEntry,
    PluginError,
    PluginInfo,
    PluginProblem,
    PluginStatus,
    Role,
    Stream,
    check_canonical_value,
    check_identifier,
    finding,
    freeze,
    get_logger,
)
from ..lifecycles import LifecycleDefinition, Transition
from ._answers import RecognitionAnswer

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

    def __init__(
        self,
        plugins: Sequence[object] = (),
        *,
        defaults: bool = True,
        entry_points: bool = False,
        block: Iterable[str] = (),
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._sources: dict[str, str] = {}
        self._log = get_logger()
        self._impls: dict[str, list[_Impl]] = {}
        self._takers: dict[str, list[PluginInfo]] = {}  # hook -> its plugins, by name
        self._block = frozenset(block)
        self.problems: list[PluginProblem] = []
        # Historic: every plugin registered from now on is configured as it registers,
        # so a plugin that refuses its settings is named (see register()).
        settings = types.MappingProxyType(dict(config or {}))
        self.manager.hook.stageborging_configure.call_historic(kwargs={"config": settings})
        if defaults:
            from ._defaults import DefaultRules

            self._register_unless_blocked(DefaultRules(), "built-in")
        for plugin in plugins:
            self._register_unless_blocked(plugin, "explicit")
        if entry_points:
            self._load_entry_points()

    def _register_unless_blocked(
        self, plugin: object, source: str, name: str | None = None, version: str | None = None
    ) -> None:
        name = name or plugin_name(plugin)
        if name in self._block:
            self.problems.append(PluginProblem(name, "blocked by configuration; not loaded"))
            return
        self.register(plugin, name=name, version=version, source=source)

    def _load_entry_points(self) -> None:
        """Register the plugins installed distributions declare (group ``stageborging``)."""
        for entry in importlib.metadata.entry_points(group=hookspecs.PROJECT):
            if entry.name in self._block:
                self.problems.append(
                    PluginProblem(entry.name, "blocked by configuration; not loaded")
                )
                continue
            try:
                plugin = entry.load()
            except Exception as exc:  # a broken plugin must not take the host down
                problem = f"cannot be imported ({entry.value}): {type(exc).__name__}: {exc}"
                self.problems.append(PluginProblem(entry.name, problem))
                self._log.warning("plugin not loaded", plugin=entry.name, error=type(exc).__name__)
                continue
            version = entry.dist.version if entry.dist is not None else "unversioned"
            self.register(plugin, name=entry.name, version=version, source="entry point")

    def register(
        self,
        plugin: object,
        *,
        name: str | None = None,
        version: str | None = None,
        source: str = "explicit",
    ) -> str:
        """Register *plugin* and configure it; raise :class:`PluginError` if it is malformed.

        A misspelled hook, an argument the spec lacks, a name already taken, a
        class instead of an instance, or a configure hook that raises: each is an
        error naming the plugin (and the hook).
        """
        name = name or plugin_name(plugin)
        if isinstance(plugin, type):
            raise PluginError(name, "is a class; register an instance of it")
        if self.manager.has_plugin(name) or self.manager.is_registered(plugin):
            raise PluginError(name, "a plugin with this name (or this plugin) is registered")
        try:
            self.manager.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(name, str(exc)) from None
        except Exception as exc:  # its configure hook raised (applied as it registers)
            if self.manager.has_plugin(name):
                self.manager.unregister(name=name)
            raise PluginError(
                name, f"stageborging_configure failed: {type(exc).__name__}: {exc}"
            ) from None
        try:
            self.manager.check_pending()
        except pluggy.PluginValidationError as exc:
            self.manager.unregister(plugin)
            raise PluginError(name, str(exc)) from None
        self._infos[name] = PluginInfo(name, version or _distribution_version(plugin))
        self._sources[name] = source
        self._impls.clear()
        self._takers.clear()
        return name

    def unregister(self, name: str) -> None:
        """Remove the plugin registered as *name*."""
        self.manager.unregister(name=name)
        del self._infos[name]
        del self._sources[name]
        self._impls.clear()
        self._takers.clear()

    def status(self) -> tuple[PluginStatus, ...]:
        """Every registered plugin: name, version, where it came from, its hooks."""
        result = []
        for info in self.plugins:
            plugin = self.manager.get_plugin(info.name)
            callers = self.manager.get_hookcallers(plugin) or []
            hooks = tuple(sorted(caller.name for caller in callers))
            result.append(PluginStatus(info.name, info.version, self._sources[info.name], hooks))
        return tuple(result)

    def lifecycles(self) -> list[tuple[str, LifecycleDefinition]]:
        """(plugin name, definition) for every definition the plugins contribute."""
        found: list[tuple[str, LifecycleDefinition]] = []
        for info, call in self._implementations("stageborging_lifecycles"):
            try:
                contributed = call({}) or ()
                for definition in contributed:
                    if not isinstance(definition, LifecycleDefinition):
                        raise TypeError(f"returned a {type(definition).__name__}")
                    found.append((info.name, definition))
            except Exception as exc:
                raise PluginError(
                    info.name, f"stageborging_lifecycles failed: {type(exc).__name__}: {exc}"
                ) from None
        return found

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
            "data": freeze(data),  # read-only all the way down: this data is sealed
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
            if isinstance(answer, bool):
                return RecognitionAnswer(answer, info.name)
            if answer is not None:  # "no", 0 …: never guess, fail closed
                return RecognitionAnswer(None, info.name, f"returned {type(answer).__name__}")
        return RecognitionAnswer(None, "stageborging", asked=len(impls))

    @property
    def checks_transitions(self) -> bool:
        """True when any plugin implements ``stageborging_check_transition``."""
        return bool(self._implementations("stageborging_check_transition"))

    def implemented(self, hook: str) -> bool:
        """True when any plugin implements *hook*."""
        return bool(self._implementations(hook))

    def notifications(self, hook: str, stream: Stream, event: Event) -> list[OutboxEntry]:
        """The outbox entries the *hook* implementations return for *event*.

        A plugin that raises or returns anything but notifications is logged and
        skipped: notifications never block the command that caused them.
        """
        kwargs = {"stream": stream, "event": event}
        entries: list[OutboxEntry] = []
        for info, call in self._implementations(hook):
            try:
                returned = list(call(kwargs) or ())
                for item in returned:
                    if not isinstance(item, Notification):
                        raise TypeError(f"returned a {type(item).__name__}, not a Notification")
            except Exception as exc:
                self._log.warning(
                    "notifications skipped", plugin=info.name, hook=hook, error=_error_text(exc)
                )
                continue
            entries.extend(
                OutboxEntry(
                    key=f"{event.stream_id}:{event.seq}:{info.name}:{index}",
                    stream_id=event.stream_id,
                    seq=event.seq,
                    plugin=info.name,
                    notification=item,
                    created_at=event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                )
                for index, item in enumerate(returned)
            )
        return entries

    def guidance_steps(
        self, definitions: Mapping[str, LifecycleDefinition]
    ) -> tuple[GuidanceStep, ...]:
        """Every plugin's guidance steps, validated against the known *definitions*."""
        steps: dict[str, GuidanceStep] = {}
        for info, call in self._implementations("stageborging_guidance_steps"):
            try:
                for step in call({}) or ():
                    if not isinstance(step, GuidanceStep):
                        raise TypeError(f"returned a {type(step).__name__}, not a GuidanceStep")
                    _check_step(step, definitions)
                    if step.name in steps:
                        raise ValueError(f"a guidance step named {step.name!r} exists")
                    steps[step.name] = step
            except Exception as exc:
                raise PluginError(
                    info.name, f"stageborging_guidance_steps: {type(exc).__name__}: {exc}"
                ) from None
        return tuple(steps[name] for name in sorted(steps))

    def recipients(self, role: Role, stream: Stream) -> tuple[str, ...]:
        """The ids the first answering ``stageborging_recipients`` plugin gives."""
        kwargs = {"role": role, "stream": stream}
        for info, call in self._implementations("stageborging_recipients"):
            try:
                answer = call(kwargs)
                if isinstance(answer, str):
                    raise TypeError("returned a string, not a list of ids")
                if answer is not None:
                    return tuple(check_identifier("recipient", a) for a in answer)
            except Exception as exc:  # a failing or malformed answer: ask the next one
                self._log.warning("recipients failed", plugin=info.name, error=_error_text(exc))
        return ()

    def __contains__(self, name: object) -> bool:
        return name in self._infos

    def info(self, name: str) -> PluginInfo:
        """The name and version of the registered plugin *name*."""
        return self._infos[name]


_ANCHORS = ("planned_start", "planned_end")


def _check_step(step: GuidanceStep, definitions: Mapping[str, LifecycleDefinition]) -> None:
    """Raise ValueError when *step* names an unknown lifecycle, anchor or completion."""
    applies = [definitions[n] for n in step.lifecycles if n in definitions]
    unknown = [n for n in step.lifecycles if n not in definitions]
    if unknown:
        raise ValueError(f"step {step.name!r}: unknown lifecycle {unknown[0]!r}")
    if not applies:
        applies = [d for d in definitions.values() if d.kind == "internship"]
    for definition in applies:
        if step.anchor.startswith("entered:"):
            state = step.anchor.removeprefix("entered:")
            if state not in definition.states:
                raise ValueError(
                    f"step {step.name!r}: anchor state {state!r} is not in {definition.name!r}"
                )
        elif step.anchor not in _ANCHORS:
            raise ValueError(
                f"step {step.name!r}: anchor {step.anchor!r} is not entered:STATE, "
                "planned_start or planned_end"
            )
        elif definition.kind != "internship":
            raise ValueError(
                f"step {step.name!r}: {definition.name!r} has no planned dates for {step.anchor!r}"
            )
        names = set(definition.transitions_by_trigger) | set(definition.facts_by_name)
        missing = [n for n in step.done_by if n not in names]
        if missing:
            raise ValueError(
                f"step {step.name!r}: {missing[0]!r} is no trigger or fact of {definition.name!r}"
            )


def _own_findings(info: PluginInfo, result: Iterable[Finding]) -> list[Finding]:
    if isinstance(result, (str, bytes, Finding)) or not isinstance(result, Iterable):
        raise TypeError(f"returned {type(result).__name__}, not an iterable of findings")
    own = []
    for item in result:
        if not isinstance(item, Finding):
            raise TypeError(f"returned a {type(item).__name__}, not a Finding")
        # A plugin's finding is sealed into the log: codes and ids only in code and
        # params (no names, no sentences), and text JSON can carry.
        check_identifier("code", item.code)
        for value in item.params.values():
            check_identifier("params", value)
        check_canonical_value([item.message, item.message_nl])
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
