"""Delivery in tests: an address book plugin (recipients and contacts) and a channel
that keeps what it is handed."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

from ..core import Contact, Delivery, DeliveryFailed, Role, Stream
from ..hookspecs import hookimpl

__all__ = ["KitContacts", "RecordingChannel"]


class KitContacts:
    """Recipients and contacts from two mappings, as a host's address book would give
    them: *roles* maps a role to the ids holding it (on every stream), *contacts* an id
    to its :class:`~stageborging.Contact` (the same on every channel). An id without a
    contact has none (``no_contact``)."""

    name = "stageborging.testing.contacts"

    def __init__(
        self,
        roles: Mapping[str, Sequence[str]],
        contacts: Mapping[str, Contact],
    ) -> None:
        self.roles = {Role(role): tuple(ids) for role, ids in roles.items()}
        self.contacts = dict(contacts)

    @hookimpl
    def stageborging_recipients(self, role: Role, stream: Stream) -> tuple[str, ...]:
        return self.roles.get(role, ())

    @hookimpl
    def stageborging_contact(self, person: str, channel: str) -> Contact | None:
        return self.contacts.get(person)


class RecordingChannel:
    """A channel that keeps every delivery it accepts in :attr:`delivered`, in order.

    Register it with :meth:`plugin`. ``failures`` makes it fail: a list of codes raised
    one per call, in turn (``"http.503"``, or ``("http.410", True)`` for a permanent
    failure), before it accepts again; ``delay`` makes each call take that long.
    Thread-safe: a dispatcher calls it from a thread of its own.
    """

    def __init__(
        self,
        name: str = "email",
        *,
        failures: Sequence[str | tuple[str, bool]] = (),
        delay: float = 0.0,
    ) -> None:
        self.name = name
        self.delivered: list[Delivery] = []
        self.calls = 0
        self._failures = list(failures)
        self._delay = delay
        self._lock = threading.Lock()

    def deliver(self, delivery: Delivery, timeout: float) -> None:
        if self._delay:
            time.sleep(self._delay)
        with self._lock:
            self.calls += 1
            if self._failures:
                failure = self._failures.pop(0)
                code, permanent = failure if isinstance(failure, tuple) else (failure, False)
                raise DeliveryFailed(code, permanent=permanent)
            self.delivered.append(delivery)

    def plugin(self) -> object:
        """A plugin offering this channel (``stageborging_channels``)."""
        return _Offers(self)


class _Offers:
    def __init__(self, channel: RecordingChannel) -> None:
        self.channel = channel
        self.name = f"stageborging.testing.channel.{channel.name}"

    @hookimpl
    def stageborging_channels(self) -> list[RecordingChannel]:
        return [self.channel]
