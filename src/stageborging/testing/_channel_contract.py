"""The contract suite every channel plugin should pass (a pytest test class to subclass)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from .. import Contact, Engine, MessageTemplate, Notification, RetryPolicy, hookimpl
from ._clock import FakeClock
from ._delivery import KitContacts
from ._journey import Journey, KitRegister

__all__ = ["KIT_CONTACT", "ChannelContract"]

#: The one recipient of the contract's messages, and how to reach them.
KIT_CONTACT = Contact(
    "kit-coach@school.example", "Kit Coach", "https://sis.example/kit/stream", "nl"
)
_CODE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class _Notifies:
    """Queues one ``kit.moved`` message on *channel* to the coach at every transition."""

    name = "stageborging.testing.notifies"

    def __init__(self, channel: str) -> None:
        self.channel = channel

    @hookimpl
    def stageborging_after_transition(self, event: Any) -> list[Notification]:
        return [Notification(self.channel, "coach", "kit.moved", {"trigger": event.name})]

    @hookimpl
    def stageborging_templates(self) -> list[MessageTemplate]:
        return [
            MessageTemplate.framed(
                "kit.moved",
                {"nl": "Stage verplaatst: {trigger}", "en": "Internship moved: {trigger}"},
                {"nl": "De stage ging verder ({trigger}).", "en": "The internship moved on "
                 "({trigger})."},
            )
        ]  # fmt: skip


class ChannelContract:
    """Tests every channel plugin should pass. Subclass it, provide a ``plugin`` fixture
    and the settings that point it at a receiver your tests start (``plugin_config``).

    The suite queues one message to one coach (``kit-coach@school.example``, in Dutch) and
    dispatches it through your channel. It checks that the plugin offers well-formed
    channels, that the message is accepted, that an unreachable receiver
    (``unreachable_config``, when you give one) is a failure to retry with a short
    code that names no one, and that no log line holds the address, the name, the
    deep link or the text.
    """

    @pytest.fixture
    def plugin(self) -> object:
        """Override: return an instance (or module) of your channel plugin."""
        raise NotImplementedError("override the 'plugin' fixture with your plugin")

    @pytest.fixture
    def channel_name(self) -> str:
        """Override: the name of the channel under test."""
        return "email"

    @pytest.fixture
    def plugin_config(self) -> dict[str, Any]:
        """Override: the settings that point your channel at your test's receiver."""
        return {}

    @pytest.fixture
    def unreachable_config(self) -> dict[str, Any] | None:
        """Override: settings that point your channel at nothing listening (None: the
        failure test is skipped)."""
        return None

    def _dispatch(
        self, tmp_path: Path, plugin: object, config: dict[str, Any], channel: str
    ) -> tuple[Any, tuple[Any, ...]]:
        clock = FakeClock()
        plugins = [
            KitRegister(), _Notifies(channel),
            KitContacts({"coach": ["kit-coach"]}, {"kit-coach": KIT_CONTACT}), plugin,
        ]  # fmt: skip
        path = tmp_path / f"channel-{len(list(tmp_path.iterdir()))}.db"
        with Engine(path, plugins=plugins, clock=clock, config=config) as engine:
            sid = Journey(engine, clock).open()
            engine.fire(sid, "begin_search", actor=Journey(engine, clock).cast.student)
            policy = RetryPolicy(attempts=3, timeout=10, lease=60)
            report = engine.dispatch(channels=[channel], policy=policy)
            return report, engine.notifications(pending=False)

    def test_offers_well_formed_channels(
        self, tmp_path: Path, plugin: object, plugin_config: dict[str, Any], channel_name: str
    ) -> None:
        """The plugin offers the channel, named, with a deliver method."""
        with Engine(tmp_path / "offers.db", plugins=[plugin], config=plugin_config) as engine:
            assert channel_name in engine.dispatcher().channels

    def test_delivers_a_message(
        self, tmp_path: Path, plugin: object, plugin_config: dict[str, Any], channel_name: str
    ) -> None:
        """A message to one recipient is accepted by the receiver the settings name."""
        report, entries = self._dispatch(tmp_path, plugin, plugin_config, channel_name)
        assert report.delivered == 1, f"not delivered: {[e.last_error for e in entries]}"

    def test_an_unreachable_receiver_is_retried_with_a_code(
        self,
        tmp_path: Path,
        plugin: object,
        unreachable_config: dict[str, Any] | None,
        channel_name: str,
    ) -> None:
        """Nothing listening is a failure worth retrying, named by a short code that holds
        no address."""
        if unreachable_config is None:
            pytest.skip("no unreachable_config given")
        report, entries = self._dispatch(tmp_path, plugin, unreachable_config, channel_name)
        assert report.retried == 1
        error = entries[0].last_error
        assert error is not None
        assert _CODE.fullmatch(error)
        assert KIT_CONTACT.address not in error

    def test_logs_nothing_personal(
        self,
        tmp_path: Path,
        plugin: object,
        plugin_config: dict[str, Any],
        channel_name: str,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """No log line holds the address, the name, the deep link or the message, as they
        are or URL-encoded (in a query string)."""
        caplog.set_level(logging.DEBUG)
        self._dispatch(tmp_path, plugin, plugin_config, channel_name)
        contact = (KIT_CONTACT.address, KIT_CONTACT.name, KIT_CONTACT.link, "ging verder")
        for secret in (*contact, *(quote(part, safe="") for part in contact)):
            assert secret not in caplog.text, "a log line holds the contact or the message"
