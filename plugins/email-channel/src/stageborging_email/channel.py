"""The ``email`` channel: one delivery, one SMTP conversation, with the standard library's
:mod:`smtplib`."""

from __future__ import annotations

import smtplib
import ssl

from stageborging import Delivery, DeliveryFailed

from .failures import failure
from .message import compose
from .settings import Settings

__all__ = ["EmailChannel"]


class EmailChannel:
    """Sends each delivery as one plain-text e-mail through the SMTP server of its
    :class:`~stageborging_email.settings.Settings`.

    Each :meth:`deliver` opens a connection of its own (secured as ``tls`` says), logs
    in when a ``username`` is set, sends the message to the contact's one address and
    closes: the dispatcher calls it from a thread of its own, so nothing is shared
    between calls but the settings and the TLS context. It logs nothing.

    Raises:
        InvalidInput: ``ca_file`` cannot be read (``email.ca_file``).
    """

    def __init__(self, settings: Settings) -> None:
        self.name = settings.channel
        self.settings = settings
        self._context = settings.tls_context()

    def __repr__(self) -> str:
        return f"EmailChannel(name={self.name!r}, host={self.settings.host!r})"

    def deliver(self, delivery: Delivery, timeout: float) -> None:
        """Send *delivery*; every blocking step waits at most *timeout* seconds.

        Raises:
            DeliveryFailed: with the code of what failed (see :mod:`.failures`),
                ``permanent`` when the server refused the recipient, the sender or the
                message for good.
        """
        message = compose(delivery, self.settings)
        recipient = delivery.contact.address  # checked by compose: exactly one address
        settings = self.settings
        client: smtplib.SMTP | None = None
        phase = "connect"
        try:
            client = self._connect(timeout)
            client.ehlo()
            if settings.tls == "starttls":
                phase = "starttls"
                if not client.has_extn("starttls"):
                    raise DeliveryFailed("smtp.starttls")  # never on in plain text
                client.starttls(context=self._context)
                client.ehlo()
            if settings.username is not None and settings.password is not None:
                phase = "auth"
                client.login(settings.username, settings.password)
            phase = "send"
            client.send_message(message, from_addr=settings.sender, to_addrs=[recipient])
        except Exception as exc:  # named by a code; the text may hold the address
            if client is not None:
                client.close()
            raise failure(exc, phase) from None
        _quit(client)

    def _connect(self, timeout: float) -> smtplib.SMTP:
        """A client connected to the server, greeted (``220``): TLS from the first byte
        with ``tls = "implicit"``. The host is given to the constructor, which is where
        smtplib keeps the name the server's certificate is checked against."""
        host, port = self.settings.host, self.settings.port
        if self.settings.tls == "implicit":
            assert isinstance(self._context, ssl.SSLContext)
            return smtplib.SMTP_SSL(host, port, timeout=timeout, context=self._context)
        return smtplib.SMTP(host, port, timeout=timeout)


def _quit(client: smtplib.SMTP) -> None:
    """Say goodbye after the message was accepted; a failure now changes nothing."""
    try:
        client.quit()
    except OSError:  # smtplib's errors are OSErrors too
        pass
    finally:
        client.close()
