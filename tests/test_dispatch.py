"""Delivery: each outbox entry reaches each recipient of its role once, in their
language, through its channel; failures are retried on the row's schedule, then dead
letters that can be retried by hand; every attempt's outcome is kept (both backends)."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from typing import Any

import pytest
import tenacity

from stageborging import (
    Contact,
    Engine,
    InvalidInput,
    MessageTemplate,
    Notification,
    PluginError,
    RetryPolicy,
    hookimpl,
)
from stageborging.testing import FakeClock, KitContacts, RecordingChannel
from support import STUDENT, Tells, journey
from support.delivery import CONTACTS, Moved, book

FAST = RetryPolicy(attempts=3, wait=tenacity.wait_fixed(60), timeout=5, lease=60)


def engine_with(db: str, clock: FakeClock, *plugins: object) -> Engine:
    return Engine(db, plugins=[Tells(), Moved(), *plugins], clock=clock)


def moved(engine: Engine, count: int = 1) -> list[str]:
    """*count* streams that began their search: one ``moved`` entry each (their keys)."""
    for _ in range(count):
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
    return [entry.key for entry in engine.notifications()]


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def engine(db: str, clock: FakeClock, channel: RecordingChannel) -> Iterator[Engine]:
    with engine_with(db, clock, book(), channel.plugin()) as opened:
        yield opened


@pytest.mark.hook("stageborging_channels", "stageborging_contact", "stageborging_templates")
def test_each_recipient_gets_the_message_in_their_language(
    engine: Engine, channel: RecordingChannel
) -> None:
    [key] = moved(engine)
    report = engine.dispatch()
    assert (report.delivered, report.retried, report.dead) == (1, 0, 0)
    english, dutch = sorted(channel.delivered, key=lambda d: d.recipient)
    assert (english.recipient, english.language, english.key) == (
        "coach-en",
        "en",
        f"{key}/coach-en",
    )
    assert english.subject == "Moved: search"
    assert english.body.startswith("Dear Erin English,\n\nThe internship moved (search).")
    assert english.body.endswith("https://sis.example/s/1")
    assert (dutch.language, dutch.subject) == ("nl", "Verplaatst: search")
    assert dutch.body.startswith("Beste Noor Nederlands,")
    assert "Erin" not in repr(english)  # the repr hides the contact and the texts
    assert "en@school" not in repr(english)
    [entry] = engine.notifications(pending=False)
    assert entry.delivered_at is not None
    assert entry.dead_at is None
    outcomes = [(a.recipient, a.outcome) for a in engine.deliveries(key)]
    assert sorted(outcomes) == [
        ("", "delivered"),
        ("coach-en", "delivered"),
        ("coach-nl", "delivered"),
    ]
    assert engine.dispatch().entries == 0  # nothing twice


def test_a_failure_is_tried_again_on_the_rows_schedule_and_reaches_only_those_missed(
    db: str, clock: FakeClock
) -> None:
    channel = RecordingChannel(failures=["smtp.421"])
    with engine_with(db, clock, book(), channel.plugin()) as engine:
        [key] = moved(engine)
        assert engine.dispatch(policy=FAST).retried == 1
        [entry] = engine.notifications()
        assert (entry.attempts, entry.last_error) == (1, "smtp.421")
        assert entry.next_attempt_at == "2027-01-10T09:01:00.000000Z"  # the fixed wait: 60 s
        assert engine.dispatch(policy=FAST).entries == 0  # not due yet
        clock.advance(minutes=1)
        assert engine.dispatch(policy=FAST).delivered == 1
        attempts = [(a.attempt, a.recipient, a.outcome, a.error) for a in engine.deliveries(key)]
    # the recipient reached on the first attempt was not sent it again
    assert sorted(d.recipient for d in channel.delivered) == ["coach-en", "coach-nl"]
    failed = [(a[0], a[3]) for a in attempts if a[2] == "failed"]
    assert failed == [(1, "smtp.421")]
    assert attempts[-1] == (2, "", "delivered", None)


def test_the_default_backoff_grows_and_is_jittered() -> None:
    policy = RetryPolicy()
    now = FakeClock()()
    waits = [(policy.retry_at(n, now) - now).total_seconds() for n in range(1, 9)]
    for n, wait in enumerate(waits, start=1):
        assert 60 * 2 ** (n - 1) <= wait <= 60 * 2 ** (n - 1) + 60
    assert (policy.retry_at(30, now) - now).total_seconds() <= 6 * 3600 + 60  # capped


def test_attempts_used_up_make_a_dead_letter_that_is_retried_by_hand(
    db: str, clock: FakeClock
) -> None:
    channel = RecordingChannel(failures=["http.503"] * 6)
    with engine_with(db, clock, book({"coach": ["coach-en"]}), channel.plugin()) as engine:
        [key] = moved(engine)
        for _ in range(3):
            engine.dispatch(policy=FAST)
            clock.advance(minutes=1)
        [dead] = engine.dead_letters()
        assert (dead.key, dead.attempts, dead.last_error) == (key, 3, "http.503")
        assert engine.dispatch(policy=FAST).entries == 0  # a dead letter waits for a person
        assert engine.notifications() == (dead,)  # still undelivered
        revived = engine.retry_dead_letter(key, by="po-1")
        assert (revived.dead_at, revived.attempts, revived.next_attempt_at) == (None, 0, None)
        assert engine.dead_letters() == ()
        channel._failures.clear()
        assert engine.dispatch(policy=FAST).delivered == 1
        outcomes = [(a.outcome, a.worker) for a in engine.deliveries(key) if not a.recipient]
        assert [o for o, _ in outcomes] == ["retry", "retry", "dead", "replayed", "delivered"]
        assert outcomes[3][1] == "po-1"


def test_a_permanent_failure_is_a_dead_letter_at_once(db: str, clock: FakeClock) -> None:
    channel = RecordingChannel(failures=[("smtp.550", True)])
    with engine_with(db, clock, book({"coach": ["coach-en"]}), channel.plugin()) as engine:
        moved(engine)
        assert engine.dispatch(policy=FAST).dead == 1
        [dead] = engine.dead_letters()
        assert (dead.attempts, dead.last_error) == (1, "smtp.550")


class Unknown:
    name = "test-unknown-kind"

    @hookimpl
    def stageborging_after_transition(self) -> list[Notification]:
        return [Notification("email", "coach", "local.never_templated")]


class Incomplete:
    name = "test-incomplete-params"

    @hookimpl
    def stageborging_after_transition(self) -> list[Notification]:
        return [Notification("email", "coach", "guidance.missed", {"step": "x"})]  # no due


@pytest.mark.parametrize(
    ("plugin", "error"), [(Unknown(), "template.unknown"), (Incomplete(), "template.params")]
)
def test_a_message_that_cannot_be_written_is_a_dead_letter_naming_why(
    db: str, clock: FakeClock, plugin: object, error: str
) -> None:
    channel = RecordingChannel()
    with Engine(db, plugins=[plugin, book(), channel.plugin()], clock=clock) as engine:
        moved(engine)
        assert engine.dispatch().dead == 1
        assert [d.last_error for d in engine.dead_letters()] == [error]
    assert channel.calls == 0


def test_no_recipient_and_no_contact_are_recorded_outcomes(db: str, clock: FakeClock) -> None:
    channel = RecordingChannel()
    nobody = KitContacts({"coach": ["coach-unknown"]}, CONTACTS)
    with engine_with(db, clock, nobody, channel.plugin()) as engine:
        [key] = moved(engine)
        assert engine.dispatch(policy=FAST).retried == 1
        outcomes = [(a.recipient, a.outcome, a.error) for a in engine.deliveries(key)]
        assert outcomes == [("coach-unknown", "no_contact", "contact.none"),
                            ("", "retry", "contact.none")]  # fmt: skip
    with engine_with(db, clock, KitContacts({}, CONTACTS), channel.plugin()) as engine:
        clock.advance(minutes=1)
        assert engine.dispatch(policy=FAST).retried == 1
        assert engine.notifications()[0].last_error == "recipients.none"

    class Names:
        name = "test-names-not-ids"

        @hookimpl
        def stageborging_recipients(self) -> list[str]:
            return ["Jan de Vries"]  # a name, not a pseudonymous id: the plugin is broken

    with engine_with(db, clock, Names(), channel.plugin()) as engine:
        clock.advance(minutes=1)
        assert engine.dispatch(policy=FAST).dead == 1  # its third and last attempt
        assert engine.notifications()[0].last_error == "recipients.failed"
    assert channel.calls == 0


class Broken:
    name = "test-broken-contacts"

    @hookimpl
    def stageborging_recipients(self) -> list[str]:
        return ["coach-en"]

    @hookimpl
    def stageborging_contact(self) -> Contact:
        raise ConnectionError("the SIS is down: en@school.example")


@pytest.mark.hook("stageborging_contact")
def test_a_failing_contact_plugin_is_an_outcome_that_names_no_one(
    db: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="stageborging")
    channel = RecordingChannel()
    with engine_with(db, clock, Broken(), channel.plugin()) as engine:
        [key] = moved(engine)
        engine.dispatch(policy=FAST)
        assert engine.deliveries(key)[0].error == "contact.failed"
    assert "en@school" not in caplog.text


class Raises:
    name = "sms"

    def deliver(self, delivery: Any, timeout: float) -> None:
        raise OSError("connection refused by 10.0.0.1 for en@school.example")


class Slow(RecordingChannel):
    def deliver(self, delivery: Any, timeout: float) -> None:
        self.calls += 1
        import time

        time.sleep(3)


def test_a_slow_or_raising_channel_holds_up_no_other(db: str, clock: FakeClock) -> None:
    fast, slow = RecordingChannel("email"), Slow("webhook")

    class Offers:
        name = "test-three-channels"

        @hookimpl
        def stageborging_channels(self) -> list[Any]:
            return [fast, slow, Raises()]

    class ThreeWays:
        name = "test-three-ways"

        @hookimpl
        def stageborging_after_transition(self) -> list[Notification]:
            return [Notification(c, "coach", "moved", {"step": "s"}) for c in ("webhook", "sms")]

    policy = RetryPolicy(attempts=3, timeout=0.2, lease=60)
    with engine_with(db, clock, ThreeWays(), book({"coach": ["coach-en"]}), Offers()) as engine:
        moved(engine, 3)
        report = engine.dispatch(policy=policy)
        assert report.channels["email"] == {"delivered": 3}
        assert report.channels["webhook"] == {"retry": 3}
        assert report.channels["sms"] == {"retry": 3}
        errors = {e.notification.channel: e.last_error for e in engine.notifications()}
        assert errors == {"webhook": "channel.timeout", "sms": "error.OSError"}


def test_a_dispatcher_may_serve_some_channels(engine: Engine) -> None:
    moved(engine)
    assert engine.dispatcher(channels=["email"]).channels.keys() == {"email"}
    with pytest.raises(InvalidInput, match="channels='sms': no plugin offers it; offered: email"):
        engine.dispatcher(channels=["sms"])


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"attempts": 0}, "attempts"),
        ({"attempts": True}, "attempts"),
        ({"attempts": 101}, "attempts"),
        ({"timeout": math.nan}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": 120, "lease": 60}, "lease"),
        ({"lease": "5m"}, "lease"),
        ({"wait": 60}, "wait"),
    ],
)
def test_a_bad_policy_is_named(arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        RetryPolicy(**arguments)
    assert caught.value.field == field


def test_retrying_by_hand_names_what_is_wrong(engine: Engine) -> None:
    [key] = moved(engine)
    with pytest.raises(InvalidInput, match="is no dead letter: it is still pending"):
        engine.retry_dead_letter(key)
    engine.dispatch()
    with pytest.raises(InvalidInput, match="was delivered at 2027-01-10"):
        engine.retry_dead_letter(key)
    for bad in ("nope:1:x:0", "not a key", 7):
        with pytest.raises(InvalidInput) as caught:
            engine.retry_dead_letter(bad)  # type: ignore[arg-type]
        assert caught.value.field == "key"
    with pytest.raises(InvalidInput) as caught:
        engine.retry_dead_letter(key, by="two words")
    assert caught.value.field == "by"
    with pytest.raises(InvalidInput):
        engine.deliveries("nope:1:x:0")


@pytest.mark.hook("stageborging_channels")
def test_channels_must_be_well_formed_and_unique(db: str, clock: FakeClock) -> None:
    class NoDeliver:
        name = "email"

    class Offers:
        name = "test-offers"

        def __init__(self, offered: list[Any]) -> None:
            self.offered = offered

        @hookimpl
        def stageborging_channels(self) -> list[Any]:
            return self.offered

    for offered, problem in (
        ([NoDeliver()], "without a deliver method"),
        ([RecordingChannel("bad name")], "name"),
        ([RecordingChannel(), RecordingChannel()], "the channel email is offered by"),
    ):
        with (
            Engine(db, plugins=[Offers(offered)], clock=clock) as engine,
            pytest.raises(PluginError, match=problem),
        ):
            engine.dispatcher()


@pytest.mark.hook("stageborging_templates")
def test_templates_are_checked_when_the_dispatcher_starts_not_the_commands(
    db: str, clock: FakeClock
) -> None:
    class Gives:
        name = "test-gives"

        def __init__(self, *templates: Any) -> None:
            self.templates = templates

        @hookimpl
        def stageborging_templates(self) -> tuple[Any, ...]:
            return self.templates

    with Engine(db, plugins=[Gives("moved"), Tells()], clock=clock) as engine:
        moved(engine)  # commands and deadlines go on with a broken templates plugin
        engine.tick()
        with pytest.raises(PluginError, match="not a MessageTemplate"):
            engine.dispatcher()
    template = MessageTemplate("local.x", {"nl": "a", "en": "b"}, {"nl": "c", "en": "d"})
    two = [Gives(template), type("Two", (Gives,), {"name": "two"})(template)]
    with (
        Engine(db, plugins=two) as engine,
        pytest.raises(PluginError, match=r"the template local\.x is given by"),
    ):
        engine.templates  # noqa: B018 - collected when first asked for
    # an institution's wording of a built-in kind replaces the built-in one
    own = MessageTemplate("guidance.missed", {"nl": "Gemist", "en": "Missed"},
                          {"nl": "{step} {due}", "en": "{step} {due}"})  # fmt: skip
    with Engine(db, plugins=[Gives(own)]) as engine:
        assert engine.templates["guidance.missed"] is own
        assert "employer.blocked" in engine.templates


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"subject": {"nl": "a"}}, "subject"),
        ({"subject": {"nl": "a", "en": "b\nc"}}, "subject.en"),
        ({"body": {"nl": "{name.upper}", "en": "b"}}, "body.nl"),
        ({"body": {"nl": "{x!r}", "en": "b"}}, "body.nl"),
        ({"body": {"nl": "{", "en": "b"}}, "body.nl"),
        ({"body": {"nl": " ", "en": "b"}}, "body.nl"),
        ({"kind": "two words"}, "kind"),
    ],
)
def test_a_malformed_template_is_named(arguments: dict[str, Any], field: str) -> None:
    given = {"kind": "local.x", "subject": {"nl": "a", "en": "b"}, "body": {"nl": "c", "en": "d"}}
    with pytest.raises(InvalidInput) as caught:
        MessageTemplate(**(given | arguments))
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"address": ""}, "address"),
        ({"address": "a@b\nBcc: c@d"}, "address"),
        ({"name": "Jan\r\nJansen"}, "name"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"language": "de"}, "language"),
    ],
)
def test_a_malformed_contact_is_named_without_its_value(
    arguments: dict[str, Any], field: str
) -> None:
    given = {"address": "jan@school.example", "name": "Jan", "link": "https://sis.example/1"}
    with pytest.raises(InvalidInput) as caught:
        Contact(**(given | arguments))
    assert caught.value.field == field
    for value in arguments.values():
        if field != "language":
            assert repr(value) not in str(caught.value)


def test_no_address_name_link_or_text_is_logged(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="stageborging")
    moved(engine)
    engine.dispatch()
    lines = [r for r in caplog.records if r.getMessage() == "delivery"]
    assert [getattr(r, "outcome", None) for r in lines] == ["delivered"]
    for contact in CONTACTS.values():
        for secret in (contact.address, contact.name, contact.link):
            assert secret not in caplog.text
    assert "internship moved" not in caplog.text


def test_an_engine_bound_to_an_institution_delivers_only_its_own(db: str, clock: FakeClock) -> None:
    keys = {}
    for school in ("roc-a", "roc-b"):
        with Engine(db, plugins=[Tells()], clock=clock, institution=school) as engine:
            keys[school] = moved(engine)
    channel = RecordingChannel()
    plugins = [Moved(), book({"coach": ["coach-en"]}), channel.plugin()]
    with Engine(db, plugins=plugins, clock=clock, institution="roc-a") as engine:
        assert engine.dispatch().delivered == 1
        with pytest.raises(InvalidInput, match="no outbox entry has this key"):
            engine.deliveries(keys["roc-b"][0])
    assert [d.entry for d in channel.delivered] == keys["roc-a"]
    with Engine(db, clock=clock) as engine:
        assert [e.key for e in engine.notifications()] == keys["roc-b"]


def test_every_dead_letter_of_a_channel_is_retried_at_once(db: str, clock: FakeClock) -> None:
    channel = RecordingChannel(failures=[("smtp.550", True)] * 3)
    with engine_with(db, clock, book({"coach": ["coach-en"]}), channel.plugin()) as engine:
        keys = moved(engine, 3)
        assert engine.dispatch().dead == 3
        assert engine.retry_dead_letters(by="po-1", channel="webhook") == ()
        assert engine.retry_dead_letters(by="po-1", kind="other.kind") == ()
        retried = engine.retry_dead_letters(by="po-1", channel="email")
        assert sorted(e.key for e in retried) == sorted(keys)
        assert engine.dead_letters() == ()
        assert engine.dispatch().delivered == 3
        with pytest.raises(InvalidInput) as caught:
            engine.retry_dead_letters(channel="e mail")
        assert caught.value.field == "channel"


class Cancels(RecordingChannel):
    def deliver(self, delivery: Any, timeout: float) -> None:
        import asyncio

        raise asyncio.CancelledError(f"cancelled while sending to {delivery.contact.address}")


class BadCode(RecordingChannel):
    def deliver(self, delivery: Any, timeout: float) -> None:
        from stageborging import DeliveryFailed

        raise DeliveryFailed(f"refused {delivery.contact.address}", permanent=True)


@pytest.mark.parametrize(
    ("channel", "outcome", "error"),
    [(Cancels(), "retry", "error.CancelledError"), (BadCode(), "dead", "channel.bad_code")],
)
def test_whatever_a_channel_raises_is_an_outcome_that_names_no_one(
    db: str,
    clock: FakeClock,
    capfd: pytest.CaptureFixture[str],
    channel: RecordingChannel,
    outcome: str,
    error: str,
) -> None:
    with engine_with(db, clock, book({"coach": ["coach-en"]}), channel.plugin()) as engine:
        [key] = moved(engine)
        report = engine.dispatch(policy=FAST)
        assert report.channels["email"] == {outcome: 1}
        assert engine.notifications()[0].last_error == error
        assert [a.error for a in engine.deliveries(key)] == [error, error]
    captured = capfd.readouterr()
    assert "en@school" not in captured.out + captured.err
    assert "Traceback" not in captured.err


def test_a_channel_whose_calls_hang_is_skipped_once_too_many_still_hang(
    db: str, clock: FakeClock
) -> None:
    import threading

    from stageborging.outbox._dispatcher import MAX_STUCK

    release = threading.Event()

    class Hangs(RecordingChannel):
        def deliver(self, delivery: Any, timeout: float) -> None:
            release.wait(60)  # ignores its timeout

    policy = RetryPolicy(attempts=3, timeout=0.1, lease=60)
    hangs = Hangs()
    try:
        with engine_with(db, clock, book({"coach": ["coach-en"]}), hangs.plugin()) as engine:
            moved(engine, MAX_STUCK + 2)
            dispatcher = engine.dispatcher(policy=policy)
            assert dispatcher.run_once().retried == MAX_STUCK
            assert dispatcher.run_once().entries == 0  # skipped while they still hang
            untried = [e for e in engine.notifications() if e.attempts == 0]
            assert len(untried) == 2
    finally:
        release.set()


def test_a_stopped_dispatcher_finishes_the_recipient_in_hand_and_leaves_the_rest(
    db: str, clock: FakeClock
) -> None:
    import threading

    stop = threading.Event()

    class StopsAfterOne(RecordingChannel):
        def deliver(self, delivery: Any, timeout: float) -> None:
            super().deliver(delivery, timeout)
            stop.set()  # SIGTERM arrives while the first recipient is sent

    channel = StopsAfterOne()
    with engine_with(db, clock, book(), channel.plugin()) as engine:
        moved(engine)
        engine.dispatcher().run(stop, interval=0.01)
        [entry] = engine.notifications()
        assert (entry.last_error, entry.next_attempt_at) == ("dispatch.stopped", None)
        assert len(channel.delivered) == 1
        assert engine.dispatch().delivered == 1  # the next dispatcher: the rest, at once
    assert sorted(d.recipient for d in channel.delivered) == ["coach-en", "coach-nl"]


def test_a_channel_plugin_failing_at_start_shows_its_type_not_its_message(
    db: str, clock: FakeClock
) -> None:
    class Fails:
        name = "test-fails"

        @hookimpl
        def stageborging_channels(self) -> list[Any]:
            raise RuntimeError("cannot read the token of j.devries@roc.example")

    with (
        Engine(db, plugins=[Fails()], clock=clock) as engine,
        pytest.raises(PluginError) as caught,
    ):
        engine.dispatcher()
    assert "RuntimeError (its message is not shown)" in str(caught.value)
    assert "roc.example" not in str(caught.value)
