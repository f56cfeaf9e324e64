"""The findings a check plugin returns, checked before they are sealed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core import Finding, PluginInfo, check_canonical_value, check_identifier

__all__ = ["own_findings"]


def own_findings(info: PluginInfo, result: Any) -> list[Finding]:
    """*result* as findings whose ``source`` is the plugin; raise when it is malformed."""
    if isinstance(result, str | bytes | Finding) or not isinstance(result, Iterable):
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
