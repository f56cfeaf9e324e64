"""The plugin with the core: a missed guidance deadline arrives by e-mail, the channel
contract of the testing kit, and the entry point."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from stageborging import Contact, Engine
from stageborging.testing import Cast, ChannelContract, FakeClock

from conftest import DUTCH, ENGLISH, FAST, HOST, Server
from stageborging_email import message_id
from stageborging_email import plugin as email_plugin

MakeEngine = Callable[..., Engine]


@pytest.mark.parametrize(
    ("contact", "subject", "text"),
    [
        (DUTCH, "Begeleidingsstap gemist: case_acknowledgement",
         "De begeleidingsstap case_acknowledgement moest uiterlijk 2027-01-13 gebeuren"),
        (ENGLISH, "Guidance step missed: case_acknowledgement",
         "The guidance step case_acknowledgement was due on 2027-01-13"),
    ],
)  # fmt: skip
def test_a_missed_case_acknowledgement_reaches_the_advisor_by_email(
    server: Server, make_engine: MakeEngine, clock: FakeClock, contact: Contact, subject: str,
    text: str,
) -> None:  # fmt: skip
    """A report not acknowledged in three working days (built-in case deadlines, channel
    ``email`` by default) is escalated by a tick and arrives in the advisor's language."""
    engine = make_engine(server.config(), {"adv-1": contact}, role="confidential_advisor")
    engine.report(actor=Cast().student, phase="search", employer="kit-employer-1")
    clock.advance(days=7)  # Sunday 10 January → Sunday 17: past the 3rd and the 5th day
    assert engine.tick().notified == 2  # the acknowledgement and the intake (5th day)
    pending = {e.notification.params["step"]: e for e in engine.notifications()}
    entry = pending["case_acknowledgement"]
    assert (entry.notification.channel, entry.notification.template) == ("email", "guidance.missed")
    assert engine.dispatch(policy=FAST).delivered == 2
    messages = {m["Subject"]: m for m in server.received.messages}
    message = messages[subject]
    assert message["Message-ID"] == message_id(f"{entry.key}/adv-1", "school.example")
    assert message["X-Stageborging-Key"] == f"{entry.key}/adv-1"
    assert message["Content-Language"] == contact.language
    assert message["To"].addresses[0].addr_spec == contact.address
    assert text in message.get_content()


class TestChannelContract(ChannelContract):
    """The testing kit's suite, against a real SMTP server."""

    @pytest.fixture
    def plugin(self) -> object:
        return email_plugin

    @pytest.fixture
    def plugin_config(self, server: Server) -> dict[str, Any]:
        return {"email": server.config()}

    @pytest.fixture
    def unreachable_config(self, free_port: int) -> dict[str, Any]:
        return {"email": {"host": HOST, "port": free_port, "tls": "none",
                          "sender": "stage@school.example"}}  # fmt: skip


def test_the_entry_point_registers_the_plugin(tmp_path: Path, server: Server) -> None:
    """Installed (pip install plugins/email-channel), the plugin loads by its entry point."""
    names = {e.name for e in importlib.metadata.entry_points(group="stageborging")}
    if "email" not in names:
        pytest.skip("the distribution is not installed in this environment")
    config = {"email": server.config()}
    with Engine(tmp_path / "x.db", entry_points=True, config=config) as engine:
        status = {p.name: p for p in engine.plugin_status()}
        assert "email" in engine.dispatcher().channels
    assert status["email"].source == "entry point"
    assert status["email"].version == importlib.metadata.version("stageborging-email")
