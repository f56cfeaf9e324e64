"""What an engine reads: streams, their events, the outbox, counts and verification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from ..audit import SealedEvent, VerifyReport
from ..core import (
    Event,
    FeedEntry,
    InvalidInput,
    OutboxEntry,
    Role,
    Statistics,
    Stream,
    StreamNotFound,
    StreamPage,
    Version,
    check_identifier,
    freeze,
    parse_role,
)
from ..lifecycles import LifecycleDefinition, fold
from ..pluginhost import PluginHost
from ..store import Store, StreamRow
from ._pipeline import Pipeline
from ._queries import scope, stream_query
from ._records import decoded, event_from_sealed, facts_json, stream_of
from ._registry import Registry

__all__ = ["FEED_PAGE", "Reads"]

#: The most events one page of the change feed holds.
FEED_PAGE = 10_000


class Reads:
    """The read side of :class:`~stageborging.Engine`: nothing here writes."""

    store: Store
    registry: Registry
    _plugins: PluginHost
    _pipeline: Pipeline

    def stream(self, stream_id: str) -> Stream:
        """The stream's current state and facts (its stored projection).

        Raises:
            StreamNotFound: no stream has this id.
            InvalidInput: *stream_id* is not a pseudonymous id.
        """
        return stream_of(self._row(stream_id))

    def _row(self, stream_id: str) -> StreamRow:
        """The stream's projection row, if the engine may see it, else StreamNotFound."""
        row = self._pipeline.visible(
            self.store.read_stream(check_identifier("stream_id", stream_id))
        )
        if row is None:
            raise StreamNotFound(stream_id)
        return row

    def _events(self, stream_id: str) -> list[SealedEvent]:
        """The stream's events, if the engine may see them, else StreamNotFound."""
        sealed = self.store.read_events(check_identifier("stream_id", stream_id))
        bound = self._pipeline.institution
        if not sealed or (bound is not None and sealed[0].institution != bound):
            raise StreamNotFound(stream_id)
        return sealed

    def streams(
        self,
        *,
        lifecycle: str | None = None,
        state: str | Sequence[str] | None = None,
        programme: str | None = None,
        qualification: str | None = None,
        level: int | None = None,
        track: str | None = None,
        student: str | None = None,
        employer: str | None = None,
        planned_from: date | str | None = None,
        planned_to: date | str | None = None,
        updated_since: datetime | None = None,
        institution: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> StreamPage:
        """The streams matching every filter given, a page at a time, in stream id order.

        Args:
            lifecycle: Its lifecycle (``mbo_bpv``, ``hbo_stage``, ``case`` …).
            state: Its state, or any of several states.
            programme, qualification, level, track, student: From the opening
                details (the student's pseudonymous id, the programme code …).
            employer: The employer of its current placement.
            planned_from, planned_to: The planned start on or after, on or before
                this day (a ``date`` or ``YYYY-MM-DD``).
            updated_since: An event written at or after this time (aware).
            institution: The institution it belongs to (``""``: none). A bound
                engine reads its own institution's streams only.
            limit: Streams per page, 1 to 1,000.
            after: The cursor of the page before (``StreamPage.next``).

        Returns:
            The page: its streams (as :meth:`stream` returns them) and the cursor of
            the next page, None after the last. The cursor is the last stream's id,
            so paging is stable while streams are written: a stream is never shown
            twice, and one that matches from the start is never skipped.

        Raises:
            InvalidInput: an argument of the wrong kind (naming it), or another
                institution than a bound engine's.
        """
        query, cursor, size = stream_query(
            lifecycle=lifecycle, state=state, programme=programme,
            qualification=qualification, level=level, track=track, student=student,
            employer=employer, planned_from=planned_from, planned_to=planned_to,
            updated_since=updated_since, limit=limit, after=after,
            institution=scope(self._pipeline.institution, institution),
        )  # fmt: skip
        rows = self.store.streams(query, cursor, size + 1)
        found = tuple(stream_of(row) for row in rows[:size])
        return StreamPage(found, found[-1].id if len(rows) > size else None)

    def history(self, stream_id: str) -> tuple[Event, ...]:
        """Every event of the stream, oldest first, refusals included.

        Raises:
            StreamNotFound: no stream has this id.
            InvalidInput: *stream_id* is not a pseudonymous id.
        """
        return tuple(event_from_sealed(s) for s in self._events(stream_id))

    def events_since(
        self, position: int = 0, limit: int = 1000, *, institution: str | None = None
    ) -> tuple[FeedEntry, ...]:
        """The change feed: up to *limit* events after *position* in the database's
        global order, oldest first, every stream's (of one *institution*, ``""`` for
        none, when given; a bound engine's feed holds its own institution's only).

        A consumer (a SIS mirroring state, a data warehouse, its own notifications)
        keeps the position of the last entry it handled and asks again from there:
        it never misses an event, also one that commits later than events after it
        (on PostgreSQL the feed stops short of transactions still running). An
        empty page means it has caught up for now. Positions increase but are not
        consecutive; 0 starts at the beginning.

        Raises:
            InvalidInput: *position* is no integer of at least 0, or *limit* no
                integer from 1 to 10,000.
        """
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= FEED_PAGE:
            raise InvalidInput("limit", limit, f"must be an integer from 1 to {FEED_PAGE}")
        return tuple(
            FeedEntry(found, event_from_sealed(sealed))
            for found, sealed in self.store.events_after(
                position, limit, scope(self._pipeline.institution, institution)
            )
        )

    def replay(self, stream_id: str) -> Stream:
        """Rebuild the stream's projection from its events alone, each event under the
        version of its definition stamped on it (across migrations).

        Equal to :meth:`stream` unless the database was tampered with.

        Raises:
            StreamNotFound: no stream has this id.
            InvalidInput: *stream_id* is not a pseudonymous id.
            DefinitionMismatch: an event is under a version this engine does not know.
        """
        sealed = self._events(stream_id)
        first, last = sealed[0], sealed[-1]
        versions = self._pipeline.versions

        def definition_of(digest: str) -> LifecycleDefinition:
            return versions.require(stream_id, first.lifecycle, digest)

        facts = fold((decoded(event) for event in sealed), definition_of)
        row = StreamRow(
            id=stream_id,
            kind=definition_of(last.definition).kind,
            lifecycle=last.lifecycle,
            definition=last.definition,
            state=last.to_state,
            version=last.seq,
            head_hash=last.hash,
            facts=facts_json(facts),
            opened_at=first.occurred_at,
            updated_at=last.occurred_at,
            institution=first.institution,
        )
        return stream_of(row)

    def notifications(
        self, stream_id: str | None = None, *, pending: bool = True
    ) -> tuple[OutboxEntry, ...]:
        """The outbox: notifications plugins returned, oldest first.

        Args:
            stream_id: Only those of this stream; all streams by default.
            pending: Only those not yet delivered (default: the dead letters, which
                :meth:`dead_letters` lists alone, among them), else all.

        Raises:
            StreamNotFound: *stream_id* names no stream.
            InvalidInput: *stream_id* is not a pseudonymous id, *pending* no bool.
        """
        if stream_id is not None:
            self._row(stream_id)
        if not isinstance(pending, bool):
            raise InvalidInput("pending", pending, "must be True or False")
        return tuple(self.store.outbox(stream_id, pending, self._pipeline.institution))

    def recipients(self, role: Role | str, stream_id: str) -> tuple[str, ...]:
        """Who holds *role* for the stream, as the ``stageborging_recipients`` plugins say.

        Returns:
            Their pseudonymous ids; empty when no plugin knows.

        Raises:
            StreamNotFound: no stream has this id.
            InvalidInput: *stream_id* is not a pseudonymous id.
            InvalidInput: the role is unknown.
        """
        role = parse_role("role", role)
        row = self._row(stream_id)
        stream = stream_of(row, freeze(self._pipeline.facts.facts(row)))
        return self._plugins.recipients(role, stream)

    def statistics(self, *, institution: str | None = None) -> Statistics:
        """Streams per lifecycle and state, events per type, refusals per finding code: of
        every stream, or of one *institution*'s (a bound engine: its own)."""
        return self.store.statistics(scope(self._pipeline.institution, institution))

    def verify(self, stream_id: str | None = None) -> VerifyReport:
        """Recompute every chain and check every column (see ``stageborging audit verify``),
        each event against the version of its definition stamped on it.

        Verification is of the whole database, every institution's streams (it is
        an auditor's check of the log, and its report names stream ids only); or, given
        *stream_id*, of that stream alone (its chain, columns, facts and projection row:
        what a page showing one stream checks before it shows it).

        Raises:
            InvalidInput: *stream_id* is not a pseudonymous id.
            StreamNotFound: no stream has that id (that this engine may see).
        """
        if stream_id is None:
            return self.store.verify(self._pipeline.versions.all())
        self._row(stream_id)  # a bound engine: one of its institution's streams
        return self.store.verify(self._pipeline.versions.all(), stream_id=stream_id)

    def versions(self, lifecycle: str | None = None) -> tuple[Version, ...]:
        """Every version of the lifecycles' definitions that streams are under, and the
        current ones, with how many streams (and running streams) each holds.

        A version that is not current and holds running streams is *pending*: a
        migration (:meth:`~stageborging.Engine.migrate`) would move them on.

        Args:
            lifecycle: Only this lifecycle's versions.

        Raises:
            InvalidInput: *lifecycle* is not a name.
        """
        if lifecycle is not None:
            check_identifier("lifecycle", lifecycle)
        found = self._pipeline.versions.summary(self._pipeline.institution)
        return tuple(v for v in found if lifecycle is None or v.lifecycle == lifecycle)
