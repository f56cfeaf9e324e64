"""Notifications plugins ask for, and the outbox entries they become."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import field, frozen

from ._actors import Role, check_identifier, parse_role
from ._findings import string_params
from ._frozen import FrozenMap

__all__ = ["Notification", "OutboxEntry"]


def _recipient_role(value: str) -> Role:
    return parse_role("recipient_role", value)


def _channel(value: str) -> str:
    return check_identifier("channel", value)


def _template(value: str) -> str:
    return check_identifier("template", value)


def _ids_only(params: Mapping[str, str]) -> FrozenMap:
    return string_params(params, ids=True)


@frozen
class Notification:
    """A message to send, returned by an after-transition or after-record hook.

    It is written to the outbox in the command's own transaction and delivered
    later by a channel plugin, which resolves the recipients (pseudonymous ids
    held by a role, through the ``stageborging_recipients`` hook) and fills the
    template. So the outbox holds no addresses and no free text.

    Attributes:
        channel: The channel that delivers it (``email``, ``webhook``, a plugin's own).
        recipient_role: Who receives it, as a role on the stream.
        template: The code of the message template (``signatures.reminder``).
        params: Codes and ids that fill the template (no free text).
    """

    channel: str = field(converter=_channel)
    recipient_role: Role = field(converter=_recipient_role)
    template: str = field(converter=_template)
    params: Mapping[str, str] = field(factory=FrozenMap, converter=_ids_only)


@frozen
class OutboxEntry:
    """A notification in the outbox, with where it came from and its delivery state.

    Attributes:
        key: Unique per notification: ``stream:seq:plugin:index`` (idempotent delivery).
        stream_id: The stream whose event produced it.
        seq: That event's sequence number.
        plugin: The plugin that returned it.
        notification: What to send.
        created_at: When the event was recorded (RFC 3339, UTC).
        delivered_at: When it was delivered; ``None`` while pending.
        attempts: Delivery attempts so far (each lease counts as one).
        next_attempt_at: When it may be tried again; ``None``: at once.
        last_error: The code of the last failed attempt; ``None`` if none failed.
        leased_by: The worker that last leased it; ``None`` if never leased.
        leased_until: When that lease ends (RFC 3339, UTC).
        dead_at: When it became a dead letter (its attempts used up, or a failure
            that trying again cannot help); ``None`` while it is live. A dead letter
            is delivered again only when replayed by hand.
    """

    key: str
    stream_id: str
    seq: int
    plugin: str
    notification: Notification
    created_at: str
    delivered_at: str | None = None
    attempts: int = 0
    next_attempt_at: str | None = None
    last_error: str | None = None
    leased_by: str | None = None
    leased_until: str | None = None
    dead_at: str | None = None
