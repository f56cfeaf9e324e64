"""Delivery helpers: the templates of the test notifications, an address book, and a
channel that writes what it sends to a file (for dispatchers in other processes)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from stageborging import Contact, Delivery, Engine, MessageTemplate, RetryPolicy, hookimpl
from stageborging.testing import KitContacts

#: The coaches every stream has, and how to reach them: one in English, one in Dutch.
COACHES = {"coach": ["coach-en", "coach-nl"]}
CONTACTS = {
    "coach-en": Contact("en@school.example", "Erin English", "https://sis.example/s/1", "en"),
    "coach-nl": Contact("nl@school.example", "Noor Nederlands", "https://sis.example/s/2"),
}


def book(roles: dict[str, list[str]] | None = None) -> KitContacts:
    return KitContacts(COACHES if roles is None else roles, CONTACTS)


class Moved:
    """The template of the ``moved`` notification the support ``Tells`` plugin queues."""

    name = "test-moved-template"

    @hookimpl
    def stageborging_templates(self) -> list[MessageTemplate]:
        return [
            MessageTemplate.framed(
                "moved",
                {"nl": "Verplaatst: {step}", "en": "Moved: {step}"},
                {"nl": "De stage is verplaatst ({step}).", "en": "The internship moved ({step})."},
            )
        ]


class FileChannel:
    """Appends ``KEY`` to *path* once the message is "sent" (one line, flushed to disk
    before it returns), after *delay* seconds: a receiver another process can read."""

    def __init__(self, path: str, delay: float = 0.0, name: str = "email") -> None:
        self.path, self.delay, self.name = path, delay, name

    def deliver(self, delivery: Delivery, timeout: float) -> None:
        time.sleep(self.delay)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{delivery.key}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)


class Offers:
    name = "test-file-channel"

    def __init__(self, channel: Any) -> None:
        self.channel = channel

    @hookimpl
    def stageborging_channels(self) -> list[Any]:
        return [self.channel]


def received(path: Path) -> list[str]:
    """The keys the file channel wrote, in order."""
    return path.read_text().split() if path.exists() else []


def dispatch_until_done(
    db: str, path: str, delay: float, lease: float, started: Any = None, rounds: int = 400
) -> None:
    """A dispatcher process: deliver through the file channel until nothing is pending
    (waiting for leases of dead workers to end), then return."""
    policy = RetryPolicy(attempts=10, timeout=lease / 4, lease=lease)
    with Engine(db, plugins=[book(), Moved(), Offers(FileChannel(path, delay))]) as engine:
        if started is not None:
            started.wait()
        dispatcher = engine.dispatcher(policy=policy)
        for _ in range(rounds):
            dispatcher.run_once()
            if not engine.store.outbox():
                return
            time.sleep(0.05)
