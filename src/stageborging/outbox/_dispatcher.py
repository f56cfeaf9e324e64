"""Delivery: outbox entries leased one at a time per channel, their recipients and
contacts resolved at delivery, the message written from its template, the channel
called in a thread of its own under a timeout, the outcome settled in the row."""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from attrs import frozen

from ..core import (
    Channel,
    Delivery,
    DeliveryFailed,
    InvalidInput,
    MessageTemplate,
    OutboxEntry,
    PluginError,
    Stream,
    check_identifier,
    get_logger,
)
from ..pluginhost import PluginHost
from ..store import Store
from ._policy import RetryPolicy

__all__ = ["DispatchReport", "Dispatcher", "channels_of", "worker_id"]

#: What one recipient's attempt came to: (outcome, error code or None).
Result = tuple[str, str | None]
_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")
#: Seconds the dispatcher waits beyond the timeout it gives a channel, so that a channel
#: keeping to it reports its own failure (``http.timeout``) before ``channel.timeout``.
GRACE = 1.0
#: Calls of one channel that may still hang after their timeout before the channel is
#: skipped until one of them ends (each holds a thread that cannot be stopped).
MAX_STUCK = 4


def worker_id() -> str:
    """A dispatcher's id: its host, its process and a random part (never reused)."""
    host = _UNSAFE.sub("-", socket.gethostname())[:60] or "host"
    return f"dispatch-{host}-{os.getpid()}-{secrets.token_hex(4)}"


def channels_of(host: PluginHost) -> Mapping[str, Channel]:
    """The channels the plugins offer, by name.

    Raises:
        PluginError: a plugin failed or offered no channel, or two offer one name.
    """
    found: dict[str, Channel] = {}
    owner: dict[str, str] = {}
    for plugin, channel in host.channels():
        if channel.name in found:
            taken = owner[channel.name]
            raise PluginError(plugin, f"the channel {channel.name} is offered by {taken} too")
        found[channel.name], owner[channel.name] = channel, plugin
    return found


@frozen
class DispatchReport:
    """What one pass delivered, per channel: entries ``delivered``, due again
    (``retry``) and ``dead`` (their attempts used up, or undeliverable).

    Attributes:
        channels: Per channel name, the count of each outcome.
    """

    channels: Mapping[str, Mapping[str, int]]

    def _total(self, outcome: str) -> int:
        return sum(counts.get(outcome, 0) for counts in self.channels.values())

    @property
    def delivered(self) -> int:
        """Entries delivered to every recipient."""
        return self._total("delivered")

    @property
    def retried(self) -> int:
        """Entries that failed this time and are due again later."""
        return self._total("retry")

    @property
    def dead(self) -> int:
        """Entries that became dead letters."""
        return self._total("dead")

    @property
    def entries(self) -> int:
        """Entries attempted."""
        return self.delivered + self.retried + self.dead


class Dispatcher:
    """Deliver outbox entries through channel plugins (see :doc:`/notifications`).

    Built by :meth:`Engine.dispatcher <stageborging.Engine.dispatcher>`; one
    :meth:`run_once` goes through what is due, each channel in a thread of its own,
    and :meth:`run` repeats it until stopped.
    """

    def __init__(
        self,
        store: Store,
        host: PluginHost,
        templates: Mapping[str, MessageTemplate],
        channels: Mapping[str, Channel],
        streams: Callable[[str], Stream | None],
        clock: Callable[[], datetime],
        policy: RetryPolicy,
        worker: str,
        institution: str | None = None,
    ) -> None:
        self.store = store
        self.host = host
        self.templates = templates
        self.channels = channels
        self.policy = policy
        self.worker = check_identifier("worker", worker)
        self._streams = streams
        self._clock = clock
        self._institution = institution
        self._log = get_logger().bind(worker=self.worker)
        self._stop = threading.Event()
        self._stuck: dict[str, list[threading.Thread]] = {name: [] for name in channels}

    def run_once(self, limit: int = 1000) -> DispatchReport:
        """Deliver what is due now, up to *limit* entries per channel: each channel in a
        thread of its own, so that a slow one holds up no other."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInput("limit", limit, "must be a whole number from 1")
        counts: dict[str, Counter[str]] = {name: Counter() for name in self.channels}
        threads = [
            threading.Thread(
                target=self._drain, args=(channel, limit, counts[name]),
                name=f"stageborging-dispatch-{name}", daemon=True,
            )
            for name, channel in self.channels.items()
        ]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return DispatchReport({name: dict(found) for name, found in counts.items()})

    def run(
        self,
        stop: threading.Event,
        interval: float = 10.0,
        on_pass: Callable[[DispatchReport], None] | None = None,
    ) -> None:
        """Deliver until *stop* is set: a pass, then (when it found nothing due) a wait
        of *interval* seconds or until *stop*; *on_pass* is told of each pass that did
        something. Once *stop* is set, each channel finishes the recipient in hand (at
        most its timeout and a second), settles its entry and stops: the recipients not
        yet reached are due again at once, for the next dispatcher."""
        if not callable(getattr(stop, "is_set", None)) or not callable(getattr(stop, "wait", None)):
            raise InvalidInput("stop", stop, "must be a threading.Event")
        if (
            isinstance(interval, bool)
            or not isinstance(interval, (int, float))
            or not (0 < interval <= 3600)
        ):
            raise InvalidInput("interval", interval, "must be a number of seconds above 0")
        self._stop = stop
        try:
            while not stop.is_set():
                report = self.run_once()
                if report.entries and on_pass is not None:
                    on_pass(report)
                if not report.entries:
                    stop.wait(interval)
        finally:
            self._stop = threading.Event()

    # -- one channel -------------------------------------------------------------------

    def _drain(self, channel: Channel, limit: int, counts: Counter[str]) -> None:
        for _ in range(limit):
            if self._stop.is_set() or self._is_stuck(channel):
                return
            now = self._clock()
            lease = timedelta(seconds=self.policy.lease)
            leased = self.store.lease_outbox(
                self.worker, now, lease, 1, channel.name, self._institution
            )
            if not leased:
                return
            try:
                outcome = self._deliver(channel, leased[0], now + lease)
            except Exception as exc:  # the store failed: stop this channel, keep the others
                self._log.error("dispatch stopped", channel=channel.name, error=type(exc).__name__)
                return
            counts[outcome] += 1

    def _deliver(self, channel: Channel, entry: OutboxEntry, lease_ends: datetime) -> str:
        """Deliver *entry* to each recipient not yet reached; settle it; its outcome."""
        note = entry.notification
        template = self.templates.get(note.template)
        if template is None:
            return self._settle(entry, channel, [], "template.unknown", permanent=True)
        missing = sorted(template.params - set(note.params))
        if missing:  # a param's name, never its value
            self._log.warning("template param missing", kind=note.template, param=missing[0])
            return self._settle(entry, channel, [], "template.params", permanent=True)
        stream = self._streams(entry.stream_id)
        if stream is None:
            return self._settle(entry, channel, [], "stream.unknown", permanent=True)
        try:
            recipients = self.host.recipients(note.recipient_role, stream, strict=True)
        except PluginError:
            return self._settle(entry, channel, [], "recipients.failed")
        if not recipients:
            return self._settle(entry, channel, [], "recipients.none")
        reached = self._reached(entry)
        pending = [p for p in dict.fromkeys(recipients) if p not in reached]
        results: list[tuple[str, str, str | None]] = []
        for person in pending:
            if self._stop.is_set():
                break  # stopping: the rest at once, by the next dispatcher
            if self._clock() + timedelta(seconds=self.policy.timeout + GRACE) > lease_ends:
                break  # too little of the lease left: the rest at the next attempt
            outcome, error = self._send(channel, entry, template, person)
            results.append((person, outcome, error))
        done = {p for p, outcome, _ in results if outcome == "delivered"}
        refused = [error for _, outcome, error in results if outcome == "refused"]
        if refused:
            return self._settle(entry, channel, results, refused[0], permanent=True)
        if done >= set(pending):
            return self._settle(entry, channel, results, None)
        failed = [error for _, outcome, error in results if outcome != "delivered"]
        if failed:
            return self._settle(entry, channel, results, failed[-1])
        cut = "dispatch.stopped" if self._stop.is_set() else "lease.short"
        return self._settle(entry, channel, results, cut, at_once=True)

    def _reached(self, entry: OutboxEntry) -> set[str]:
        """The recipients an earlier attempt at *entry* delivered to."""
        if entry.attempts == 1 and entry.last_error is None:
            return set()  # its first attempt: no earlier one to read
        return {
            attempt.recipient
            for attempt in self.store.deliveries(entry.key, 0, 10_000)
            if attempt.outcome == "delivered" and attempt.recipient
        }

    def _send(
        self, channel: Channel, entry: OutboxEntry, template: MessageTemplate, person: str
    ) -> Result:
        """Write and send the message of *entry* to *person*."""
        try:
            contact = self.host.contact(person, channel.name)
        except PluginError:
            return "no_contact", "contact.failed"
        if contact is None:
            return "no_contact", "contact.none"
        note = entry.notification
        values = {**note.params, "name": contact.name, "link": contact.link}
        subject, body = template.render(contact.language, values)
        delivery = Delivery(
            key=f"{entry.key}/{person}", entry=entry.key, kind=note.template,
            channel=channel.name, stream_id=entry.stream_id, recipient=person,
            role=note.recipient_role.value, params=note.params, contact=contact,
            subject=subject, body=body, attempt=entry.attempts, created_at=entry.created_at,
        )  # fmt: skip
        result, thread = _call(channel, delivery, self.policy.timeout)
        if thread is not None:
            self._stuck[channel.name].append(thread)
        return result

    def _is_stuck(self, channel: Channel) -> bool:
        """Whether too many of *channel*'s calls still hang: it is skipped until one ends."""
        hanging = self._stuck[channel.name] = [t for t in self._stuck[channel.name]
                                               if t.is_alive()]  # fmt: skip
        if len(hanging) >= MAX_STUCK:
            self._log.error("channel stuck", channel=channel.name, calls=len(hanging))
            return True
        return False

    def _settle(
        self,
        entry: OutboxEntry,
        channel: Channel,
        results: list[tuple[str, str, str | None]],
        error: str | None,
        *,
        permanent: bool = False,
        at_once: bool = False,
    ) -> str:
        now = self._clock()
        if error is None:
            outcome, retry_at = "delivered", None
        elif at_once:  # cut short, not failed: due again now, the attempt not held against it
            outcome, retry_at = "retry", None
        elif permanent or entry.attempts >= self.policy.attempts:
            outcome, retry_at = "dead", None
        else:
            outcome, retry_at = "retry", self.policy.retry_at(entry.attempts, now)
        held = self.store.settle_outbox(
            entry.key, self.worker, now, delivered=outcome == "delivered", retry_at=retry_at,
            error=error, dead=outcome == "dead", outcomes=results,
        )  # fmt: skip
        if not held:  # the lease ran out and another dispatcher took the entry over
            self._log.warning("lease lost", channel=channel.name, attempt=entry.attempts)
            return "retry"
        self._log.info(
            "delivery", channel=channel.name, kind=entry.notification.template,
            outcome=outcome, error=error, attempt=entry.attempts,
        )  # fmt: skip
        return outcome


def _call(
    channel: Channel, delivery: Delivery, timeout: float
) -> tuple[Result, threading.Thread | None]:
    """Call *channel* for *delivery* in a thread of its own; give up a :data:`GRACE`
    after *timeout* (the thread is left to end by itself, and returned: a channel is told
    the timeout and keeps to it)."""
    box: list[Result] = []

    def run() -> None:
        try:
            channel.deliver(delivery, timeout)
            box.append(("delivered", None))
        except DeliveryFailed as exc:
            box.append(("refused" if exc.permanent else "failed", exc.code))
        except BaseException as exc:  # a channel's own failure, of any kind, is an
            # outcome with its type only (its message may hold an address)
            box.append(("failed", _UNSAFE.sub("-", f"error.{type(exc).__name__}")[:128]))

    thread = threading.Thread(target=run, name=f"stageborging-{channel.name}", daemon=True)
    thread.start()
    thread.join(timeout + GRACE)
    if box:
        return box[0], None
    return ("failed", "channel.timeout"), thread
