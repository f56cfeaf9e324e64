"""Helpers for tests: a plugin for the duration of a block, the outbox, the audit log."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .. import Actor, Engine, Event, EventType, Notification, Stream, hookimpl

__all__ = [
    "PluginSpy",
    "assert_escalated",
    "assert_intact",
    "assert_recorded",
    "assert_refused",
    "due_steps",
    "notifications",
    "registered",
]


@contextmanager
def registered(engine: Engine, plugin: object) -> Iterator[str]:
    """Register *plugin* on *engine* for the duration of the block; yields its name.

    For hooks called per command (checks, verifiers, notifications, recipients).
    Lifecycles and guidance steps are collected when an engine starts: a plugin
    implementing them is refused with :class:`~stageborging.exceptions.PluginError`;
    pass such plugins to the engine itself.
    """
    name = engine.register_plugin(plugin)
    try:
        yield name
    finally:
        engine.unregister_plugin(name)


def notifications(engine: Engine, stream_id: str | None = None) -> list[Notification]:
    """The notifications plugins queued (pending in the outbox), oldest first."""
    return [entry.notification for entry in engine.notifications(stream_id)]


def assert_refused(engine: Engine, stream_id: str, code: str) -> Event:
    """Assert that a refusal blocked by a finding with *code* was recorded; return it."""
    for event in reversed(engine.history(stream_id)):
        if event.type is EventType.REFUSED and any(
            f.code == code and f.blocks for f in event.findings
        ):
            return event
    refusals = [
        (e.seq, e.name, [f.code for f in e.findings if f.blocks])
        for e in engine.history(stream_id)
        if e.type is EventType.REFUSED
    ]
    raise AssertionError(f"no refusal with code {code!r} on {stream_id}; refusals: {refusals}")


def assert_recorded(engine: Engine, stream_id: str, name: str) -> Event:
    """Assert that a transition or fact called *name* went ahead; return the last one."""
    for event in reversed(engine.history(stream_id)):
        if event.name == name and event.type in (EventType.TRANSITIONED, EventType.RECORDED):
            return event
    names = [e.name for e in engine.history(stream_id)]
    raise AssertionError(f"no event {name!r} went ahead on {stream_id}; events: {names}")


def assert_intact(engine: Engine) -> None:
    """Assert that every hash chain and projection in the engine's database verifies."""
    report = engine.verify()
    assert report.ok, "audit log broken: " + "; ".join(str(b) for b in report.breaks)


def due_steps(engine: Engine, stream_id: str | None = None, *, within: int = 0) -> list[str]:
    """The guidance steps due (or overdue, or proposed) at the engine's clock, of one
    stream or all, by name, most urgent first: what ``due`` would list."""
    return [
        item.step
        for item in engine.due(within=within)
        if stream_id is None or item.stream_id == stream_id
    ]


def assert_escalated(engine: Engine, stream_id: str, step: str) -> Event:
    """Assert that *step* was missed on the stream (a tick recorded its gap); return the
    last ``escalated`` event of it."""
    for event in reversed(engine.history(stream_id)):
        if event.type is EventType.ESCALATED and event.name == step:
            return event
    gaps = [e.name for e in engine.history(stream_id) if e.type is EventType.ESCALATED]
    raise AssertionError(f"no gap of step {step!r} on {stream_id}; gaps: {gaps}")


class PluginSpy:
    """A plugin that keeps what every per-command hook is given, to prove what plugins
    never see: register it beside yours (every implementation of a hook gets the same
    arguments), run commands, then :meth:`assert_never_saw` the sentence you wrote::

        spy = PluginSpy()
        with registered(engine, spy):
            engine.fire(sid, "suspend", actor=coach, data={"reason": "illness",
                                                           "note": "ill for two weeks"})
        spy.assert_never_saw("ill for two weeks")

    Attributes:
        calls: ``(hook name, repr of its arguments)`` for every call, in order.
    """

    name = "kit-spy"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def _keep(self, hook: str, **arguments: object) -> None:
        self.calls.append((hook, repr(arguments)))

    @hookimpl
    def stageborging_check_transition(
        self, stream: Stream, transition: object, actor: Actor, data: Mapping[str, Any]
    ) -> None:
        self._keep("check_transition", stream=stream, transition=transition, data=data)

    @hookimpl
    def stageborging_check_record(
        self, stream: Stream, fact: object, actor: Actor, data: Mapping[str, Any]
    ) -> None:
        self._keep("check_record", stream=stream, fact=fact, data=data)

    @hookimpl
    def stageborging_after_transition(self, stream: Stream, event: Event) -> None:
        self._keep("after_transition", stream=stream, event=event)

    @hookimpl
    def stageborging_after_record(self, stream: Stream, event: Event) -> None:
        self._keep("after_record", stream=stream, event=event)

    @hookimpl
    def stageborging_recipients(self, role: object, stream: Stream) -> None:
        self._keep("recipients", role=role, stream=stream)

    def assert_never_saw(self, text: str) -> None:
        """Fail, naming the hook, if any call's arguments held *text*."""
        for hook, arguments in self.calls:
            assert text not in arguments, f"stageborging_{hook} was given the text"
