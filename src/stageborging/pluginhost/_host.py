"""The plugin manager of one engine: registration, and isolated, fail-closed hook calls."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pluggy

from .. import hookspecs
from ..core import (
    Actor,
    Channel,
    Contact,
    Finding,
    KeyProvider,
    MessageTemplate,
    PluginError,
    PluginInfo,
    PluginProblem,
    PluginStatus,
    Recognition,
    Role,
    StageborgingError,
    Stream,
    finding,
    freeze,
    get_logger,
)
from ..lifecycles import FactSpec, LifecycleDefinition, Transition
from . import _accept
from ._answers import Answer, RecognitionAnswer
from ._calls import Accept, Hook, Impl, call, caller
from ._findings import own_findings
from ._register import NoHooks, admit, own_settings, plugin_name
from ._versions import UNVERSIONED, plugin_version

__all__ = ["RESERVED", "PluginHost"]


def _failed(hook: str, error: Exception) -> str:
    """What a start-up hook's failure says: a library error's message (it names the field
    and quotes values in excerpts only), else the exception's type alone (a plugin's own
    message may hold an address or a secret)."""
    if isinstance(error, StageborgingError | _accept.Malformed):
        return f"{hook} failed: {type(error).__name__}: {error}"
    return f"{hook} failed: {type(error).__name__} (its message is not shown)"


_BLOCKED = "blocked by configuration; not loaded"
#: Hooks called once, when the registry is built.
_AT_START = frozenset(
    {
        "stageborging_lifecycles",
        "stageborging_guidance_steps",
        "stageborging_institution_facts",
        "stageborging_key_provider",
        "stageborging_templates",
    }
)
#: The source of the hard rules' findings: no plugin may take it.
RESERVED = "stageborging"


class PluginHost:
    """One pluggy manager with the hook specs, the built-in defaults and the given plugins.

    Hook implementations are called one by one, in pluggy's order (the most recently
    registered first, ``tryfirst`` and ``trylast`` honoured), so that an implementation
    that raises becomes a finding naming it instead of hiding the others (pluggy
    itself stops at the first exception). Each implementation that asks for
    ``plugin_config`` receives this host's settings for its plugin.
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
        self._config: Mapping[str, Any] = freeze(dict(config or {}))  # read-only, all the way
        self._infos: dict[str, PluginInfo] = {}
        self._sources: dict[str, str] = {}
        self._log = get_logger()
        self._hooks: dict[str, Hook] = {}
        self._block = frozenset(block)
        self.problems: list[PluginProblem] = []
        if defaults:
            from ._defaults import CaseDeadlines, DefaultRules
            from ._notices import SafeguardingNotices

            self._register_unless_blocked(DefaultRules(), "built-in")
            self._register_unless_blocked(CaseDeadlines(), "built-in")
            self._register_unless_blocked(SafeguardingNotices(), "built-in")
        for plugin in plugins:
            self._register_unless_blocked(plugin, "explicit")
        if entry_points:
            self._load_entry_points()

    # -- registration ------------------------------------------------------------------

    def _register_unless_blocked(self, plugin: object, source: str) -> None:
        name = plugin_name(plugin)
        if name in self._block:
            self.problems.append(PluginProblem(name, _BLOCKED))
            return
        self.register(plugin, name=name, source=source)

    def _load_entry_points(self) -> None:
        """Register the plugins installed distributions declare (group ``stageborging``)."""
        for entry in importlib.metadata.entry_points(group=hookspecs.PROJECT):
            if entry.name in self._block:
                self.problems.append(PluginProblem(entry.name, _BLOCKED))
                continue
            try:
                plugin = entry.load()
            except Exception as exc:  # a broken plugin must not take the host down
                problem = f"cannot be imported ({entry.value}): {type(exc).__name__}: {exc}"
                self.problems.append(PluginProblem(entry.name, problem))
                self._log.warning("plugin not loaded", plugin=entry.name, error=type(exc).__name__)
                continue
            version = entry.dist.version if entry.dist is not None else UNVERSIONED
            try:
                self.register(plugin, name=entry.name, version=version, source="entry point")
            except NoHooks as exc:  # loads, but would do nothing: say so, do not stop
                self.problems.append(PluginProblem(entry.name, f"{exc.problem} ({entry.value})"))
                self._log.warning("plugin not loaded", plugin=entry.name, error="NoHooks")

    def register(
        self,
        plugin: object,
        *,
        name: str | None = None,
        version: str | None = None,
        source: str = "explicit",
        late: bool = False,
    ) -> str:
        """Register *plugin* and configure it; raise :class:`PluginError` if it is malformed.

        A misspelled hook, an argument the spec lacks, no hook at all, a hook
        wrapper, a name already taken, a class instead of an instance, or a
        configure hook that raises: each is an error naming the plugin (and the hook).
        *late* (a plugin added to a running engine) also refuses the hooks that are
        collected once, when the registry is built: they would never be called.
        """
        if plugin is None or isinstance(plugin, (str, bytes, int, float, list, tuple, dict)):
            raise PluginError(repr(plugin)[:40], "is no plugin: give a module or an instance")
        name = name or plugin_name(plugin)
        if name == RESERVED:
            raise PluginError(name, "is the name of stageborging's own hard rules; choose another")
        if isinstance(plugin, type):
            raise PluginError(name, "is a class; register an instance of it")
        if self.manager.has_plugin(name) or self.manager.is_registered(plugin):
            raise PluginError(name, "a plugin with this name (or this plugin) is registered")
        try:
            self.manager.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(name, str(exc)) from None
        try:
            admit(self.manager, plugin, name)
            if late:
                hooks = {c.name for c in self.manager.get_hookcallers(plugin) or ()}
                for hook in sorted(hooks & _AT_START):
                    raise PluginError(
                        name,
                        f"{hook} is collected when the registry is built; pass the plugin "
                        "to Engine(plugins=...) or Registry(...) instead",
                    )
            own = own_settings(self._config, name)
            self._configure(plugin, name, own)
        except BaseException:
            self.manager.unregister(plugin)
            raise
        self._infos[name] = PluginInfo(name, version or plugin_version(plugin))
        self._sources[name] = source
        self._hooks.clear()
        return name

    def _configure(self, plugin: object, name: str, own: Mapping[str, Any]) -> None:
        """Call the plugin's ``stageborging_configure`` (historic: every plugin, as it comes)."""
        for impl in self.manager.hook.stageborging_configure.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            try:
                caller(impl.function, impl.argnames, own)({"config": self._config})
            except Exception as exc:
                raise PluginError(
                    name, f"stageborging_configure failed: {type(exc).__name__}: {exc}"
                ) from None

    def unregister(self, name: str) -> None:
        """Remove the plugin registered as *name*."""
        self.manager.unregister(name=name)
        del self._infos[name]
        del self._sources[name]
        self._hooks.clear()

    # -- what is registered --------------------------------------------------------------

    def status(self) -> tuple[PluginStatus, ...]:
        """Every registered plugin: name, version, where it came from, its hooks."""
        result = []
        for info in self.plugins:
            plugin = self.manager.get_plugin(info.name)
            callers = self.manager.get_hookcallers(plugin) or []
            hooks = tuple(sorted(caller.name for caller in callers))
            result.append(PluginStatus(info.name, info.version, self._sources[info.name], hooks))
        return tuple(result)

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """Every registered plugin, by name."""
        return tuple(sorted(self._infos.values(), key=lambda info: info.name))

    def __contains__(self, name: object) -> bool:
        return name in self._infos

    def info(self, name: str) -> PluginInfo:
        """The name and version of the registered plugin *name*."""
        return self._infos[name]

    def implemented(self, hook: str) -> bool:
        """True when any plugin implements *hook*."""
        return bool(self._hook(hook).impls)

    def _hook(self, name: str) -> Hook:
        cached = self._hooks.get(name)
        if cached is None:
            hook_caller = getattr(self.manager.hook, name)
            impls = tuple(
                Impl(
                    self._infos[impl.plugin_name],
                    caller(
                        impl.function,
                        impl.argnames,
                        own_settings(self._config, impl.plugin_name),
                    ),
                )
                for impl in reversed(hook_caller.get_hookimpls())  # pluggy's call order
            )
            spec = hook_caller.spec
            firstresult = bool(spec is not None and spec.opts.get("firstresult"))
            takers = tuple(sorted({impl.plugin for impl in impls}, key=lambda i: i.name))
            cached = self._hooks[name] = Hook(impls, firstresult, takers)
        return cached

    def call(
        self,
        hook: str,
        kwargs: Mapping[str, Any],
        accept: Accept | None = None,
        *,
        skip_failures: bool = False,
    ) -> list[Answer]:
        """Every implementation's :class:`Answer` to *hook*, each called on its own.

        The hook's spec decides: a ``firstresult`` hook stops at the first value
        that is not None (or at the first failure, unless *skip_failures*); any
        other hook asks every implementation. *accept* checks (and may convert) each
        value that is not None, raising when it is malformed.
        """
        return call(self._hook(hook), kwargs, accept, skip_failures=skip_failures)

    def lifecycles(self) -> list[tuple[str, LifecycleDefinition]]:
        """(plugin name, definition) for every definition the plugins contribute."""
        return self._collected("stageborging_lifecycles", _accept.definitions)

    def check_transition(
        self,
        stream: Stream,
        transition: Transition,
        actor: Actor,
        data: Mapping[str, Any],
        now: datetime,
    ) -> tuple[list[Finding], list[PluginInfo]]:
        """Call every transition check; return their findings and who took part.

        *stream* must be read-only (its facts frozen): every plugin sees the same one.
        """
        kwargs = {"stream": stream, "transition": transition, "actor": actor}
        return self._check("stageborging_check_transition", kwargs, data, now)

    def check_record(
        self,
        stream: Stream,
        fact: FactSpec,
        actor: Actor,
        data: Mapping[str, Any],
        now: datetime,
    ) -> tuple[list[Finding], list[PluginInfo]]:
        """Call every fact check; return their findings and who took part.

        *stream* must be read-only (its facts frozen): every plugin sees the same one.
        """
        kwargs = {"stream": stream, "fact": fact, "actor": actor}
        return self._check("stageborging_check_record", kwargs, data, now)

    def _check(
        self, hook: str, kwargs: dict[str, Any], data: Mapping[str, Any], now: datetime
    ) -> tuple[list[Finding], list[PluginInfo]]:
        """Collect-all, fail closed: a failing check is a blocking ``check.failed``."""
        found = self._hook(hook)
        if not found.impls:
            return [], []
        kwargs["data"] = freeze(data)  # read-only all the way down: this data is sealed
        kwargs["now"] = now
        findings: list[Finding] = []
        for answer in call(found, kwargs, own_findings):
            if answer.error is None:
                findings.extend(answer.value or ())
                continue
            plugin, error = answer.plugin.name, answer.error_type
            self._log.warning("check failed", plugin=plugin, hook=hook, error=error)
            findings.append(finding("check.failed", source=plugin, plugin=plugin, error=error))
        return findings, list(found.plugins)

    def verify_recognition(self, employer: str, qualification: str, on: date) -> RecognitionAnswer:
        """Ask the recognition verifiers in turn until one answers."""
        hook = "stageborging_verify_recognition"
        kwargs = {"employer": employer, "qualification": qualification, "on": on}
        answers = self.call(hook, kwargs, _accept.recognition)
        if not answers or (answers[-1].error is None and answers[-1].value is None):
            return RecognitionAnswer(None, "stageborging", asked=len(answers))  # none answered
        last = answers[-1]
        if isinstance(last.value, Recognition):
            recognised = last.value is Recognition.RECOGNISED
            return RecognitionAnswer(recognised, last.plugin.name, status=last.value)
        if last.error is None:
            return RecognitionAnswer(last.value, last.plugin.name)
        if isinstance(last.error, _accept.NotAnAnswer):  # "no", 0 …: fail closed
            return RecognitionAnswer(None, last.plugin.name, str(last.error))
        plugin, error = last.plugin.name, last.error_type
        self._log.warning("recognition verifier failed", plugin=plugin, hook=hook, error=error)
        return RecognitionAnswer(None, plugin, error)

    def key_provider(self) -> KeyProvider | None:
        """The key provider the first answering ``stageborging_key_provider`` plugin offers.

        Raises:
            PluginError: the plugin failed, or offered no ``wrap`` and ``unwrap``.
        """
        hook = "stageborging_key_provider"
        for answer in self.call(hook, {}, _accept.key_provider):
            if answer.error is not None:
                raise PluginError(
                    answer.plugin.name, f"{hook} failed: {answer.error_type}: {answer.error}"
                )
            if answer.value is not None:
                return answer.value  # type: ignore[no-any-return]
        return None

    def recipients(self, role: Role, stream: Stream, *, strict: bool = False) -> tuple[str, ...]:
        """The ids the first answering ``stageborging_recipients`` plugin gives.

        Raises:
            PluginError: with *strict*, when none answered and one failed (else: no one).
        """
        hook = "stageborging_recipients"
        kwargs = {"role": role, "stream": stream}
        answers = self.call(hook, kwargs, _accept.ids, skip_failures=True)
        failed = None
        for answer in answers:  # a failing or malformed answer: the next one was asked
            if answer.error is not None:
                failed = answer.plugin.name
                self._log.warning("recipients failed", plugin=failed, hook=hook,
                                  error=answer.error_type)  # fmt: skip
            elif answer.value is not None:
                return tuple(answer.value)
        if strict and failed is not None:
            raise PluginError(failed, f"{hook} failed")
        return ()

    def contact(self, person: str, channel: str) -> Contact | None:
        """The contact the first answering ``stageborging_contact`` plugin gives; None
        when none knows the person.

        Raises:
            PluginError: every plugin that answered failed (the delivery records it).
        """
        hook = "stageborging_contact"
        answers = self.call(hook, {"person": person, "channel": channel}, _accept.contact,
                            skip_failures=True)  # fmt: skip
        failed = None
        for answer in answers:
            if answer.error is not None:
                failed = answer.plugin.name
                self._log.warning("contact failed", plugin=failed, hook=hook,
                                  error=answer.error_type)  # fmt: skip
            elif answer.value is not None:
                return answer.value  # type: ignore[no-any-return]
        if failed is not None:
            raise PluginError(failed, f"{hook} failed")
        return None

    def channels(self) -> list[tuple[str, Channel]]:
        """(plugin name, channel) for every channel the ``stageborging_channels`` plugins
        offer.

        Raises:
            PluginError: a plugin failed, or offered something that is no channel.
        """
        return self._collected("stageborging_channels", _accept.channels)

    def templates(self) -> list[tuple[str, MessageTemplate]]:
        """(plugin name, template) for every template the ``stageborging_templates``
        plugins give.

        Raises:
            PluginError: a plugin failed, or gave something that is no template.
        """
        return self._collected("stageborging_templates", _accept.templates)

    def _collected(self, hook: str, accept: Accept) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        for answer in self.call(hook, {}, accept):
            if answer.error is not None:  # chained: a plugin's InvalidInput keeps its field
                raise PluginError(answer.plugin.name, _failed(hook, answer.error)) from answer.error
            found += [(answer.plugin.name, item) for item in answer.value or ()]
        return found
