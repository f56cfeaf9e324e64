"""The webhook channel: each delivery one signed HTTP POST of its JSON payload."""

from __future__ import annotations

import time

import httpx
from stageborging import Delivery
from stageborging.exceptions import DeliveryFailed
from standardwebhooks import Webhook

from .__about__ import __version__
from .outcomes import check_status, transport_code
from .payload import encode
from .settings import Settings
from .signature import signed_headers

__all__ = ["USER_AGENT", "WebhookChannel", "request_timeout"]

#: The ``User-Agent`` of every request (a ``headers`` setting may replace it).
USER_AGENT = f"stageborging-webhook/{__version__}"


def request_timeout(timeout: float) -> float:
    """The HTTP client's timeout within the dispatcher's *timeout*: a fifth less, at most
    two seconds less, so that a slow receiver is ``http.timeout`` here before the
    dispatcher stops waiting (``channel.timeout``)."""
    return timeout - min(timeout * 0.2, 2.0)


class WebhookChannel:
    """Sends each :class:`~stageborging.Delivery` as an HTTP POST to the ``url`` of
    *settings*: the payload (:mod:`.payload`) as ``application/json``, signed per
    Standard Webhooks with ``webhook-id`` (the delivery's idempotency key, the same on
    every attempt), ``webhook-timestamp`` and ``webhook-signature``.

    Redirects are not followed, the environment's proxy settings are not used, and no
    request is logged (httpx's client would log its address): the request goes through
    an :class:`httpx.HTTPTransport` of its own, closed when it is answered. Thread-safe:
    a call shares nothing with another.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = settings.channel
        self._webhook = Webhook(settings.secret)
        given = {name.lower() for name in settings.headers}
        default = {} if "user-agent" in given else {"User-Agent": USER_AGENT}
        self._headers = {**default, **settings.headers, "Content-Type": "application/json"}

    def __repr__(self) -> str:
        return f"WebhookChannel(name={self.name!r})"

    def deliver(self, delivery: Delivery, timeout: float) -> None:
        """POST *delivery* and return once the receiver answered ``2xx``.

        Raises:
            DeliveryFailed: the receiver answered otherwise, or could not be reached in
                time (the codes are in :mod:`.outcomes`).
        """
        body = encode(delivery)
        signed = signed_headers(self._webhook, delivery.key, int(time.time()), body)
        request = httpx.Request(
            "POST",
            self.settings.url,
            content=body,
            headers={**self._headers, **signed},
            extensions={"timeout": httpx.Timeout(request_timeout(timeout)).as_dict()},
        )
        try:
            with httpx.HTTPTransport(retries=0) as transport:
                response = transport.handle_request(request)
                response.close()
        except httpx.TransportError as exc:
            raise DeliveryFailed(transport_code(exc)) from None
        check_status(response.status_code)
