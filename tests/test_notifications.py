"""Notifications, guidance steps and recipients: the hooks that reach people."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest

from stageborging import (
    Engine,
    Event,
    InvalidInput,
    Notification,
    PluginError,
    Refused,
    Stream,
    guidance,
    hookimpl,
    outbox,
)
from stageborging.pluginhost import PluginHost
from stageborging.testing import FakeClock
from support import COACH, STUDENT, Recognises, journey


class TellsTheCoach:
    name = "tells-the-coach"

    @hookimpl
    def stageborging_after_transition(self, stream: Stream, event: Event) -> list[Notification]:
        if event.name == "suspend":
            params = {"reason": event.data["reason"], "state": stream.state}
            return [Notification("email", "coach", "internship.suspended", params)]
        return []

    @hookimpl
    def stageborging_after_record(self, event: Event) -> list[Notification] | None:
        if event.name == "midterm_review" and event.data["social_safety"] == "unsafe":
            return [Notification("email", "confidential_advisor", "midterm.unsafe")]
        return None


class Broken:
    name = "broken-notifier"

    @hookimpl
    def stageborging_after_transition(self) -> list[Notification]:
        raise ConnectionError("smtp down")


def engine_with(db: str, clock: FakeClock, *plugins: object) -> Engine:
    return Engine(db, plugins=[Recognises(), *plugins], clock=clock)


@pytest.mark.hook("stageborging_after_transition")
def test_notifications_are_queued_with_their_event(db: str, clock: FakeClock) -> None:
    """The outbox row is written in the command's transaction, keyed by stream, seq, plugin."""
    with engine_with(db, clock, TellsTheCoach()) as engine:
        sid = journey(engine).open()
        journey(engine, clock).to_active(sid)
        assert engine.notifications(sid) == ()
        event = engine.fire(sid, "suspend", actor=COACH, data={"reason": "illness"})
        (entry,) = engine.notifications(sid)
    assert entry.key == f"{sid}:{event.seq}:tells-the-coach:0"
    assert (entry.stream_id, entry.seq, entry.plugin) == (sid, event.seq, "tells-the-coach")
    assert entry.notification == Notification(
        "email", "coach", "internship.suspended", {"reason": "illness", "state": "suspended"}
    )
    assert entry.delivered_at is None
    assert entry.created_at.startswith("2027-02-01T")


@pytest.mark.hook("stageborging_after_record")
def test_facts_can_notify_too(db: str, clock: FakeClock) -> None:
    """An unsafe midterm review reaches the confidential advisor."""
    with engine_with(db, clock, TellsTheCoach()) as engine:
        sid = journey(engine).open()
        journey(engine, clock).to_active(sid)
        engine.record(sid, "midterm_review", actor=COACH, data={"social_safety": "safe"})
        assert engine.notifications(sid) == ()
        engine.record(sid, "midterm_review", actor=COACH, data={"social_safety": "unsafe"})
        (entry,) = engine.notifications(sid)
    assert entry.notification.recipient_role == "confidential_advisor"


def test_a_refusal_queues_nothing(db: str, clock: FakeClock) -> None:
    """Refused commands change nothing, so they notify nobody through these hooks."""
    with engine_with(db, clock, TellsTheCoach()) as engine:
        sid = journey(engine).open()
        journey(engine, clock).to_active(sid)
        with pytest.raises(Refused):
            engine.fire(sid, "suspend", actor=STUDENT, data={"reason": "illness"})
        assert engine.notifications() == ()


@pytest.mark.hook("stageborging_after_transition")
def test_a_broken_notifier_never_blocks_the_student(
    db: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The command goes ahead, other plugins' notifications are queued, the failure is logged."""
    caplog.set_level(logging.WARNING, logger="stageborging")
    with engine_with(db, clock, Broken(), TellsTheCoach()) as engine:
        sid = journey(engine).open()
        journey(engine, clock).to_active(sid)
        caplog.clear()
        event = engine.fire(sid, "suspend", actor=COACH, data={"reason": "illness"})
        assert event.to_state == "suspended"
        assert [e.plugin for e in engine.notifications(sid)] == ["tells-the-coach"]
    failures = [r for r in caplog.records if getattr(r, "plugin", None) == "broken-notifier"]
    assert [(r.error, r.hook) for r in failures] == [  # type: ignore[attr-defined]
        ("ConnectionError", "stageborging_after_transition")
    ]
    assert "smtp down" not in caplog.text  # messages may hold personal data; only the type


def test_event_and_notification_commit_together(
    db: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the outbox insert leaves neither the event nor the notification."""
    with engine_with(db, clock, TellsTheCoach()) as engine:
        sid = journey(engine).open()
        journey(engine, clock).to_active(sid)
        version = engine.stream(sid).version
        # the backend's own transaction class: its write succeeds, then the process fails
        transaction = sys.modules[type(engine.store).__module__]._Transaction  # type: ignore[attr-defined]
        original = transaction.write

        def crash(self: Any, *args: Any) -> None:
            original(self, *args)
            raise OSError("disk full")

        monkeypatch.setattr(transaction, "write", crash)
        with pytest.raises(OSError, match="disk full"):
            engine.fire(sid, "suspend", actor=COACH, data={"reason": "illness"})
        monkeypatch.undo()
        assert engine.stream(sid).version == version
        assert engine.notifications(pending=False) == ()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"template": "Dear Jan, your internship"}, "template"),
        ({"channel": "e mail"}, "channel"),
        ({"recipient_role": "mother"}, "recipient_role"),
        ({"params": {"name": "Jan Jansen"}}, "params.name"),
    ],
)
def test_notifications_carry_codes_not_free_text(kwargs: dict[str, Any], field: str) -> None:
    """Templates, channels and params are codes or ids: no names, no sentences in the outbox."""
    values: dict[str, Any] = {
        "channel": "email",
        "recipient_role": "coach",
        "template": "x.y",
        **kwargs,
    }
    with pytest.raises(InvalidInput) as info:
        Notification(**values)
    assert info.value.field == field


class Directory:
    name = "sis-directory"

    @hookimpl
    def stageborging_recipients(self, role: str, stream: Stream) -> list[str] | None:
        if role == "coach":
            return [f"coach-of-{stream.facts['details']['programme']}"]
        return None


class Fallback:
    name = "fallback-directory"

    @hookimpl(trylast=True)
    def stageborging_recipients(self, role: str) -> list[str]:
        return ["office-desk"] if role == "placement_office" else []


@pytest.mark.hook("stageborging_recipients")
def test_recipients_come_from_the_first_plugin_that_knows(db: str, clock: FakeClock) -> None:
    """A plugin answering None passes the question on; nobody knowing gives ()."""
    with Engine(db, plugins=[Fallback(), Directory()], clock=clock) as engine:
        sid = journey(engine).open()
        assert engine.recipients("coach", sid) == ("coach-of-prog-ict",)
        assert engine.recipients("placement_office", sid) == ("office-desk",)
        assert engine.recipients("team_lead", sid) == ()
        with pytest.raises(InvalidInput, match="role"):
            engine.recipients("mother", sid)


@pytest.mark.hook("stageborging_recipients")
def test_recipients_must_be_pseudonymous_ids(db: str, clock: FakeClock) -> None:
    """A plugin answering with names is skipped (logged), not passed on to delivery."""

    class Names:
        name = "names"

        @hookimpl
        def stageborging_recipients(self) -> list[str]:
            return ["Jan Jansen"]

    with Engine(db, plugins=[Fallback(), Names()], clock=clock) as engine:
        sid = journey(engine).open()
        assert engine.recipients("placement_office", sid) == ("office-desk",)


def test_notifications_of_an_unknown_stream(db: str) -> None:
    """Asking for an unknown stream's outbox is an error, like every other read."""
    with Engine(db) as engine, pytest.raises(InvalidInput, match="stream_id"):
        engine.notifications("no-such-stream")


@pytest.mark.hook("stageborging_recipients")
def test_a_recipients_string_is_not_a_list_of_ids(db: str, clock: FakeClock) -> None:
    """Returning "coach3" instead of ["coach3"] is a malformed answer, skipped."""

    class Stringy:
        name = "stringy"

        @hookimpl
        def stageborging_recipients(self) -> str:
            return "coach3"

    with Engine(db, plugins=[Stringy()], clock=clock) as engine:
        assert engine.recipients("coach", journey(engine).open()) == ()


@pytest.mark.hook("stageborging_after_transition")
def test_notification_hooks_cannot_change_the_event(db: str, clock: FakeClock) -> None:
    """The event a hook sees is read-only: what the caller gets is what the log holds."""

    class Meddler:
        name = "meddler"

        @hookimpl
        def stageborging_after_transition(self, event: Event) -> None:
            event.data["reason"] = "other"  # type: ignore[index]

    with engine_with(db, clock, Meddler()) as engine:
        sid = journey(engine).open()
        journey(engine, clock).to_active(sid)
        event = engine.fire(sid, "suspend", actor=COACH, data={"reason": "illness"})
        assert event.data == {"reason": "illness"} == engine.history(sid)[-1].data


def test_outbox_entries_skip_a_plugin_returning_no_notifications(
    db: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The outbox domain builds the entries; one bad plugin is logged by type and skipped."""

    class ReturnsText:
        name = "returns-text"

        @hookimpl
        def stageborging_after_transition(self) -> str:
            return "tell the coach"

    with engine_with(db, clock) as engine:
        sid = journey(engine).open()
        event = engine.fire(sid, "begin_search", actor=STUDENT)
        stream = engine.stream(sid)
    notification = Notification("email", "coach", "search.begun")

    class Tells:
        name = "tells"

        @hookimpl
        def stageborging_after_transition(self) -> list[Notification]:
            return [notification, notification]

    host = PluginHost([Tells(), ReturnsText(), Broken()], defaults=False)
    with caplog.at_level(logging.WARNING, logger="stageborging"):
        entries = outbox.entries(host, "stageborging_after_transition", stream, event)
    assert [e.key for e in entries] == [f"{sid}:{event.seq}:tells:0", f"{sid}:{event.seq}:tells:1"]
    assert entries[0].key == outbox.idempotency_key(event, "tells", 0)
    assert [(e.plugin, e.seq, e.notification) for e in entries] == [("tells", 2, notification)] * 2
    skipped = [r.getMessage() for r in caplog.records]
    assert skipped == ["notifications skipped"] * 2
    assert "tell the coach" not in caplog.text
    assert "smtp down" not in caplog.text


def test_guidance_collect_steps_names_the_plugin(db: str) -> None:
    class NotAStep:
        name = "not-a-step"

        @hookimpl
        def stageborging_guidance_steps(self) -> list[str]:
            return ["search_check_in"]

    with Engine(db) as engine:
        definitions = engine.lifecycles
    host = PluginHost([NotAStep()])
    with pytest.raises(PluginError) as info:
        guidance.collect_steps(host, definitions)
    assert info.value.plugin == "not-a-step"
    assert "not a GuidanceStep" in info.value.problem
    assert guidance.collect_steps(PluginHost(defaults=False), definitions) == ()
    defaults = guidance.collect_steps(PluginHost(), definitions)  # the case deadlines
    assert {step.name for step in defaults} == {
        "case_acknowledgement", "case_intake", "case_open_long"}  # fmt: skip
