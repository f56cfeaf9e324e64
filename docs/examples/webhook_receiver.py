"""A webhook receiver verifying stageborging's signature (Standard Webhooks) with the
standard library only: the secret, the headers and the raw body of one request."""

import base64
import hashlib
import hmac
import json
import time

TOLERANCE = 5 * 60  # seconds a timestamp may be off: older is a replay


class Rejected(Exception):
    """The request is not from the dispatcher that holds the secret, or is a replay."""


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> dict:
    """The payload of a request whose signature holds; else Rejected. *body* is the raw
    request body, exactly as received."""
    headers = {name.lower(): value for name, value in headers.items()}
    try:
        msg_id = headers["webhook-id"]
        stamp = headers["webhook-timestamp"]
        signatures = headers["webhook-signature"].split(" ")
    except KeyError as missing:
        raise Rejected(f"no {missing} header") from None
    if not stamp.isdigit() or abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE:
        raise Rejected("the timestamp is more than five minutes off")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise Rejected("no signature matches")
    return json.loads(body)


# What the receiver was configured with, and what one request brought (made by the
# webhook channel; the timestamp is 2027-03-08 09:00 UTC).
SECRET = "whsec_YSBzZWNyZXQgb2YgdGhlIHNjaG9vbCwgMzIgYnl0ZXM="
BODY = (
    b'{"type":"stageborging.notification","version":1,'
    b'"id":"int-0001:4:guidance:0/coach-3","kind":"guidance.missed","language":"nl"}'
)
HEADERS = {
    "webhook-id": "int-0001:4:guidance:0/coach-3",
    "webhook-timestamp": "1804496400",
    "webhook-signature": "v1,7i0IMzIsxjeNGt33/0jf4CzJAMxEwZUp94k3tmAlejU=",
    "content-type": "application/json",
}
NOW = 1804496400 + 12  # the receiver's clock, twelve seconds later


def main() -> None:
    seen: set[str] = set()
    payload = verify(SECRET, HEADERS, BODY, now=NOW)
    print(f"verified: {payload['kind']} for {payload['id']} ({payload['language']})")
    seen.add(HEADERS["webhook-id"])
    print(f"a repeat is dropped by its id: {HEADERS['webhook-id'] in seen}")
    for what, headers, body, now in [
        ("a changed body", HEADERS, BODY.replace(b'"nl"', b'"en"'), NOW),
        ("a wrong secret", HEADERS, BODY, NOW),
        ("an old request", HEADERS, BODY, NOW + 3600),
        ("no signature", {"webhook-id": "x", "webhook-timestamp": "1"}, BODY, NOW),
    ]:
        secret = (
            "whsec_" + base64.b64encode(b"another secret").decode() if "secret" in what else SECRET
        )
        try:
            verify(secret, headers, body, now=now)
        except Rejected as exc:
            print(f"{what}: rejected ({exc})")


if __name__ == "__main__":
    main()
