"""The message templates an installation knows: the built-in kinds' and the plugins'."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from ..core import MessageTemplate, PluginError

__all__ = ["BUILTIN_PREFIX", "collect_templates"]

#: The name prefix of stageborging's own plugins: their templates may be replaced.
BUILTIN_PREFIX = "stageborging."


def collect_templates(
    builtin: Iterable[MessageTemplate], given: Iterable[tuple[str, MessageTemplate]]
) -> Mapping[str, MessageTemplate]:
    """Every template by kind (read-only): *builtin* ones, then the plugins' (*given*, as
    (plugin, template)); an institution's plugin replaces a built-in kind's template.

    Raises:
        PluginError: two plugins (not built-in) give one kind.
    """
    found: dict[str, MessageTemplate] = {t.kind: t for t in builtin}
    owner: dict[str, str] = {}
    for plugin, template in sorted(given, key=lambda item: item[0].startswith(BUILTIN_PREFIX)):
        # the institutions' plugins first: a built-in plugin's template fills in only
        # the kinds none of them gave
        taken = owner.get(template.kind)
        if taken is not None and not plugin.startswith(BUILTIN_PREFIX):
            raise PluginError(plugin, f"the template {template.kind} is given by {taken} too")
        if taken is None:
            found[template.kind] = template
            owner[template.kind] = plugin
    return MappingProxyType(dict(sorted(found.items())))
