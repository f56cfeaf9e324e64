"""The e-mail a delivery becomes, as a real SMTP server receives it: the headers, the
Message-ID derived from the idempotency key, the body in the recipient's language."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import pytest
from stageborging import Contact, Delivery, DeliveryFailed, Engine
from stageborging.testing import FakeClock

from conftest import DUTCH, ENGLISH, FAST, SENDER, Server, moved
from stageborging_email import EmailChannel, Settings, message_id

MakeEngine = Callable[..., Engine]


def delivery(contact: Contact = DUTCH, key: str = "s-1:4:tests:0/coach-nl") -> Delivery:
    """A delivery as the dispatcher hands it over."""
    return Delivery(
        key=key, entry=key.partition("/")[0], kind="test.moved", channel="email",
        stream_id="s-1", recipient=key.partition("/")[2], role="coach", params={},
        contact=contact, subject="Stage verplaatst", body="Beste Noor,\n\nÉén stap verder.",
    )  # fmt: skip


def test_each_recipient_gets_the_message_in_their_language(
    server: Server, make_engine: MakeEngine, clock: FakeClock
) -> None:
    engine = make_engine(server.config())
    key = moved(engine, clock)
    report = engine.dispatch(policy=FAST)
    assert (report.delivered, report.retried, report.dead) == (1, 0, 0)
    by_language = {m["Content-Language"]: m for m in server.received.messages}
    assert set(by_language) == {"nl", "en"}
    for language, contact, person, subject, greeting, text in (
        ("nl", DUTCH, "coach-nl", "Stage verplaatst: begin_search – geüpdatet",
         "Beste Noor de Vries,", "De stage ging verder (begin_search); één stap gezet."),
        ("en", ENGLISH, "coach-en", "Internship moved: begin_search", "Dear Erin English,",
         "The internship moved on (begin_search)."),
    ):  # fmt: skip
        message = by_language[language]
        assert message["From"] == SENDER
        assert message["To"].addresses[0].addr_spec == contact.address
        assert message["To"].addresses[0].display_name == contact.name
        assert message["Subject"] == subject
        assert message["Message-ID"] == message_id(f"{key}/{person}", "school.example")
        assert message["X-Stageborging-Key"] == f"{key}/{person}"
        assert message["Auto-Submitted"] == "auto-generated"
        assert parsedate_to_datetime(message["Date"]).utcoffset() is not None
        assert message.get_content_type() == "text/plain"
        assert message.get_content_charset() == "utf-8"
        body = message.get_content().replace("\r\n", "\n")  # as sent: CRLF line ends
        assert body.startswith(f"{greeting}\n\n{text}")
        assert body.rstrip().endswith("https://sis.example/s/1")
    envelopes = {e.rcpt_tos[0]: e.mail_from for e in server.received.envelopes}
    assert envelopes == {DUTCH.address: SENDER, ENGLISH.address: SENDER}
    assert all(len(e.rcpt_tos) == 1 for e in server.received.envelopes)


def test_the_message_id_is_derived_from_the_key_so_a_duplicate_has_the_same(
    server: Server,
) -> None:
    channel = EmailChannel(Settings.of(server.config(message_id_domain="mail.school.example")))
    channel.deliver(delivery(), timeout=10)
    channel.deliver(delivery(), timeout=10)  # a resend after a lost reply
    channel.deliver(delivery(key="s-1:4:tests:0/coach-en"), timeout=10)
    first, again, other = (m["Message-ID"] for m in server.received.messages)
    assert first == again
    assert first != other
    assert first == "<" + _sha256("s-1:4:tests:0/coach-nl")[:32] + "@mail.school.example>"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_sender_name_and_reply_to_are_set(server: Server) -> None:
    settings = server.config(sender_name="Stagebureau ROC", reply_to="desk@school.example")
    EmailChannel(Settings.of(settings)).deliver(delivery(ENGLISH), timeout=10)
    [message] = server.received.messages
    assert message["From"].addresses[0].display_name == "Stagebureau ROC"
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["Reply-To"] == "desk@school.example"
    assert message["Message-ID"].endswith("@school.example>")  # the sender's domain


@pytest.mark.parametrize("address", ["a@school.example, b@elsewhere.example", "Noor <n@x.nl>",
                                     "no-domain@", "nobody"])  # fmt: skip
def test_a_contact_that_is_not_one_address_is_refused_for_good(
    server: Server, address: str
) -> None:
    """No list of recipients and no header smuggled in through an address."""
    contact = Contact(address, "Noor", "https://sis.example/s/1", "nl")
    with pytest.raises(DeliveryFailed) as info:
        EmailChannel(Settings.of(server.config())).deliver(delivery(contact), timeout=10)
    assert (info.value.code, info.value.permanent) == ("email.address", True)
    assert server.received.senders == []


def test_a_display_name_cannot_add_a_recipient(server: Server) -> None:
    contact = Contact("n@school.example", 'de Vries, Noor "N" <x@evil.example>',
                      "https://sis.example/s/1")  # fmt: skip
    EmailChannel(Settings.of(server.config())).deliver(delivery(contact), timeout=10)
    [envelope] = server.received.envelopes
    assert envelope.rcpt_tos == ["n@school.example"]
    [message] = server.received.messages
    [to] = message["To"].addresses
    assert (to.addr_spec, to.display_name) == ("n@school.example", contact.name)


def test_a_subject_with_a_line_break_is_never_sent(server: Server) -> None:
    broken = Delivery(
        key="k/p", entry="k", kind="x", channel="email", stream_id="s", recipient="p",
        role="coach", params={}, contact=DUTCH, subject="Hi\r\nBcc: x@evil.example", body=".",
    )  # fmt: skip
    with pytest.raises(DeliveryFailed) as info:
        EmailChannel(Settings.of(server.config())).deliver(broken, timeout=10)
    assert (info.value.code, info.value.permanent) == ("email.header", True)
    assert server.received.senders == []


def test_the_body_is_quoted_printable_utf8_with_crlf_line_ends(server: Server) -> None:
    EmailChannel(Settings.of(server.config())).deliver(delivery(), timeout=10)
    [envelope] = server.received.envelopes
    raw = envelope.original_content
    assert isinstance(raw, bytes)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Content-Transfer-Encoding: quoted-printable" in head
    assert body == b"Beste Noor,\r\n\r\n=C3=89=C3=A9n stap verder.\r\n"
    assert b"\nX-Stageborging-Key: s-1:4:tests:0/coach-nl\r\n" in head  # one line, unfolded
