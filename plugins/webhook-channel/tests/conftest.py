"""Fixtures of the plugin's tests: a real HTTP receiver on 127.0.0.1 (a scripted sequence
of answers, a record of every request), the signing secret in the environment, and an
engine that queues one webhook message to one coach."""

from __future__ import annotations

import base64
import importlib.util
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from stageborging import (
    Contact,
    Engine,
    MessageTemplate,
    Notification,
    OutboxEntry,
    RetryPolicy,
    hookimpl,
)
from stageborging.testing import FakeClock, Journey, KitContacts, KitRegister

from stageborging_webhook import plugin

ROOT = Path(__file__).resolve().parent.parent
#: The signing secret of the tests (32 bytes), and the variable it is read from.
SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
SECRET_ENV = "STAGEBORGING_TEST_WEBHOOK_SECRET"
#: The one recipient, and how to reach them.
COACH = Contact("coach-1", "Coach One", "https://sis.example/x", "en")
#: Retries in tests: three attempts, five seconds for each call.
POLICY = RetryPolicy(attempts=3, timeout=5, lease=60)
KIND = "webhook.moved"


@dataclass(frozen=True)
class Answer:
    """How the receiver answers one request: a *status* with *headers*, after holding it
    *delay* seconds (or until the receiver is closed)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Request:
    """A request the receiver got: its headers with lower-case names (and as received),
    and its raw body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    raw_headers: str = ""


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close joins every handler thread
    block_on_close = True
    receiver: Receiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request("POST", self.path, headers, body, str(self.headers))
        answer = self.server.receiver.took(request)
        if answer.delay and self.server.receiver.closing.wait(answer.delay):
            return  # closed while holding the request: answer nothing
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:  # the client gave up waiting
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output stays clean."""


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) answering POSTs as scripted (200 when
    the script is used up) and keeping every request in :attr:`requests`."""

    def __init__(self, *answers: Answer | int) -> None:
        self.requests: list[Request] = []
        self.closing = threading.Event()
        self._answers = [a if isinstance(a, Answer) else Answer(a) for a in answers]
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hooks/stageborging") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, *answers: Answer | int) -> None:
        """Answer the next requests so (after what is scripted already)."""
        with self._lock:
            self._answers += [a if isinstance(a, Answer) else Answer(a) for a in answers]

    def took(self, request: Request) -> Answer:
        with self._lock:
            self.requests.append(request)
            return self._answers.pop(0) if self._answers else Answer()

    def close(self) -> None:
        """Release held requests, stop serving, join every thread, close the socket."""
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def serve() -> Iterator[Callable[..., Receiver]]:
    """Start receivers (``serve(500, 200)``); each is shut down after the test."""
    started: list[Receiver] = []

    def start(*answers: Answer | int) -> Receiver:
        started.append(Receiver(*answers))
        return started[-1]

    yield start
    for receiver in started:
        receiver.close()


@pytest.fixture
def receiver(serve: Callable[..., Receiver]) -> Receiver:
    return serve()


@pytest.fixture
def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def secret_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


class Moves:
    """Queues one ``webhook.moved`` message to the coach at every transition."""

    name = "test-webhook-moves"

    @hookimpl
    def stageborging_after_transition(self, event: Any) -> list[Notification]:
        return [Notification("webhook", "coach", KIND, {"trigger": event.name})]

    @hookimpl
    def stageborging_templates(self) -> list[MessageTemplate]:
        return [
            MessageTemplate.framed(
                KIND,
                {"nl": "Stage verplaatst: {trigger}", "en": "Internship moved: {trigger}"},
                {"nl": "De stage ging verder ({trigger}).",
                 "en": "The internship moved on ({trigger})."},
            )
        ]  # fmt: skip


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # 10 January 2027


@pytest.fixture
def make_engine(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Engine]]:
    """An engine with the plugin and these settings, one coach (``coach-1``, English)
    and a message queued at every transition; closed after the test."""
    engines: list[Engine] = []

    def make(settings: dict[str, Any]) -> Engine:
        contacts = KitContacts({"coach": ["coach-1"]}, {"coach-1": COACH})
        engine = Engine(
            tmp_path / f"school-{len(engines)}.db",
            plugins=[KitRegister(), Moves(), contacts, plugin],
            clock=clock,
            config={"webhook": settings},
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


def queue_one(engine: Engine, clock: FakeClock) -> OutboxEntry:
    """Open an internship and begin its search: one message queued; its outbox entry."""
    journey = Journey(engine, clock)
    sid = journey.open()
    engine.fire(sid, "begin_search", actor=journey.cast.student)
    [entry] = engine.notifications()
    return entry


def past_retry(engine: Engine, clock: FakeClock) -> None:
    """Move *clock* a second past the pending entry's next attempt."""
    [entry] = engine.notifications()
    assert entry.next_attempt_at is not None
    clock.set(datetime.fromisoformat(entry.next_attempt_at) + timedelta(seconds=1))


def load_receiver() -> ModuleType:
    """The README's receiver example, ``examples/receiver.py``, imported from its file."""
    if "receiver" in sys.modules:
        return sys.modules["receiver"]
    spec = importlib.util.spec_from_file_location("receiver", ROOT / "examples" / "receiver.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["receiver"] = module
    spec.loader.exec_module(module)
    return module
