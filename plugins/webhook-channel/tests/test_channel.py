"""The channel in an engine, against a real HTTP receiver: the signed POST, and what
each answer (or none) comes to: delivered, retried with the same ``webhook-id``, or a
dead letter retried by hand."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from stageborging import Engine, RetryPolicy
from stageborging.testing import FakeClock
from standardwebhooks import Webhook

from conftest import (
    COACH,
    KIND,
    POLICY,
    SECRET,
    SECRET_ENV,
    Answer,
    Receiver,
    load_receiver,
    past_retry,
    queue_one,
)
from stageborging_webhook import PAYLOAD_TYPE, PAYLOAD_VERSION
from stageborging_webhook.channel import USER_AGENT

MakeEngine = Callable[[dict[str, Any]], Engine]
Serve = Callable[..., Receiver]


def test_a_delivery_is_one_signed_post_of_the_payload(
    make_engine: MakeEngine, clock: FakeClock, receiver: Receiver
) -> None:
    settings = {"url": receiver.url("/hooks/in?school=s1"), "secret_env": SECRET_ENV,
                "headers": {"X-Tenant": "school-1"}}  # fmt: skip
    engine = make_engine(settings)
    entry = queue_one(engine, clock)
    report = engine.dispatch(policy=POLICY)
    assert (report.delivered, report.retried, report.dead) == (1, 0, 0)
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/hooks/in?school=s1")
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == USER_AGENT
    assert headers["x-tenant"] == "school-1"
    key = f"{entry.key}/coach-1"
    assert headers["webhook-id"] == key
    assert headers["webhook-timestamp"].isdigit()
    assert headers["webhook-signature"].startswith("v1,")
    # verified independently, by the Standard Webhooks library and by the README's receiver
    sent = Webhook(SECRET).verify(request.body, headers)
    assert load_receiver().verify(SECRET, headers, request.body) == sent
    assert sent == {
        "type": PAYLOAD_TYPE,
        "version": PAYLOAD_VERSION,
        "id": key,
        "kind": KIND,
        "entry": entry.key,
        "stream_id": entry.stream_id,
        "recipient": "coach-1",
        "role": "coach",
        "language": "en",
        "subject": "Internship moved: begin_search",
        "body": "Dear Coach One,\n\nThe internship moved on (begin_search).\n\n"
        "See it in the student information system: https://sis.example/x",
        "link": COACH.link,
        "params": {"trigger": "begin_search"},
        "attempt": 1,
        "created_at": entry.created_at,
    }
    # compact UTF-8 JSON, signed exactly as sent
    compact = json.dumps(sent, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert request.body == compact.encode("utf-8")
    # the display name only where the template put it
    assert [k for k, v in sent.items() if COACH.name in str(v)] == ["body"]


def test_a_user_agent_setting_replaces_the_channels(
    make_engine: MakeEngine, clock: FakeClock, receiver: Receiver
) -> None:
    headers = {"user-agent": "school-sis-bridge/2"}
    engine = make_engine({"url": receiver.url(), "secret_env": SECRET_ENV, "headers": headers})
    queue_one(engine, clock)
    assert engine.dispatch(policy=POLICY).delivered == 1
    [request] = receiver.requests
    assert request.headers["user-agent"] == "school-sis-bridge/2"
    assert USER_AGENT not in request.raw_headers


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_a_passing_failure_is_retried_with_the_same_id(
    make_engine: MakeEngine, clock: FakeClock, serve: Serve, status: int
) -> None:
    receiver = serve(status, 200)
    engine = make_engine({"url": receiver.url(), "secret_env": SECRET_ENV})
    entry = queue_one(engine, clock)
    assert engine.dispatch(policy=POLICY).retried == 1
    [pending] = engine.notifications()
    assert (pending.attempts, pending.last_error) == (1, f"http.{status}")
    assert engine.dispatch(policy=POLICY).entries == 0  # not due yet
    past_retry(engine, clock)
    assert engine.dispatch(policy=POLICY).delivered == 1
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"{entry.key}/coach-1"
    attempts = [Webhook(SECRET).verify(r.body, r.headers)["attempt"] for r in receiver.requests]
    assert attempts == [1, 2]
    outcomes = [(a.recipient, a.outcome, a.error) for a in engine.deliveries(entry.key)]
    assert outcomes == [
        ("coach-1", "failed", f"http.{status}"),
        ("", "retry", f"http.{status}"),
        ("coach-1", "delivered", None),
        ("", "delivered", None),
    ]


def test_a_receiver_slower_than_the_timeout_is_retried(
    make_engine: MakeEngine, clock: FakeClock, serve: Serve
) -> None:
    receiver = serve(Answer(200, delay=60))  # held until the receiver is closed
    engine = make_engine({"url": receiver.url(), "secret_env": SECRET_ENV})
    queue_one(engine, clock)
    report = engine.dispatch(policy=RetryPolicy(attempts=3, timeout=2, lease=60))
    assert report.retried == 1
    [pending] = engine.notifications()
    assert pending.last_error == "http.timeout"


@pytest.mark.parametrize("status", [410, 400, 401, 404, 422])
def test_a_refusal_is_a_dead_letter_at_once_until_retried_by_hand(
    make_engine: MakeEngine, clock: FakeClock, serve: Serve, status: int
) -> None:
    receiver = serve(status)
    engine = make_engine({"url": receiver.url(), "secret_env": SECRET_ENV})
    entry = queue_one(engine, clock)
    assert engine.dispatch(policy=POLICY).dead == 1
    [dead] = engine.dead_letters()
    assert (dead.key, dead.attempts, dead.last_error) == (entry.key, 1, f"http.{status}")
    # the receiver is fixed (the script is used up: it answers 200), a person retries it
    engine.retry_dead_letter(entry.key, by="po-1")
    assert engine.dispatch(policy=POLICY).delivered == 1
    assert engine.dead_letters() == ()
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    outcomes = [a.outcome for a in engine.deliveries(entry.key) if not a.recipient]
    assert outcomes == ["dead", "replayed", "delivered"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_is_a_dead_letter(
    make_engine: MakeEngine, clock: FakeClock, serve: Serve, status: int
) -> None:
    target = serve()
    moved = serve(Answer(status, {"Location": target.url()}))
    engine = make_engine({"url": moved.url(), "secret_env": SECRET_ENV})
    queue_one(engine, clock)
    assert engine.dispatch(policy=POLICY).dead == 1
    assert [d.last_error for d in engine.dead_letters()] == ["http.redirect"]
    assert len(moved.requests) == 1
    assert target.requests == []  # never followed


def test_nothing_listening_is_a_connect_failure_to_retry(
    make_engine: MakeEngine, clock: FakeClock, closed_port: int
) -> None:
    engine = make_engine({"url": f"http://127.0.0.1:{closed_port}/", "secret_env": SECRET_ENV})
    queue_one(engine, clock)
    assert engine.dispatch(policy=POLICY).retried == 1
    assert engine.notifications()[0].last_error == "http.connect"


def test_a_failed_tls_handshake_is_a_tls_failure_to_retry(
    make_engine: MakeEngine, clock: FakeClock, receiver: Receiver
) -> None:
    # https:// to a server that speaks plain HTTP: the handshake fails
    engine = make_engine({"url": f"https://127.0.0.1:{receiver.port}/", "secret_env": SECRET_ENV})
    queue_one(engine, clock)
    assert engine.dispatch(policy=POLICY).retried == 1
    assert engine.notifications()[0].last_error == "http.tls"
    assert receiver.requests == []


def test_no_log_line_holds_the_address_the_secret_or_the_message(
    make_engine: MakeEngine,
    clock: FakeClock,
    serve: Serve,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver = serve(503, 200)
    url = receiver.url("/hooks/token-f00d?key=k-beef")
    engine = make_engine({"url": url, "secret_env": SECRET_ENV})
    entry = queue_one(engine, clock)
    engine.dispatch(policy=POLICY)
    past_retry(engine, clock)
    engine.dispatch(policy=POLICY)
    assert len(receiver.requests) == 2
    assert "delivery" in caplog.text  # the dispatcher's lines are captured
    for secret in ("token-f00d", "k-beef", SECRET, SECRET.removeprefix("whsec_"),
                   COACH.name, COACH.link, "moved on"):  # fmt: skip
        assert secret not in caplog.text
    assert all(a.error in (None, "http.503") for a in engine.deliveries(entry.key))
