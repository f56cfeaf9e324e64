"""What a failed SMTP conversation is called: the short codes the dispatcher records.

A code names the step that failed and, where the server answered, its reply code
(``smtp.550``); never an address, a server's text or the message. ``permanent`` only
where trying again cannot help: the server refused this recipient or this message with
a 5xx reply. A refused sender is the school's own setting, so it is retried: fix
``sender``, and the entries waiting are delivered.

=================  =========  ==========================================================
code               permanent  when
=================  =========  ==========================================================
``smtp.connect``   no         no connection: refused, timed out, the name not found, or
                              the server's greeting refused service
``smtp.tls``       no         the TLS handshake failed: the server's certificate or name
                              did not check out (see ``ca_file``), or it speaks no TLS
``smtp.starttls``  no         ``tls = "starttls"`` and the server does not offer (or
                              refuses) STARTTLS: nothing is sent in plain text
``smtp.auth``      no         the login was refused, or the server offers no login:
                              entries wait until the settings are fixed
``smtp.NNN``       5xx: yes   the server refused the recipient or the message with reply
                              code NNN (``smtp.550``, ``smtp.451``); a refused sender is
                              never permanent
``smtp.timeout``   no         the server stopped answering mid-conversation
``smtp.lost``      no         the connection was lost mid-conversation
``smtp.error``     no         any other failure of the conversation
``email.address``  yes        the contact's address is not exactly one plain ASCII
                              address (internationalised addresses are not sent)
``email.header``   yes        a text cannot be a header (a line break in the subject)
=================  =========  ==========================================================

A lost connection or a timeout after the message was sent may leave it delivered all the
same: the retry then sends it again with the same ``Message-ID``.
"""

from __future__ import annotations

import smtplib
import ssl

from stageborging import DeliveryFailed

__all__ = ["PHASES", "failure"]

#: The steps of a conversation, in order.
PHASES = ("connect", "starttls", "auth", "send")


def _reply(code: object, *, permanent_5xx: bool) -> DeliveryFailed:
    if isinstance(code, int) and 200 <= code <= 599:
        return DeliveryFailed(f"smtp.{code}", permanent=permanent_5xx and code >= 500)
    return DeliveryFailed("smtp.error")


def failure(exc: BaseException, phase: str) -> DeliveryFailed:
    """The delivery failure *exc* raised in *phase* (one of :data:`PHASES`) comes to."""
    if isinstance(exc, DeliveryFailed):
        return exc
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return DeliveryFailed("smtp.tls")
    if phase == "connect" and isinstance(exc, OSError):  # smtplib's errors are OSErrors
        return DeliveryFailed("smtp.connect")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib reports a read that timed out as a lost connection: tell them apart
        timed_out = isinstance(exc.__context__, TimeoutError)
        return DeliveryFailed("smtp.timeout" if timed_out else "smtp.lost")
    if not isinstance(exc, smtplib.SMTPException) and isinstance(exc, OSError):
        return DeliveryFailed("smtp.timeout" if isinstance(exc, TimeoutError) else "smtp.lost")
    if phase == "starttls" and isinstance(exc, smtplib.SMTPException):
        return DeliveryFailed("smtp.starttls")
    if phase == "auth" and isinstance(exc, smtplib.SMTPException):
        return DeliveryFailed("smtp.auth")  # refused, or no AUTH, or no mechanism in common
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [reply[0] for reply in exc.recipients.values()]
        return _reply(codes[0] if codes else None, permanent_5xx=True)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # the school's own sender refused: a settings fix, then a retry delivers (were it
        # permanent, one wrong sender would turn every entry into a dead letter)
        return _reply(exc.smtp_code, permanent_5xx=False)
    if isinstance(exc, smtplib.SMTPDataError):
        return _reply(exc.smtp_code, permanent_5xx=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, permanent_5xx=False)
    return DeliveryFailed("smtp.error")
