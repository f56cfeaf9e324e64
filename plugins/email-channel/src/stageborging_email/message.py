"""The e-mail a delivery becomes: its headers (a ``Message-ID`` derived from the
delivery's idempotency key) and its plain-text body."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime

from stageborging import Delivery, DeliveryFailed

from .settings import Settings, parse_address

__all__ = ["KEY_HEADER", "compose", "message_id"]

#: The header that carries the delivery's idempotency key.
KEY_HEADER = "X-Stageborging-Key"
#: How the key header is written: on one line (up to SMTP's 998 characters).
_ONE_LINE = policy.SMTP.clone(max_line_length=998)


class _Policy(EmailPolicy):
    """:data:`email.policy.SMTP`, except that the key header is never folded: a key has
    no spaces, so a fold would come right after the colon and some readers keep the
    space it leaves before the key."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() == KEY_HEADER.lower():
            return str(_ONE_LINE.fold(name, value))
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() == KEY_HEADER.lower():
            return _ONE_LINE.fold_binary(name, value)
        return super().fold_binary(name, value)


_POLICY = _Policy(linesep="\r\n")


def message_id(key: str, domain: str) -> str:
    """The ``Message-ID`` of the delivery with idempotency *key*:
    ``<{sha256(key) in hex, first 32 digits}@{domain}>``.

    The same for every attempt to send one message to one recipient, so a duplicate
    (a resend after a lost reply) carries the Message-ID of the first and a receiver
    or a mail client can drop it; it shows nothing of the key.
    """
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def compose(delivery: Delivery, settings: Settings, now: datetime | None = None) -> EmailMessage:
    """The message of *delivery* from *settings*' sender, dated *now* (the current time
    by default).

    Raises:
        DeliveryFailed: ``email.address`` (permanent) when the contact's address is not
            exactly one address; ``email.header`` (permanent) when a text cannot be a
            header (a line break in a subject).
    """
    recipient = parse_address(delivery.contact.address)
    if recipient is None:
        raise DeliveryFailed("email.address", permanent=True)
    message = EmailMessage(policy=_POLICY)
    try:
        message["From"] = Address(settings.sender_name or "", addr_spec=settings.sender)
        message["To"] = Address(delivery.contact.name, addr_spec=recipient.addr_spec)
        if settings.reply_to is not None:
            message["Reply-To"] = Address(addr_spec=settings.reply_to)
        message["Subject"] = delivery.subject
        message["Date"] = format_datetime(now or datetime.now(UTC))
        message["Message-ID"] = message_id(delivery.key, settings.message_id_domain)
        message["Auto-Submitted"] = "auto-generated"
        message[KEY_HEADER] = delivery.key
    except ValueError:  # a line break or a malformed header value: never sent
        raise DeliveryFailed("email.header", permanent=True) from None
    message.set_content(delivery.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = delivery.language  # after set_content, which drops Content-*
    return message
