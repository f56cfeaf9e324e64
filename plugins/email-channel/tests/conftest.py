"""Fixtures of the plugin's tests: real SMTP servers (aiosmtpd) on localhost that keep
what they receive, a certificate authority for their TLS, and engines that deliver
through the plugin."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from stageborging import (
    Contact,
    Engine,
    MessageTemplate,
    Notification,
    RetryPolicy,
    hookimpl,
)
from stageborging.testing import FakeClock, Journey, KitContacts, KitRegister

from stageborging_email import plugin

HOST = "127.0.0.1"
SENDER = "stage@school.example"
USER, PASSWORD = "stagebureau", "s3cret-for-tests"
#: The variable the tests put the password in (``password_env``).
PASSWORD_ENV = "STAGEBORGING_TEST_SMTP_PASSWORD"
#: Fast retries: three attempts a minute apart, short timeouts.
FAST = RetryPolicy(attempts=3, timeout=10, lease=60)

DUTCH = Contact("noor@school.example", "Noor de Vries", "https://sis.example/s/1", "nl")
ENGLISH = Contact("erin@school.example", "Erin English", "https://sis.example/s/1", "en")


class Recorder:
    """An aiosmtpd handler that keeps every message it accepts, and answers ``RCPT TO``
    for the addresses in :attr:`replies` with the reply given (``"550 5.1.1 …"``)."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.senders: list[str] = []  # every MAIL FROM, accepted or not
        self.replies: dict[str, str] = {}
        self.logins: list[bytes] = []

    async def handle_MAIL(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str,
        options: list[str],
    ) -> str:  # fmt: skip
        self.senders.append(address)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str,
        options: list[str],
    ) -> str:  # fmt: skip
        reply = self.replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str,
        auth_data: Any,
    ) -> AuthResult:  # fmt: skip
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        if ok:
            self.logins.append(auth_data.login)
        return AuthResult(success=ok, handled=False)

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received, parsed."""
        parsed = []
        for envelope in self.envelopes:
            content = envelope.original_content or envelope.content
            assert isinstance(content, bytes)
            found = message_from_bytes(content, policy=policy.default)
            assert isinstance(found, EmailMessage)
            parsed.append(found)
        return parsed


class _Controller(Controller):
    """aiosmtpd's controller on a port the system picks (``port=0``)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Server:
    """A running SMTP server: its :attr:`port` and what it :attr:`received`."""

    def __init__(self, controller: Controller, received: Recorder) -> None:
        self.controller = controller
        self.received = received

    @property
    def port(self) -> int:
        port = self.controller.port
        assert isinstance(port, int)
        return port

    def config(self, **changes: Any) -> dict[str, Any]:
        """The plugin's settings for this server (plain text on localhost by default)."""
        return {"host": HOST, "port": self.port, "tls": "none", "sender": SENDER, **changes}


StartServer = Callable[..., Server]


@pytest.fixture(autouse=True)
def _quiet_server_log() -> Iterator[None]:
    """aiosmtpd logs the conversation (addresses included): not what these tests check."""
    logger = logging.getLogger("mail.log")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    """Start SMTP servers with aiosmtpd's settings (``tls_context``, ``ssl_context``,
    ``auth_require_tls`` …): each stopped at the end of the test."""
    started: list[Controller] = []

    def start(**kwargs: Any) -> Server:
        received = Recorder()
        if kwargs.pop("auth", False):
            kwargs["authenticator"] = received.authenticate
        controller = _Controller(received, hostname=HOST, port=0, **kwargs)
        controller.start()
        started.append(controller)
        return Server(controller, received)

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def server(start_server: StartServer) -> Server:
    """A plain SMTP server on localhost: no TLS, no login."""
    return start_server()


@pytest.fixture
def free_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    assert isinstance(port, int)
    return port


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    """The login's password, in the environment variable :data:`PASSWORD_ENV`."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return PASSWORD


# -- TLS ----------------------------------------------------------------------------


class Certificates:
    """A certificate authority, and the certificate it signed for :data:`HOST`."""

    def __init__(self, folder: Path) -> None:
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stageborging test CA")])
        ca = (
            _builder(ca_name, ca_name, ca_key, now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
        leaf = (
            _builder(name, ca_name, key, now)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(pem))
        self.cert_file = folder / "server.pem"
        self.cert_file.write_bytes(leaf.public_bytes(pem))
        self.key_file = folder / "server.key"
        self.key_file.write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )

    def server_context(self) -> ssl.SSLContext:
        """The server's side of TLS."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, now: dt.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates(tmp_path_factory.mktemp("tls"))


# -- engines ------------------------------------------------------------------------


class Notifies:
    """Queues one ``test.moved`` e-mail to the coaches at every transition, with a text
    that is not all ASCII."""

    name = "tests.notifies"

    @hookimpl
    def stageborging_after_transition(self, event: Any) -> list[Notification]:
        return [Notification("email", "coach", "test.moved", {"trigger": event.name})]

    @hookimpl
    def stageborging_templates(self) -> list[MessageTemplate]:
        return [
            MessageTemplate.framed(
                "test.moved",
                {"nl": "Stage verplaatst: {trigger} – geüpdatet", "en": "Internship moved: "
                 "{trigger}"},
                {"nl": "De stage ging verder ({trigger}); één stap gezet.",
                 "en": "The internship moved on ({trigger})."},
            )
        ]  # fmt: skip


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # 10 January 2027, 09:00 UTC


@pytest.fixture
def make_engine(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Engine]]:
    """An engine with the plugin, these settings (``config["email"]``) and the coaches
    *contacts* (``{id: Contact}``; by default one in Dutch and one in English)."""
    engines: list[Engine] = []

    def make(
        settings: dict[str, Any], contacts: dict[str, Contact] | None = None, role: str = "coach"
    ) -> Engine:
        if contacts is None:
            contacts = {"coach-nl": DUTCH, "coach-en": ENGLISH}
        book = KitContacts({role: list(contacts)}, contacts)
        engine = Engine(
            tmp_path / f"school-{len(engines)}.db",
            plugins=[KitRegister(), Notifies(), book, plugin],
            clock=clock,
            config={"email": settings},
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


def moved(engine: Engine, clock: FakeClock) -> str:
    """Begin a search on a new internship: one ``test.moved`` entry; its key."""
    journey = Journey(engine, clock)
    sid = journey.open()
    engine.fire(sid, "begin_search", actor=journey.cast.student)
    [entry] = engine.notifications()
    return entry.key
