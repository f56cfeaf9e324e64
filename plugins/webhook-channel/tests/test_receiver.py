"""The README's receiver (``examples/receiver.py``, standard library only): it verifies
what the channel sends as the Standard Webhooks library does, refuses what it should,
takes each delivery in once, and is the code the README shows."""

from __future__ import annotations

import inspect
import json
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from stageborging import Engine
from stageborging.testing import FakeClock
from standardwebhooks import Webhook, WebhookVerificationError

from conftest import POLICY, ROOT, SECRET, SECRET_ENV, Receiver, Request, load_receiver, queue_one
from stageborging_webhook import signed_headers

example = load_receiver()
OTHER_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"  # 24 bytes, not SECRET
MakeEngine = Callable[[dict[str, Any]], Engine]


@pytest.fixture
def sent(make_engine: MakeEngine, clock: FakeClock, receiver: Receiver) -> Request:
    """The request the channel sent for one delivery."""
    engine = make_engine({"url": receiver.url(), "secret_env": SECRET_ENV})
    queue_one(engine, clock)
    assert engine.dispatch(policy=POLICY).delivered == 1
    [request] = receiver.requests
    return request


def _timestamp(request: Request) -> int:
    return int(request.headers["webhook-timestamp"])


def test_it_verifies_what_the_library_verifies(sent: Request) -> None:
    expected = Webhook(SECRET).verify(sent.body, sent.headers)
    assert example.verify(SECRET, sent.headers, sent.body) == expected
    titled = {name.title(): value for name, value in sent.headers.items()}
    assert example.verify(SECRET, titled, sent.body, now=_timestamp(sent) + 300) == expected


@pytest.mark.parametrize(
    "tamper",
    [
        "body",
        "secret",
        "id",
        "timestamp",
        "signature",
        "no id",
        "no timestamp",
        "no signature",
        "timestamp not a number",
        "signature of another version",
    ],
)
def test_it_refuses_what_the_library_refuses(sent: Request, tamper: str) -> None:
    headers, body, secret = dict(sent.headers), sent.body, SECRET
    if tamper == "body":
        body = body.replace(b'"attempt":1', b'"attempt":2')
    elif tamper == "secret":
        secret = OTHER_SECRET
    elif tamper == "id":
        headers["webhook-id"] += "x"
    elif tamper == "timestamp":
        headers["webhook-timestamp"] = str(_timestamp(sent) - 1)
    elif tamper == "signature":
        headers["webhook-signature"] = headers["webhook-signature"][:-4] + "AAA="
    elif tamper.startswith("no "):
        del headers[f"webhook-{tamper[3:]}"]
    elif tamper == "timestamp not a number":
        headers["webhook-timestamp"] = "12e3"
    else:
        headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)
    with pytest.raises(example.InvalidWebhook):
        example.verify(secret, headers, body)


@pytest.mark.parametrize("off", [-301, 301, -10_000])
def test_it_refuses_a_timestamp_more_than_five_minutes_off(sent: Request, off: int) -> None:
    with pytest.raises(example.InvalidWebhook, match="five minutes"):
        example.verify(SECRET, sent.headers, sent.body, now=_timestamp(sent) - off)


def test_one_matching_signature_of_several_is_enough(sent: Request) -> None:
    headers = dict(sent.headers)
    given = headers["webhook-signature"]
    headers["webhook-signature"] = f"v1,bm90IHRoaXMgb25l {given} v2,other"
    assert example.verify(SECRET, headers, sent.body) == Webhook(SECRET).verify(sent.body, headers)


def test_it_takes_each_delivery_in_once(sent: Request) -> None:
    seen = example.Seen()
    assert example.handle(SECRET, sent.headers, sent.body, seen) == 204
    assert example.handle(SECRET, sent.headers, sent.body, seen) == 200  # a retry
    assert example.handle(OTHER_SECRET, sent.headers, sent.body, seen) == 401
    ts = _timestamp(sent)
    for body in (b"not json", b"[1, 2]"):
        headers = signed_headers(Webhook(SECRET), "other-id", ts, body)
        assert example.handle(SECRET, headers, body, seen) == 400


def test_its_server_takes_in_deliveries_and_refuses_another_secret(
    make_engine: MakeEngine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = example.server(0, SECRET, "127.0.0.1")
    server.RequestHandlerClass.log_message = lambda *args: None  # quiet
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        engine = make_engine({"url": url, "secret_env": SECRET_ENV})
        queue_one(engine, clock)
        assert engine.dispatch(policy=POLICY).delivered == 1
        monkeypatch.setenv("STAGEBORGING_TEST_WEBHOOK_OTHER", OTHER_SECRET)
        other = make_engine({"url": url, "secret_env": "STAGEBORGING_TEST_WEBHOOK_OTHER"})
        queue_one(other, clock)
        assert other.dispatch(policy=POLICY).dead == 1
        assert [d.last_error for d in other.dead_letters()] == ["http.401"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_readme_shows_this_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert inspect.getsource(example.verify) in readme
    assert inspect.getsource(example.Seen) in readme


def test_the_readmes_library_example_works(sent: Request) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [block] = [b for b in _python_blocks(readme) if "from standardwebhooks" in b]
    scope: dict[str, Any] = {}
    exec(compile(block, "README.md", "exec"), scope)
    take_in = scope["take_in"]
    assert take_in(SECRET, sent.headers, sent.body) == Webhook(SECRET).verify(
        sent.body, sent.headers
    )
    assert take_in(OTHER_SECRET, sent.headers, sent.body) is None


def test_the_readmes_example_request_is_signed_and_shaped_as_sent() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [http] = re.findall(r"```http\n(.*?)```", readme, flags=re.DOTALL)
    head, body = http.split("\n\n", 1)
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    raw = body.rstrip("\n").encode("utf-8")
    [secret] = re.findall(r"`(whsec_[A-Za-z0-9+/=]+)`", readme)
    [laid_out] = re.findall(r"```json\n(.*?)```", readme, flags=re.DOTALL)
    now = int(headers["webhook-timestamp"])
    assert example.verify(secret, headers, raw, now=now) == json.loads(laid_out)
    compact = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert raw == compact.encode("utf-8")
