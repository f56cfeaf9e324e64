"""What an installation knows without a database: its plugins and lifecycle definitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..core import (
    DefinitionError,
    GuidanceStep,
    InvalidInput,
    MessageTemplate,
    PluginError,
    PluginInfo,
    PluginProblem,
    PluginStatus,
)
from ..guidance import TEMPLATES as GUIDANCE_TEMPLATES
from ..guidance import collect_steps
from ..lifecycles import InstitutionFact, LifecycleDefinition, builtin, released, unsafe_reason
from ..outbox import collect_templates
from ..pluginhost import PluginHost, collect_facts

__all__ = ["Registry"]


class Registry:
    """The plugins and lifecycles of an installation: what an :class:`Engine` runs on.

    The command line lists lifecycles and plugins from a registry without opening a
    database; an engine builds one from its arguments, or is given one. Engines that
    share a registry share its plugins and their settings (``plugin_config``): give
    two institutions with different settings a registry each (two engines built
    with their own ``config=`` have one each).

    Args:
        plugins: Plugins to register: modules or instances with
            :data:`~stageborging.hookimpl` methods (not classes).
        lifecycles: An institution's own definitions, besides the built-in
            ``mbo_bpv``, ``hbo_stage`` and ``case``.
        builtins: Load the built-in lifecycles (default). Without them an
            installation runs only its own (and its plugins') definitions;
            versions of the built-ins that releases shipped stay known, so their
            streams are still read and verified.
        defaults: Register the built-in *default* rules (required agreement
            fields, finish conditions). Hard rules always apply.
        entry_points: Also load the plugins installed distributions declare in
            the ``stageborging`` entry-point group. One that fails to import is
            reported in :attr:`plugin_problems` and logged; it does not stop
            the registry.
        block: Names of plugins not to load (entry points, or any other).
        config: Plugin settings, passed to every plugin's
            ``stageborging_configure`` hook.

    Raises:
        InvalidInput: an argument has the wrong shape (a string where a list of
            names belongs, settings that are not a mapping).
        PluginError: a plugin is malformed, or its lifecycles or guidance steps are.
        DefinitionError: a given definition is malformed, or two share a name.
    """

    def __init__(
        self,
        plugins: Sequence[object] = (),
        *,
        lifecycles: Iterable[LifecycleDefinition] = (),
        builtins: bool = True,
        defaults: bool = True,
        entry_points: bool = False,
        block: Iterable[str] = (),
        config: Mapping[str, Any] | None = None,
    ) -> None:
        block = _names(plugins, lifecycles, block, config)
        self.host = PluginHost(
            plugins, defaults=defaults, entry_points=entry_points, block=block, config=config
        )
        if not isinstance(builtins, bool):
            raise InvalidInput("builtins", builtins, "must be True or False")
        self._definitions: dict[str, LifecycleDefinition] = {}
        for definition in (*(builtin() if builtins else ()), *lifecycles):
            self._add_lifecycle(definition)
        for plugin, definition in self.host.lifecycles():
            try:
                self._add_lifecycle(definition)
            except DefinitionError as exc:
                raise PluginError(plugin, str(exc)) from None
        self._lifecycles = MappingProxyType(self._definitions)
        current = {d.digest: d for d in self._definitions.values()}
        self._versions = MappingProxyType({d.digest: d for d in released()} | current)
        self._facts = collect_facts(self.host, self._definitions)
        self._guidance = collect_steps(self.host, self._definitions, self._facts)
        self._templates: Mapping[str, MessageTemplate] | None = None

    def _add_lifecycle(self, definition: object) -> None:
        if not isinstance(definition, LifecycleDefinition):
            raise DefinitionError(repr(definition), "lifecycles", "not a LifecycleDefinition")
        unsafe = unsafe_reason(definition)
        if unsafe is not None:  # a past version is read, never run as the current one
            raise DefinitionError(definition.name, "lifecycles", f"refused: {unsafe}")
        if definition.name in self._definitions:
            raise DefinitionError(definition.name, "name", "a lifecycle with this name exists")
        self._definitions[definition.name] = definition

    @property
    def lifecycles(self) -> Mapping[str, LifecycleDefinition]:
        """Every current definition by name (read-only): the built-in, the given, the plugins'."""
        return self._lifecycles

    @property
    def versions(self) -> Mapping[str, LifecycleDefinition]:
        """Every definition version known without a database, by digest (read-only): the
        current ones and every built-in version a release of this package shipped."""
        return self._versions

    def lifecycle(self, name: str) -> LifecycleDefinition:
        """The definition called *name*.

        Raises:
            InvalidInput: no definition has that name.
        """
        definition = self._definitions.get(name) if isinstance(name, str) else None
        if definition is None:
            known = ", ".join(self._definitions)
            raise InvalidInput("lifecycle", name, f"unknown lifecycle; known: {known}")
        return definition

    @property
    def institution_facts(self) -> tuple[InstitutionFact, ...]:
        """The institution facts the plugins declared, sorted by name."""
        return self._facts

    @property
    def guidance_steps(self) -> tuple[GuidanceStep, ...]:
        """The guidance steps the plugins registered, by name."""
        return self._guidance

    @property
    def templates(self) -> Mapping[str, MessageTemplate]:
        """The message template of every notification kind, by kind (read-only): the
        built-in kinds' and the plugins' (``stageborging_templates``), collected when
        first asked for (by a dispatcher, or here), so that a wording mistake stops
        delivery, never the commands and deadlines.

        Raises:
            PluginError: a plugin's templates are malformed, or two give one kind.
        """
        if self._templates is None:
            self._templates = collect_templates(GUIDANCE_TEMPLATES, self.host.templates())
        return self._templates

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """The registered plugins (built-in defaults included), by name."""
        return self.host.plugins

    def plugin_status(self) -> tuple[PluginStatus, ...]:
        """Every registered plugin with its version, source and the hooks it implements."""
        return self.host.status()

    @property
    def plugin_problems(self) -> tuple[PluginProblem, ...]:
        """The plugins that were not loaded (blocked, or failing to import), and why."""
        return tuple(self.host.problems)


def _names(plugins: object, lifecycles: object, block: object, config: object) -> tuple[str, ...]:
    """The block list as a tuple; InvalidInput naming the first argument of the wrong shape."""
    for field, value in (("plugins", plugins), ("lifecycles", lifecycles), ("block", block)):
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise InvalidInput(field, type(value).__name__, "must be a list")
    if config is not None and not isinstance(config, Mapping):
        raise InvalidInput("config", type(config).__name__, "must be a mapping of settings")
    assert isinstance(block, Iterable)  # checked above
    names: tuple[object, ...] = tuple(block)
    for name in names:
        if not isinstance(name, str):
            raise InvalidInput("block", name, "must be a list of plugin names")
    return tuple(str(name) for name in names)
