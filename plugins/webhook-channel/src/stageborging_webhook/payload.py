"""What a delivery's POST carries: a versioned JSON object, as compact UTF-8 bytes.

Schema ``stageborging.notification``, version 1 (every field is always there):

===============  =========  ==========================================================
field            type       meaning
===============  =========  ==========================================================
``type``         string     ``"stageborging.notification"``
``version``      integer    ``1``; a change that removes or retypes a field is a new one
``id``           string     the idempotency key, as in the ``webhook-id`` header: the
                            same on every attempt at this message to this recipient
``kind``         string     the notification kind (its template: ``guidance.missed``)
``entry``        string     the outbox entry's key (one per notification; its
                            recipients each have their own ``id``)
``stream_id``    string     the internship (or case) the notification is about
``recipient``    string     the recipient's pseudonymous id
``role``         string     the role they receive it as (``coach``)
``language``     string     ``nl`` or ``en``: the language of ``subject`` and ``body``
``subject``      string     the message's subject, one line
``body``         string     the message's text (the template's, with the recipient's
                            display name and ``link`` filled in)
``link``         string     the deep link into the host's system
``params``       object     the notification's params (ids and codes, string values)
``attempt``      integer    the entry's attempt (1 on the first)
``created_at``   string     when the causing event was recorded (RFC 3339, UTC)
===============  =========  ==========================================================

The recipient's display name appears only inside ``subject`` and ``body``, as the
template put it; their address is not sent (the receiver keys on ``recipient``).
"""

from __future__ import annotations

import json
from typing import Any

from stageborging import Delivery

__all__ = ["PAYLOAD_TYPE", "PAYLOAD_VERSION", "encode", "payload"]

#: The payload's ``type``.
PAYLOAD_TYPE = "stageborging.notification"
#: The payload's ``version``: new fields may be added within one version; a removed or
#: retyped field makes a new one.
PAYLOAD_VERSION = 1


def payload(delivery: Delivery) -> dict[str, Any]:
    """The JSON object *delivery* is sent as."""
    return {
        "type": PAYLOAD_TYPE,
        "version": PAYLOAD_VERSION,
        "id": delivery.key,
        "kind": delivery.kind,
        "entry": delivery.entry,
        "stream_id": delivery.stream_id,
        "recipient": delivery.recipient,
        "role": delivery.role,
        "language": delivery.language,
        "subject": delivery.subject,
        "body": delivery.body,
        "link": delivery.contact.link,
        "params": dict(delivery.params),
        "attempt": delivery.attempt,
        "created_at": delivery.created_at,
    }


def encode(delivery: Delivery) -> bytes:
    """The request body of *delivery*: its payload as compact UTF-8 JSON (no spaces, keys
    in order, non-ASCII letters as themselves), the bytes that are signed and sent."""
    text = json.dumps(
        payload(delivery), ensure_ascii=False, separators=(",", ":"), sort_keys=True,
        allow_nan=False,
    )  # fmt: skip
    return text.encode("utf-8")
