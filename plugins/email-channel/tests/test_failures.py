"""What the server says, as the dispatcher records it: a refused recipient is a dead
letter at once, a busy server or nothing listening is tried again, TLS is never given
up, and a login uses the password from the environment."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from stageborging import Delivery, DeliveryFailed, Engine
from stageborging.testing import FakeClock

from conftest import (
    DUTCH,
    ENGLISH,
    FAST,
    HOST,
    PASSWORD_ENV,
    USER,
    Certificates,
    Server,
    StartServer,
    moved,
)
from stageborging_email import EmailChannel, Settings, failure

MakeEngine = Callable[..., Engine]
ONE = {"coach-nl": DUTCH}


def _outcomes(engine: Engine, key: str) -> list[tuple[int, str, str, str | None]]:
    return [(a.attempt, a.recipient, a.outcome, a.error) for a in engine.deliveries(key)]


def test_a_refused_recipient_is_a_dead_letter_at_once(
    server: Server, make_engine: MakeEngine, clock: FakeClock
) -> None:
    server.received.replies[DUTCH.address] = "550 5.1.1 Mailbox unavailable"
    engine = make_engine(server.config(), ONE)
    key = moved(engine, clock)
    report = engine.dispatch(policy=FAST)
    assert (report.delivered, report.retried, report.dead) == (0, 0, 1)
    [dead] = engine.dead_letters()
    assert (dead.key, dead.attempts, dead.last_error) == (key, 1, "smtp.550")
    assert _outcomes(engine, key) == [(1, "coach-nl", "refused", "smtp.550"),
                                      (1, "", "dead", "smtp.550")]  # fmt: skip
    assert server.received.envelopes == []


def test_a_busy_server_is_tried_again_and_then_delivers(
    server: Server, make_engine: MakeEngine, clock: FakeClock
) -> None:
    server.received.replies[DUTCH.address] = "451 4.3.0 Try again later"
    engine = make_engine(server.config(), ONE)
    key = moved(engine, clock)
    assert engine.dispatch(policy=FAST).retried == 1
    [entry] = engine.notifications()
    assert (entry.attempts, entry.last_error) == (1, "smtp.451")
    assert engine.dead_letters() == ()
    del server.received.replies[DUTCH.address]
    clock.advance(minutes=5)  # past the first wait (a minute, plus up to one of jitter)
    assert engine.dispatch(policy=FAST).delivered == 1
    assert _outcomes(engine, key)[-1] == (2, "", "delivered", None)
    [message] = server.received.messages
    assert message["X-Stageborging-Key"] == f"{key}/coach-nl"


def test_only_the_refused_recipient_is_refused(
    server: Server, make_engine: MakeEngine, clock: FakeClock
) -> None:
    """One recipient refused for good makes the entry a dead letter; the other still
    got the message (and a retry by hand would not send it to them again)."""
    server.received.replies[ENGLISH.address] = "550 5.1.1 Mailbox unavailable"
    engine = make_engine(server.config())
    key = moved(engine, clock)
    assert engine.dispatch(policy=FAST).dead == 1
    assert sorted(o[1:3] for o in _outcomes(engine, key) if o[1]) == [
        ("coach-en", "refused"), ("coach-nl", "delivered")]  # fmt: skip
    assert [e.rcpt_tos for e in server.received.envelopes] == [[DUTCH.address]]


def test_nothing_listening_is_tried_again(
    free_port: int, make_engine: MakeEngine, clock: FakeClock
) -> None:
    settings = {"host": HOST, "port": free_port, "tls": "none", "sender": "s@school.example"}
    engine = make_engine(settings, ONE)
    moved(engine, clock)
    assert engine.dispatch(policy=FAST).retried == 1
    [entry] = engine.notifications()
    assert entry.last_error == "smtp.connect"


def test_starttls_not_offered_sends_nothing(
    server: Server, make_engine: MakeEngine, clock: FakeClock
) -> None:
    """``tls = "starttls"`` never falls back to plain text."""
    engine = make_engine(server.config(tls="starttls"), ONE)
    moved(engine, clock)
    assert engine.dispatch(policy=FAST).retried == 1
    [entry] = engine.notifications()
    assert entry.last_error == "smtp.starttls"
    assert server.received.senders == []


def test_starttls_with_the_institutions_ca_and_a_login(
    start_server: StartServer,
    certificates: Certificates,
    password: str,
    make_engine: MakeEngine,
    clock: FakeClock,
) -> None:
    server = start_server(tls_context=certificates.server_context(), require_starttls=True,
                          auth=True, auth_require_tls=True)  # fmt: skip
    settings = server.config(tls="starttls", ca_file=str(certificates.ca_file), username=USER,
                             password_env=PASSWORD_ENV)  # fmt: skip
    engine = make_engine(settings, ONE)
    moved(engine, clock)
    assert engine.dispatch(policy=FAST).delivered == 1
    assert server.received.logins == [USER.encode()]
    assert len(server.received.messages) == 1


def test_implicit_tls(
    start_server: StartServer, certificates: Certificates, make_engine: MakeEngine,
    clock: FakeClock,
) -> None:  # fmt: skip
    server = start_server(ssl_context=certificates.server_context())
    settings = server.config(tls="implicit", ca_file=str(certificates.ca_file))
    engine = make_engine(settings, ONE)
    moved(engine, clock)
    assert engine.dispatch(policy=FAST).delivered == 1
    assert len(server.received.messages) == 1


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_a_certificate_no_trusted_authority_signed_is_refused(
    start_server: StartServer, certificates: Certificates, make_engine: MakeEngine,
    clock: FakeClock, tls: str,
) -> None:  # fmt: skip
    """Without ``ca_file`` the system's authorities are asked, and they never signed the
    test's certificate: nothing is sent."""
    context = certificates.server_context()
    server = start_server(**({"tls_context": context} if tls == "starttls"
                             else {"ssl_context": context}))  # fmt: skip
    engine = make_engine(server.config(tls=tls), ONE)
    moved(engine, clock)
    assert engine.dispatch(policy=FAST).retried == 1
    [entry] = engine.notifications()
    assert entry.last_error == "smtp.tls"
    assert server.received.senders == []


def test_implicit_tls_to_a_plain_server_is_a_tls_failure(
    server: Server, make_engine: MakeEngine, clock: FakeClock
) -> None:
    engine = make_engine(server.config(tls="implicit"), ONE)
    moved(engine, clock)
    assert engine.dispatch(policy=FAST).retried == 1
    assert engine.notifications()[0].last_error == "smtp.tls"


def test_a_login_with_the_password_from_the_environment(
    start_server: StartServer, password: str, make_engine: MakeEngine, clock: FakeClock
) -> None:
    """Plain text to a relay on this host may log in (``auth_require_tls=False``)."""
    server = start_server(auth=True, auth_require_tls=False)
    engine = make_engine(server.config(username=USER, password_env=PASSWORD_ENV), ONE)
    moved(engine, clock)
    assert engine.dispatch(policy=FAST).delivered == 1
    assert server.received.logins == [USER.encode()]


def test_a_refused_login_waits_for_the_settings_to_be_fixed(
    start_server: StartServer,
    monkeypatch: pytest.MonkeyPatch,
    password: str,
    make_engine: MakeEngine,
    clock: FakeClock,
) -> None:
    """``smtp.auth`` is not permanent: once the password is right, the retry delivers."""
    server = start_server(auth=True, auth_require_tls=False)
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    engine = make_engine(server.config(username=USER, password_env=PASSWORD_ENV), ONE)
    key = moved(engine, clock)
    assert engine.dispatch(policy=FAST).retried == 1
    assert engine.notifications()[0].last_error == "smtp.auth"
    assert server.received.senders == []
    monkeypatch.setenv(PASSWORD_ENV, password)  # read when the next dispatcher starts
    clock.advance(minutes=5)
    assert engine.dispatch(policy=FAST).delivered == 1
    assert _outcomes(engine, key)[-1] == (2, "", "delivered", None)


def test_a_login_to_a_server_that_offers_none_is_an_auth_failure(
    server: Server, password: str, make_engine: MakeEngine, clock: FakeClock
) -> None:
    engine = make_engine(server.config(username=USER, password_env=PASSWORD_ENV), ONE)
    moved(engine, clock)
    assert engine.dispatch(policy=FAST).retried == 1
    assert engine.notifications()[0].last_error == "smtp.auth"


@pytest.mark.parametrize(("reply", "code", "permanent"), [
    ("553 5.7.1 Sender not allowed", "smtp.553", False),  # the school's setting: retried
    ("421 4.7.0 Too many connections", "smtp.421", False),
])  # fmt: skip
def test_a_refused_sender_is_named_by_its_code(
    server: Server, reply: str, code: str, permanent: bool
) -> None:
    async def refuse(*args: object) -> str:
        return reply

    server.received.handle_MAIL = refuse  # type: ignore[method-assign]
    with pytest.raises(DeliveryFailed) as info:
        EmailChannel(Settings.of(server.config())).deliver(_delivery(), timeout=10)
    assert (info.value.code, info.value.permanent) == (code, permanent)


@pytest.mark.parametrize(("reply", "code", "permanent"), [
    ("554 5.6.0 Message rejected", "smtp.554", True),
    ("452 4.3.1 Insufficient storage", "smtp.452", False),
])  # fmt: skip
def test_a_refused_message_is_named_by_its_code(
    server: Server, reply: str, code: str, permanent: bool
) -> None:
    async def refuse(*args: object) -> str:
        return reply

    server.received.handle_DATA = refuse  # type: ignore[method-assign]
    with pytest.raises(DeliveryFailed) as info:
        EmailChannel(Settings.of(server.config())).deliver(_delivery(), timeout=10)
    assert (info.value.code, info.value.permanent) == (code, permanent)


def test_no_code_holds_the_address_or_the_servers_text(
    server: Server, make_engine: MakeEngine, clock: FakeClock
) -> None:
    server.received.replies[DUTCH.address] = f"550 5.1.1 <{DUTCH.address}> unknown, Noor"
    engine = make_engine(server.config(), ONE)
    key = moved(engine, clock)
    engine.dispatch(policy=FAST)
    for attempt in engine.deliveries(key):
        assert attempt.error in (None, "smtp.550")


def test_an_unexpected_error_is_a_failure_to_retry() -> None:
    assert failure(RuntimeError("boom"), "send").code == "smtp.error"
    assert not failure(RuntimeError("boom"), "send").permanent
    assert failure(ConnectionResetError(), "send").code == "smtp.lost"
    assert failure(TimeoutError(), "send").code == "smtp.timeout"
    assert failure(TimeoutError(), "connect").code == "smtp.connect"


def _delivery() -> Delivery:
    return Delivery(
        key="k/coach-nl", entry="k", kind="test.moved", channel="email", stream_id="s",
        recipient="coach-nl", role="coach", params={}, contact=DUTCH, subject="S", body="B",
    )  # fmt: skip


def test_a_server_that_stops_answering_is_a_timeout_not_a_lost_connection(
    server: Server,
) -> None:
    import asyncio

    async def hang(*args: object) -> str:
        await asyncio.sleep(5)
        return "250 OK"

    server.received.handle_RCPT = hang  # type: ignore[method-assign]
    with pytest.raises(DeliveryFailed) as info:
        EmailChannel(Settings.of(server.config())).deliver(_delivery(), timeout=0.5)
    assert (info.value.code, info.value.permanent) == ("smtp.timeout", False)
