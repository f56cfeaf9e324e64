"""Delivery of :class:`~stageborging.Engine`: the dispatcher over the engine's store and
plugins, the dead letters, a replay by hand and the attempts' outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from ..core import (
    DeliveryAttempt,
    InvalidInput,
    MessageTemplate,
    OutboxEntry,
    Stream,
    check_identifier,
    check_identifiers,
    freeze,
)
from ..outbox import Dispatcher, DispatchReport, RetryPolicy, channels_of, worker_id
from ..pluginhost import PluginHost
from ..store import Store
from ._pipeline import Pipeline
from ._records import stream_of
from ._registry import Registry

__all__ = ["Deliveries"]


class Deliveries:
    """Delivering the outbox (see :doc:`/notifications`)."""

    _pipeline: Pipeline
    _plugins: PluginHost
    registry: Registry
    store: Store

    @property
    def templates(self) -> Mapping[str, MessageTemplate]:
        """The message template of every notification kind, by kind (read-only)."""
        return self.registry.templates

    def dispatcher(
        self,
        *,
        channels: Iterable[str] | None = None,
        policy: RetryPolicy | None = None,
        worker: str | None = None,
    ) -> Dispatcher:
        """A dispatcher delivering this database's outbox through the channel plugins
        (of this engine's institution only, when it is bound to one).

        Args:
            channels: The names of the channels to deliver (all the plugins offer, by
                default); another dispatcher may serve the others.
            policy: Attempts, backoff, timeout and lease (:class:`RetryPolicy`).
            worker: This dispatcher's id in the leases and the attempts (a fresh one,
                naming the host and the process, by default).

        Raises:
            PluginError: a channel plugin failed or offered a malformed channel, or two
                offer one name; or a plugin's message templates are malformed.
            InvalidInput: a channel asked for is offered by no plugin, or an argument
                has the wrong kind.
        """
        if policy is None:
            policy = RetryPolicy()
        elif not isinstance(policy, RetryPolicy):
            raise InvalidInput("policy", policy, "must be a RetryPolicy")
        templates = self.registry.templates  # a malformed one stops the dispatcher here
        offered = channels_of(self._plugins)
        if channels is not None:
            wanted = check_identifiers("channels", channels)
            for name in wanted:
                if name not in offered:
                    known = ", ".join(offered) or (
                        "none (a channel plugin offers its channel once its settings are "
                        "given: its table in --config)"
                    )
                    raise InvalidInput("channels", name, f"no plugin offers it; offered: {known}")
            offered = {name: offered[name] for name in wanted}
        return Dispatcher(
            self.store, self._plugins, templates, offered, self._stream_or_none,
            self._utc_now, policy, worker_id() if worker is None else worker,
            self._pipeline.institution,
        )  # fmt: skip

    def dispatch(
        self,
        *,
        channels: Iterable[str] | None = None,
        policy: RetryPolicy | None = None,
        limit: int = 1000,
    ) -> DispatchReport:
        """Deliver the outbox entries due now, once: each entry to each recipient of its
        role, through its channel, in the recipient's language (see :meth:`dispatcher`
        for the arguments; *limit* bounds the entries per channel).

        Safe to run from several processes or hosts at once: an entry is leased to one
        dispatcher at a time. Delivery is at least once; a receiver drops a duplicate
        by the delivery's key.
        """
        return self.dispatcher(channels=channels, policy=policy).run_once(limit)

    def dead_letters(self) -> tuple[OutboxEntry, ...]:
        """The outbox entries that could not be delivered, oldest first: their attempts
        used up, or a failure that trying again cannot help. :meth:`retry_dead_letter` one once
        its cause is fixed."""
        return tuple(self.store.outbox(None, True, self._pipeline.institution, dead=True))

    def retry_dead_letter(self, key: str, *, by: str = "operator") -> OutboxEntry:
        """Make the dead letter *key* pending again, its attempts starting over (it is
        delivered at the next dispatch, to the recipients it has not reached); *by*
        (who replayed it) is recorded with it. Returns the entry as it is now.

        Raises:
            InvalidInput: no entry has this key, or it is not a dead letter (naming
                whether it was delivered or is still pending).
        """
        check_identifier("by", by)
        entry = self._entry(key)
        if entry.delivered_at is not None:
            raise InvalidInput("key", key, f"was delivered at {entry.delivered_at}")
        if entry.dead_at is None:
            raise InvalidInput("key", key, "is no dead letter: it is still pending")
        self.store.replay_outbox(key, self._utc_now(), by)
        return self._entry(key)

    def retry_dead_letters(
        self, *, by: str = "operator", channel: str | None = None, kind: str | None = None
    ) -> tuple[OutboxEntry, ...]:
        """Make every dead letter (of *channel*, of *kind*, when given) pending again, as
        :meth:`retry_dead_letter` does one: after a fault that hit many (a server down
        all night, a wrong setting). Returns the entries retried.

        Raises:
            InvalidInput: *by*, *channel* or *kind* is not a well-formed code.
        """
        check_identifier("by", by)
        for name, value in (("channel", channel), ("kind", kind)):
            if value is not None:
                check_identifier(name, value)
        chosen = [
            entry.key
            for entry in self.dead_letters()
            if channel in (None, entry.notification.channel)
            and kind in (None, entry.notification.template)
        ]
        now = self._utc_now()
        return tuple(self._entry(key) for key in chosen if self.store.replay_outbox(key, now, by))

    def deliveries(self, key: str) -> tuple[DeliveryAttempt, ...]:
        """What every attempt at the outbox entry *key* came to, in order: per recipient
        (``delivered``, ``failed``, ``refused``, ``no_contact``) and for the entry
        (``delivered``, ``retry``, ``dead``, ``replayed``), with error codes only.

        Raises:
            InvalidInput: no entry has this key.
        """
        self._entry(key)
        found: list[DeliveryAttempt] = []
        while True:
            page = self.store.deliveries(key, found[-1].id if found else 0, 1000)
            found += page
            if len(page) < 1000:
                return tuple(found)

    def _entry(self, key: str) -> OutboxEntry:
        entry = self.store.outbox_entry(key)
        institution = self._pipeline.institution
        if entry is not None and institution is not None:
            entry = entry if self._stream_or_none(entry.stream_id) is not None else None
        if entry is None:
            raise InvalidInput("key", key, "no outbox entry has this key")
        return entry

    def _utc_now(self) -> datetime:
        return self._pipeline.moment().utc

    def _stream_or_none(self, stream_id: str) -> Stream | None:
        """The stream as the recipients plugins see it (read-only), if this engine may
        see it."""
        row = self._pipeline.visible(self.store.read_stream(stream_id))
        if row is None:
            return None
        return stream_of(row, freeze(self._pipeline.facts.facts(row)))
