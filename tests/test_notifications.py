"""Notifications, guidance steps and recipients: the hooks that reach people."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest

from stageborging import (
    Engine,
    Event,
    GuidanceStep,
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


class Steps:
    name = "roc-steps"

    def __init__(self, *steps: GuidanceStep) -> None:
        self.steps = steps

    @hookimpl
    def stageborging_guidance_steps(self) -> tuple[GuidanceStep, ...]:
        return self.steps


CHECK_IN = GuidanceStep(
    "search_check_in", "entered:searching", 14, ("guidance_contact",), "coach", repeat_days=14
)
SIGNATURES = GuidanceStep(
    "all_signatures", "planned_start", -7, ("confirm_signatures",), "placement_office"
)


@pytest.mark.hook("stageborging_guidance_steps")
def test_guidance_steps_are_collected(db: str) -> None:
    """Every plugin's steps are listed by name."""
    with Engine(db, plugins=[Steps(CHECK_IN, SIGNATURES)]) as engine:
        assert [s.name for s in engine.guidance_steps] == ["all_signatures", "search_check_in"]


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        (
            GuidanceStep("x", "entered:looking", 1, ("guidance_contact",), "coach"),
            "anchor state 'looking'",
        ),
        (GuidanceStep("x", "someday", 1, ("guidance_contact",), "coach"), "anchor 'someday'"),
        (GuidanceStep("x", "planned_start", 1, ("coffee",), "coach"), "'coffee' is no trigger"),
        (
            GuidanceStep("x", "planned_start", 1, ("start",), "coach", lifecycles=("nope",)),
            "unknown lifecycle 'nope'",
        ),
    ],
)
def test_a_malformed_guidance_step_stops_start_up(
    db: str, step: GuidanceStep, problem: str
) -> None:
    """Steps are checked against the lifecycles when the engine starts, naming the plugin."""
    with pytest.raises(PluginError) as info:
        Engine(db, plugins=[Steps(step)])
    assert info.value.plugin == "roc-steps"
    assert problem in str(info.value)


def test_guidance_step_names_are_unique(db: str) -> None:
    """Two plugins registering the same step name is an error naming the second."""
    other = Steps(CHECK_IN)
    other.name = "other-steps"
    with pytest.raises(PluginError, match="a guidance step named 'search_check_in' exists"):
        Engine(db, plugins=[Steps(CHECK_IN), other])


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


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"offset_days": "14"}, "offset_days"), ({"repeat_days": 0}, "repeat_days")],
)
def test_guidance_step_days_are_whole_numbers(kwargs: dict[str, Any], field: str) -> None:
    """Offsets are whole days; a repeat is at least one day."""
    values: dict[str, Any] = {
        "name": "x",
        "anchor": "planned_start",
        "offset_days": -7,
        "done_by": "confirm_signatures",
        "escalate_to": "coach",
        **kwargs,
    }
    with pytest.raises(InvalidInput) as info:
        GuidanceStep(**values)
    assert info.value.field == field


def test_a_case_step_cannot_count_from_planned_dates(db: str) -> None:
    """Cases have no planned start: such a step is refused when the engine starts."""
    step = GuidanceStep("x", "planned_start", 1, "close", "confidential_advisor", ("case",))
    assert step.done_by == ("close",)  # a single name is a one-name tuple
    with pytest.raises(PluginError, match="has no planned dates"):
        Engine(db, plugins=[Steps(step)])


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
    assert guidance.collect_steps(PluginHost(), definitions) == ()
