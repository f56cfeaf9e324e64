"""The outbox entries the notification hooks return for one event."""

from __future__ import annotations

from typing import Any

from ..core import Event, Notification, OutboxEntry, PluginInfo, Stream, get_logger, rfc3339
from ..pluginhost import PluginHost

__all__ = ["entries", "idempotency_key"]


def idempotency_key(event: Event, plugin: str, index: int) -> str:
    """``STREAM:SEQ:PLUGIN:INDEX``: the same for every retry of the same notification."""
    return f"{event.stream_id}:{event.seq}:{plugin}:{index}"


def entries(host: PluginHost, hook: str, stream: Stream, event: Event) -> list[OutboxEntry]:
    """The outbox entries the *hook* implementations return for *event*.

    A plugin that raises or returns anything but notifications is logged (its name,
    the hook and the error type) and skipped: notifications never block the command
    that caused them.
    """
    found: list[OutboxEntry] = []
    created = rfc3339(event.occurred_at)
    for answer in host.call(hook, {"stream": stream, "event": event}, _notifications):
        plugin = answer.plugin.name
        if answer.error is not None:
            get_logger().warning(
                "notifications skipped", plugin=plugin, hook=hook, error=answer.error_type
            )
            continue
        found.extend(
            OutboxEntry(
                key=idempotency_key(event, plugin, index),
                stream_id=event.stream_id,
                seq=event.seq,
                plugin=plugin,
                notification=item,
                created_at=created,
            )
            for index, item in enumerate(answer.value or ())
        )
    return found


def _notifications(info: PluginInfo, returned: Any) -> tuple[Notification, ...]:
    items = tuple(returned)
    for item in items:
        if not isinstance(item, Notification):
            raise TypeError(f"returned a {type(item).__name__}, not a Notification")
    return items
