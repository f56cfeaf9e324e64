"""What the engine needs from a database: one transaction per command.

The store knows nothing of plugins or rules: it loads and writes rows,
serialises commands on one stream and retries transient errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple, Protocol, TypeVar

from ..audit import SealedEvent, StreamRow, VerifyPart, VerifyReport
from ..core import DeliveryAttempt, OutboxEntry, Statistics
from ..lifecycles import LifecycleDefinition

__all__ = [
    "AccessEntry",
    "ApplicationCount",
    "Closing",
    "DeadlineRow",
    "DefinitionRow",
    "JobRow",
    "KeyRow",
    "Store",
    "StreamQuery",
    "StreamRow",
    "Transaction",
    "VersionCount",
]

T = TypeVar("T")


class DefinitionRow(NamedTuple):
    """A definition version as a database stores it."""

    digest: str
    lifecycle: str
    #: The canonical JSON of ``LifecycleDefinition.to_json()``.
    data: bytes
    #: When it was first stored (RFC 3339, UTC).
    stored_at: str


#: How a deadline closes: met, no longer applying, missed (escalated, and overdue until
#: met or no longer applying), or dismissed (a proposal turned down).
Closing = Literal["done", "cancelled", "missed", "dismissed"]


class KeyRow(NamedTuple):
    """A subject's key as the store keeps it."""

    key_id: str
    #: The key wrapped by the master key; None once erased.
    wrapped: bytes | None
    #: When it was added (RFC 3339, UTC).
    created_at: str
    #: When it was erased (RFC 3339, UTC); None while it can be unwrapped.
    erased_at: str | None = None

    @classmethod
    def of(cls, row: tuple[object, ...]) -> KeyRow:
        """A key row from the columns of KEY_COLUMNS (bytes from any driver's buffer)."""
        key_id, wrapped, created_at, erased_at = row
        return cls(
            str(key_id),
            None if wrapped is None else bytes(wrapped),  # type: ignore[call-overload]
            str(created_at),
            None if erased_at is None else str(erased_at),
        )


class AccessEntry(NamedTuple):
    """One read of sealed fields through the engine, as the access log keeps it."""

    #: Its place in the log's order.
    position: int
    #: When (RFC 3339, UTC).
    at: str
    actor_id: str
    actor_role: str
    stream_id: str
    #: The sealed fields read, as ``SEQ.FIELD`` (``3.note``).
    fields: tuple[str, ...]
    #: ``granted`` or ``refused``.
    outcome: str


class DeadlineRow(NamedTuple):
    """A deadline as a database stores it: due work the store's claims hand out.

    The store keeps these rows and claims them; what a deadline means (its guidance
    step, who acts, what escalates) is the scheduler's, kept in ``data``.
    """

    #: Unique: the scheduler's name for it (scheduling the same key again does nothing).
    key: str
    stream_id: str
    #: The guidance step (or other kind of work) it belongs to.
    step: str
    #: When it falls due (RFC 3339, UTC, as the log writes times).
    due_at: str
    #: When it was scheduled (RFC 3339, UTC).
    created_at: str
    #: ``open`` until ``done``, ``cancelled``, ``dismissed`` or ``missed``; a missed
    #: one is live (overdue) until it is closed ``done`` or ``cancelled``.
    status: str = "open"
    #: When it was closed or missed (RFC 3339, UTC); None while open.
    closed_at: str | None = None
    #: JSON the scheduler keeps with it (for example the step's version): codes and
    #: ids only, never free text (it is no part of the encrypted log).
    data: str = "{}"
    #: ``deadline`` (claimed by :meth:`Transaction.claim_due` when due) or
    #: ``proposal`` (an escalation waiting for someone to act; never claimed).
    kind: str = "deadline"
    #: The role that must act ("" for none).
    role: str = ""
    #: The institution of its stream ("" for none).
    institution: str = ""

    @classmethod
    def make(
        cls,
        key: str,
        stream_id: str,
        step: str,
        due_at: datetime,
        created_at: datetime,
        data: str = "{}",
        *,
        kind: str = "deadline",
        role: str = "",
        institution: str = "",
    ) -> DeadlineRow:
        """An open deadline from aware datetimes (written as the log writes times).

        Raises:
            InvalidInput: a time is naive or no datetime.
        """
        from ._rows import check_moment  # the rows module builds on this one

        return cls(key, stream_id, step, check_moment("due_at", due_at),
                   check_moment("created_at", created_at), data=data, kind=kind, role=role,
                   institution=institution)  # fmt: skip


class JobRow(NamedTuple):
    """One job, in the column order of the jobs table."""

    key: str
    kind: str
    stream_id: str
    institution: str
    data: str
    due_at: str
    leased_until: str | None
    created_at: str
    done_at: str | None

    @property
    def settings(self) -> dict[str, Any]:
        """What the job's data says to do."""
        kept: dict[str, Any] = json.loads(self.data)
        return kept


class ApplicationCount(NamedTuple):
    """The applications of one programme and level at one employer in a window."""

    programme: str
    level: int | None
    employer: str
    #: With a known outcome (invited, rejected, no response).
    applications: int
    invited: int


class StreamQuery(NamedTuple):
    """What :meth:`Store.streams` filters on: every field given must match.

    The keys of the opening details and the employer are read from the stream's facts
    (``details.programme`` …, ``employer``); the store indexes those it may be asked
    for selectively. Dates are ``YYYY-MM-DD``, times RFC 3339 UTC, as the log writes them.
    """

    #: The institution the stream belongs to ("" for none).
    institution: str | None = None
    lifecycle: str | None = None
    #: Any of these states (none: every state).
    states: tuple[str, ...] = ()
    programme: str | None = None
    qualification: str | None = None
    level: int | None = None
    track: str | None = None
    student: str | None = None
    employer: str | None = None
    #: The planned start on or after this day.
    planned_from: str | None = None
    #: The planned start on or before this day.
    planned_to: str | None = None
    #: Changed (an event written) at or after this time.
    updated_since: str | None = None


class VersionCount(NamedTuple):
    """How many streams of a lifecycle are under one version, in one state."""

    lifecycle: str
    digest: str
    state: str
    streams: int


class Transaction(Protocol):
    """The unit of work of one command: everything commits together or not at all."""

    def load(self, stream_id: str) -> StreamRow | None:
        """The stream's projection row, locked for this transaction; None if absent."""

    def lock(self, stream_ids: Sequence[str]) -> None:
        """Lock and read the rows of *stream_ids* for this transaction in one go (a batch
        does so first), so that :meth:`load` of each needs no further round trip. Only
        a speed-up: :meth:`load` locks a row itself when it was not locked here."""

    def read_events(self, stream_id: str) -> list[SealedEvent]:
        """The stream's events in order, as this transaction sees them."""

    def find_command(self, stream_id: str, command_id: str) -> SealedEvent | None:
        """The event of the stream that the command *command_id* wrote, if any."""

    def write(
        self,
        row: StreamRow,
        events: Sequence[SealedEvent],
        previous_version: int,
        outbox: Sequence[OutboxEntry] = (),
    ) -> None:
        """Append *events*, store *row* and queue *outbox*, if the stream is still
        at *previous_version* (0: the stream is new)."""

    def add_definitions(self, rows: Sequence[DefinitionRow]) -> None:
        """Store definition versions; one already stored keeps its first row."""

    def definitions(self) -> list[DefinitionRow]:
        """Every stored definition version, as this transaction sees them."""

    def schedule(self, deadlines: Sequence[DeadlineRow]) -> None:
        """Store open *deadlines*; one whose key is stored already is left as it is
        (scheduling is idempotent), a key given twice in one call is InvalidInput."""

    def claim_due(
        self, now: datetime, limit: int, institution: str | None = None
    ) -> list[DeadlineRow]:
        """Claim up to *limit* open deadlines due at *now* or earlier, earliest first (of
        *institution*'s streams, when given; proposals are never claimed).

        The claim lasts as long as this transaction: a concurrent claimer never gets
        the same rows (PostgreSQL skips rows locked by another claim; SQLite runs one
        writer at a time). Close what was handled in the same transaction, together
        with the events it caused, and each deadline is handled exactly once; roll
        back and the rows are due again.
        """

    def close_deadlines(self, keys: Sequence[str], status: Closing, at: datetime) -> int:
        """Close the live deadlines among *keys* as *status*; how many were live.

        ``missed`` marks open ones only (they stay live, overdue); ``done``,
        ``cancelled`` and ``dismissed`` close open and missed ones."""

    def live_deadlines(self, stream_id: str) -> list[DeadlineRow]:
        """The stream's live deadlines and proposals (open or missed), earliest due first,
        as this transaction sees them."""

    def postpone(self, keys: Sequence[str], due_at: datetime) -> int:
        """Make the open deadlines among *keys* due at *due_at*; how many were open."""

    def add_key(self, key_id: str, wrapped: bytes, at: datetime) -> bool:
        """Keep the wrapped key of subject *key_id*; False when the subject has one already
        (the first stays: a key is never replaced)."""

    def subject_key(self, key_id: str) -> KeyRow | None:
        """The subject's key row (its wrapped bytes None once erased); None when it has none."""

    def erase_key(self, key_id: str, at: datetime) -> bool:
        """Empty the subject's wrapped key for good, stamped *at* (a subject without a key
        gets an empty row, so none is added later); False when erased already."""

    def live_keys(self, after: str, limit: int) -> list[KeyRow]:
        """Up to *limit* keys not erased, in key id order after *after* ("" for the first)."""

    def rewrap_key(self, key_id: str, wrapped: bytes) -> bool:
        """Replace a key's wrapped bytes (a master key rotation: the same key, wrapped anew);
        False when it has none (absent or erased)."""

    def link_subject(self, stream_id: str, subject: str) -> None:
        """Record *subject* as the subject of the stream (the first one stays)."""

    def stream_subject(self, stream_id: str) -> str | None:
        """The subject of the stream; None when none is recorded."""

    def subject_streams(self, subject: str) -> list[str]:
        """The ids of the streams whose subject is *subject*, in id order."""

    def log_access(
        self,
        at: datetime,
        actor_id: str,
        actor_role: str,
        stream_id: str,
        fields: Sequence[str],
        outcome: str,
    ) -> None:
        """Append one read of sealed *fields* (``SEQ.FIELD``) to the access log."""

    def add_job(
        self,
        key: str,
        kind: str,
        stream_id: str,
        institution: str,
        data: Mapping[str, Any],
        due_at: datetime,
        at: datetime,
    ) -> bool:
        """Queue a job due at *due_at*; False when one with *key* exists (queuing is
        idempotent: the first stays)."""

    def claim_jobs(
        self,
        kind: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        institution: str | None = None,
    ) -> list[JobRow]:
        """Lease up to *limit* jobs of *kind* due at *now* that nobody holds (never done,
        no lease or an ended one), oldest first, until *lease_until* (of *institution*'s,
        when given). Another claim skips them until the lease ends or they are done."""

    def finish_job(self, key: str, at: datetime) -> bool:
        """Mark the job done; False when it was done already."""

    def add_application(
        self,
        stream_id: str,
        application: str,
        employer: str,
        institution: str,
        programme: str | None,
        level: int | None,
        sent_on: str,
    ) -> None:
        """Record an application sent (pending: no outcome yet); one recorded stays."""

    def application_outcome(self, stream_id: str, application: str, outcome: str | None) -> None:
        """Set the outcome of an application (None: pending again, after a correction)."""


class Store(Protocol):
    """A database holding streams, events, stored definitions, outbox rows and deadlines."""

    def run(self, work: Callable[[Transaction], T]) -> T:
        """Run *work* in one write transaction, retrying transient errors a bounded
        number of times; commit when it returns, roll back when it raises."""

    def read_stream(self, stream_id: str) -> StreamRow | None:
        """The stream's projection row without taking a write lock."""

    def read_events(self, stream_id: str) -> list[SealedEvent]:
        """The stream's events in order."""

    def iter_events(self) -> Iterator[SealedEvent]:
        """Every event, ordered by stream id and seq (for verification)."""

    def events_after(
        self, position: int, limit: int, institution: str | None = None
    ) -> list[tuple[int, SealedEvent]]:
        """Up to *limit* (position, event) pairs after *position* in the global order,
        of every stream or of the streams of *institution*.

        The order never skips: an event that commits later never gets a position
        below one already returned, so a reader that resumes from the last position
        it saw misses nothing. Positions increase but need not be consecutive.
        """

    def last_position(self) -> int:
        """The position of the last event in the global order (0: no event yet)."""

    def hashes_after(self, position: int, limit: int) -> list[tuple[int, str, int, str]]:
        """Up to *limit* ``(position, stream_id, seq, hash)`` of the events after
        *position* in the global order (of every stream), never skipping one that
        commits later, as :meth:`events_after`: the leaves of the log's Merkle tree."""

    def verify(
        self,
        definitions: Iterable[LifecycleDefinition] = (),
        progress: Callable[[int], None] | None = None,
        workers: int | str = 1,
        stream_id: str | None = None,
    ) -> VerifyReport:
        """Verify every stream in one consistent snapshot of the database, against
        *definitions* and the versions the database stored, reading the events and the
        projection rows as they come (memory does not grow with the log); *progress* is
        told the events verified so far, every 100,000. With *workers* above 1 (or
        ``"auto"``: the CPUs, for a large log) the streams are split between processes
        that read the same log. Given *stream_id*, only that stream (StreamNotFound when
        it has neither events nor a projection row)."""

    def verify_range(
        self,
        span: tuple[str | None, str | None],
        definitions: Iterable[LifecycleDefinition],
        snapshot: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[VerifyPart, object]:
        """Verify the streams whose ids lie from ``span[0]`` (None: the first) to before
        ``span[1]`` (None: to the last), in the database snapshot *snapshot* when the
        backend shares snapshots between connections, else in one of its own; and the
        mark of what it read (equal for every range read from one log)."""

    def definitions(self) -> list[DefinitionRow]:
        """Every stored definition version, oldest first (none before schema 4)."""

    def versions(self, institution: str | None = None) -> list[VersionCount]:
        """How many streams (of *institution*, or all) are under each version of each
        lifecycle, by state."""

    def streams_under(self, digest: str, institution: str | None = None) -> list[str]:
        """The ids of the streams (of *institution*, or all) under the version *digest*,
        in id order."""

    def streams(self, query: StreamQuery, after: str | None, limit: int) -> list[StreamRow]:
        """Up to *limit* projection rows matching *query*, in stream id order, after the
        id *after* (None: from the first): a stable cursor, whatever is written meanwhile."""

    def stream_heads(self) -> dict[str, StreamRow]:
        """The verifiable columns of every projection row."""

    def outbox(
        self,
        stream_id: str | None = None,
        pending: bool = True,
        institution: str | None = None,
        dead: bool | None = None,
    ) -> list[OutboxEntry]:
        """Outbox entries, oldest first: of one stream or all (of *institution*'s streams,
        when given), pending only or all; the dead letters only (*dead* True), the live
        entries only (False) or both (None)."""

    def outbox_entry(self, key: str) -> OutboxEntry | None:
        """The outbox entry *key*, or None."""

    def deadlines(self, stream_id: str | None = None, open_only: bool = True) -> list[DeadlineRow]:
        """Deadlines, earliest due first: of one stream or all, live (open or missed)
        only or all."""

    def due(
        self,
        until: datetime,
        institution: str | None,
        role: str | None,
        after: tuple[str, int] | None,
        limit: int,
    ) -> list[tuple[int, DeadlineRow]]:
        """Up to *limit* live deadlines and proposals due by *until*, (row id, row) pairs
        earliest due first, of *institution*'s streams or all, for *role* or any; *after*
        is the ``(due_at, id)`` of the last one a previous page returned."""

    def events_of(
        self,
        types: Sequence[str],
        names: Sequence[str],
        after: int,
        limit: int,
        institution: str | None = None,
    ) -> list[tuple[int, SealedEvent]]:
        """Up to *limit* events of one of *types* or with one of *names*, (position, event)
        pairs after the position *after* in the global order, of *institution*'s streams
        or all: what a report over the whole log reads, page by page. What is committed
        is read; unlike :meth:`events_after` it does not wait behind transactions still
        running, so it is no cursor to resume a feed from."""

    def escalations(
        self, after: int, limit: int, institution: str | None = None
    ) -> list[tuple[int, SealedEvent]]:
        """Up to *limit* ``escalated`` events (the guidance gaps) after the position
        *after* in the global order, of *institution*'s streams or all."""

    def lease_outbox(
        self,
        owner: str,
        now: datetime,
        lease_for: timedelta,
        limit: int,
        channel: str | None = None,
        institution: str | None = None,
    ) -> list[OutboxEntry]:
        """Lease up to *limit* pending entries to *owner* until ``now + lease_for``.

        The lease outlives this call's own short transaction: deliver after it, then
        :meth:`settle_outbox`. An entry is leasable when it is undelivered, its retry
        time (if any) has come and no lease on it runs at *now*, so two live workers
        never hold the same entry, and one whose worker died is leased again once its
        lease expires. Each lease counts as an attempt. Oldest first; of one
        *channel* or all; of *institution*'s streams or all ("" for those of none).
        """

    def settle_outbox(
        self,
        key: str,
        owner: str,
        at: datetime,
        *,
        delivered: bool,
        retry_at: datetime | None = None,
        error: str | None = None,
        dead: bool = False,
        outcomes: Sequence[tuple[str, str, str | None]] = (),
    ) -> bool:
        """End *owner*'s lease on entry *key*: delivered at *at*, a dead letter (*dead*)
        or due again at *retry_at* (at once when None) after *error* (a short code,
        never content); with what the attempt came to for each recipient, as
        ``(recipient, outcome, error)``, recorded with the entry's own outcome in the
        same transaction (see :meth:`deliveries`).

        Returns False, changing and recording nothing, when *owner* no longer holds the
        lease (it expired and another worker leased the entry) or the entry was
        delivered. A lease that expired but that nobody took over still settles (True).
        """

    def replay_outbox(self, key: str, at: datetime, by: str) -> bool:
        """Make the dead letter *key* pending again, due at once with its attempts
        starting over, recording ``replayed`` by *by*; False, changing nothing, when
        *key* is no dead letter."""

    def deliveries(
        self, key: str | None = None, after: int = 0, limit: int = 1000
    ) -> list[DeliveryAttempt]:
        """Up to *limit* recorded attempts (of entry *key*, or all) after the id *after*,
        in the order they were recorded (none before schema 12)."""

    def access_log(self, after: int, limit: int) -> list[AccessEntry]:
        """Up to *limit* access log entries after the position *after*, oldest first
        (none before schema 10)."""

    def subjects(self, after: str, limit: int) -> list[tuple[str, tuple[StreamRow, ...]]]:
        """Up to *limit* subjects after *after* ("" for the first), in order, each with the
        projection rows of its streams (in id order), read in one query."""

    def erased_subjects(self) -> frozenset[str]:
        """The key ids (subjects) erased."""

    def jobs(self, open_only: bool = True) -> list[JobRow]:
        """The jobs (those not done, by default), due first (none before schema 11)."""

    def application_counts(
        self, since: str, until: str, institution: str | None = None
    ) -> list[ApplicationCount]:
        """Per programme, level and employer: the applications sent from *since* to *until*
        (ISO dates, inclusive) with a known outcome, and how many brought an invitation
        (of *institution*'s streams, when given; none before schema 11)."""

    def scrub(self) -> tuple[str, ...]:
        """After an erasure: remove every copy of erased keys' bytes the database files
        still hold (old row versions, the write-ahead log); what was done, in words."""

    def statistics(self, institution: str | None = None) -> Statistics:
        """Streams per lifecycle and state, events per type, refusals per finding code: of
        every stream, or of the streams of *institution*."""

    def close(self) -> None:
        """Release the connections."""
