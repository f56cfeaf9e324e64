"""The findings a check plugin returns, checked before they are sealed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core import Finding, PluginInfo, check_identifier

__all__ = ["own_findings"]


def own_findings(info: PluginInfo, result: Any) -> list[Finding]:
    """*result* as findings whose ``source`` is the plugin; raise when it is malformed.

    Each finding is made anew, so :class:`Finding`'s own checks run on what is
    sealed even if the plugin changed its finding after making it. The messages
    are the plugin's own: an empty ``message_nl`` stays empty (the contract suite
    fails a plugin that gives no Dutch).
    """
    if isinstance(result, str | bytes | Finding) or not isinstance(result, Iterable):
        raise TypeError(f"returned {type(result).__name__}, not an iterable of findings")
    own = []
    for item in result:
        if not isinstance(item, Finding):
            raise TypeError(f"returned a {type(item).__name__}, not a Finding")
        made = Finding(
            code=item.code,
            severity=item.severity,
            message=item.message,
            message_nl=item.message_nl,
            source=info.name,
            params=item.params,
        )
        # A plugin's finding is sealed into the log: ids and codes only in params
        # (no names, no sentences).
        for key, value in made.params.items():
            check_identifier(f"params.{key}", value)
        own.append(made)
    return own
