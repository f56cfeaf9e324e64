"""A receiver of stageborging-webhook deliveries, with only the standard library.

Run it with the secret the sender signs with (``WEBHOOK_SECRET``, ``whsec_…``)::

    WEBHOOK_SECRET=whsec_... python receiver.py 8080

It answers ``204`` to a delivery it takes in, ``200`` to one it had already (a retry:
the sender stops), ``401`` to one whose signature does not hold and ``400`` to one that
is no JSON object (the sender makes both dead letters: fix the secret, then retry them).
A real receiver keeps the ids it has seen in its database, and as long as the sender
may retry (days), not only the five minutes a timestamp is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: How far a delivery's timestamp may be from the receiver's clock, in seconds.
TOLERANCE = 5 * 60


class InvalidWebhook(Exception):
    """A request that is no delivery of the sender's: missing headers, a timestamp too
    far off, or no signature that matches."""


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> Any:
    """The payload of *body* if its Standard Webhooks signature holds; else InvalidWebhook.

    *secret* is the ``whsec_…`` secret, *headers* the request's headers (any case),
    *body* the raw request body exactly as received (not re-serialised JSON), *now* the
    receiver's clock (unix seconds; the current time by default).
    """
    lower = {name.lower(): value for name, value in headers.items()}
    msg_id = lower.get("webhook-id", "")
    timestamp = lower.get("webhook-timestamp", "")
    signatures = lower.get("webhook-signature", "")
    if not (msg_id and signatures and timestamp.isascii() and timestamp.isdigit()):
        raise InvalidWebhook("missing or malformed webhook headers")
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE:
        raise InvalidWebhook("timestamp more than five minutes off")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    expected = b"v1," + base64.b64encode(digest)
    if not any(hmac.compare_digest(expected, given.encode()) for given in signatures.split(" ")):
        raise InvalidWebhook("no signature matches")
    return json.loads(body)


class Seen:
    """The ``webhook-id`` of every delivery taken in, so that a retry of one is taken
    in once. In memory here: keep them in your database, recorded in the transaction
    that takes the message in (a failure then leaves the id unseen, for the retry)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def first(self, msg_id: str) -> bool:
        """True the first time *msg_id* is seen, False after."""
        with self._lock:
            if msg_id in self._ids:
                return False
            self._ids.add(msg_id)
            return True


def handle(
    secret: str, headers: Mapping[str, str], body: bytes, seen: Seen, now: float | None = None
) -> int:
    """The status to answer a POST with: 204 taken in, 200 a duplicate, 401 not signed
    by the sender, 400 no JSON object."""
    try:
        payload = verify(secret, headers, body, now)
    except InvalidWebhook:
        return 401
    except (json.JSONDecodeError, UnicodeDecodeError):
        return 400
    if not isinstance(payload, dict):
        return 400
    msg_id = {name.lower(): value for name, value in headers.items()}["webhook-id"]
    if not seen.first(msg_id):
        return 200
    # take the message in here: payload["recipient"], payload["subject"], payload["body"] …
    return 204


def server(port: int, secret: str, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server answering POSTs on *host* and *port* with :func:`handle` (call its
    ``serve_forever``); put it behind your TLS-terminating proxy."""
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(handle(secret, dict(self.headers.items()), body, seen))
            self.send_header("Content-Length", "0")
            self.end_headers()

    return ThreadingHTTPServer((host, port), Handler)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    with server(port, os.environ["WEBHOOK_SECRET"]) as running:
        running.serve_forever()
