"""The Standard Webhooks signature headers of one request, made by ``standardwebhooks``."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks import Webhook

__all__ = ["signed_headers"]


def signed_headers(webhook: Webhook, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The ``webhook-id``, ``webhook-timestamp`` (unix seconds) and ``webhook-signature``
    (``v1,`` and the base64 HMAC-SHA256 of ``id.timestamp.body``) headers of *body*,
    signed with *webhook*'s secret."""
    at = datetime.fromtimestamp(timestamp, tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook.sign(msg_id, at, body),
    }
