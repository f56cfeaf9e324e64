"""What an answer or a failure of the receiver comes to: a short code, and whether
trying again can help.

================  =========  =========================================================
code              retried    when
================  =========  =========================================================
(none)            -          a ``2xx`` answer: delivered
``http.redirect`` no (dead)  a ``3xx`` answer: not followed; the ``url`` is out of date
``http.408``      yes        request timeout, too many requests, a server error:
``http.429``                 ``408``, ``429`` and every ``5xx`` (``http.503`` …);
``http.5xx``                 ``Retry-After`` is not honoured, the retry schedule decides
``http.4xx``      no (dead)  any other ``4xx`` (``http.400``, ``http.401``, ``http.410``
                             …), and any status outside 200-599 (``http.101``)
``http.timeout``  yes        no answer within the dispatcher's timeout
``http.connect``  yes        the connection was refused or could not be made
``http.dns``      yes        the host name did not resolve
``http.tls``      yes        the TLS handshake failed (a certificate that does not
                             verify, a server that speaks no TLS)
``http.protocol`` yes        the answer was no valid HTTP
``http.network``  yes        the connection broke while sending or reading
================  =========  =========================================================

No code holds the address, a host name or the receiver's text.
"""

from __future__ import annotations

import socket
import ssl

import httpx
from stageborging.exceptions import DeliveryFailed

__all__ = ["RETRIED_STATUSES", "check_status", "transport_code"]

#: The statuses worth another try besides every 5xx: request timeout, too many requests.
RETRIED_STATUSES = frozenset({408, 429})


def check_status(status: int) -> None:
    """Return for a ``2xx`` *status*; else raise :class:`DeliveryFailed` with its code.

    Raises:
        DeliveryFailed: ``http.redirect`` (permanent) for a ``3xx``; ``http.<status>``,
            transient for ``408``, ``429`` and ``5xx``, permanent for anything else.
    """
    if 200 <= status <= 299:
        return
    if 300 <= status <= 399:
        raise DeliveryFailed("http.redirect", permanent=True)
    transient = status in RETRIED_STATUSES or 500 <= status <= 599
    raise DeliveryFailed(f"http.{status}", permanent=not transient)


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def transport_code(exc: httpx.TransportError) -> str:
    """The code of a request that got no answer (every one worth another try)."""
    causes = _causes(exc)
    if isinstance(exc, httpx.TimeoutException):
        return "http.timeout"
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return "http.tls"
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return "http.dns"
    if isinstance(exc, httpx.ConnectError):
        return "http.connect"
    if isinstance(exc, httpx.ProtocolError):
        return "http.protocol"
    return "http.network"
