"""What the engine needs from a database: one transaction per command.

The store knows nothing of plugins or rules: it loads and writes rows,
serialises commands on one stream and retries transient errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple, Protocol, TypeVar

from ..audit import SealedEvent, StreamRow, VerifyReport
from ..core import OutboxEntry, Statistics
from ..lifecycles import LifecycleDefinition

__all__ = ["DefinitionRow", "Store", "StreamRow", "Transaction", "VersionCount"]

T = TypeVar("T")


class DefinitionRow(NamedTuple):
    """A definition version as a database stores it."""

    digest: str
    lifecycle: str
    #: The canonical JSON of ``LifecycleDefinition.to_json()``.
    data: bytes
    #: When it was first stored (RFC 3339, UTC).
    stored_at: str


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

    def read_events(self, stream_id: str) -> list[SealedEvent]:
        """The stream's events in order, as this transaction sees them."""

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


class Store(Protocol):
    """A database holding streams, events and outbox rows (deadlines arrive later)."""

    def run(self, work: Callable[[Transaction], T]) -> T:
        """Run *work* in one write transaction, retrying transient errors a bounded
        number of times; commit when it returns, roll back when it raises."""

    def read_stream(self, stream_id: str) -> StreamRow | None:
        """The stream's projection row without taking a write lock."""

    def read_events(self, stream_id: str) -> list[SealedEvent]:
        """The stream's events in order."""

    def iter_events(self) -> Iterator[SealedEvent]:
        """Every event, ordered by stream id and seq (for verification)."""

    def events_after(self, position: int, limit: int) -> list[tuple[int, SealedEvent]]:
        """Up to *limit* (position, event) pairs after *position* in the global order.

        The order never skips: an event that commits later never gets a position
        below one already returned, so a reader that resumes from the last position
        it saw misses nothing. Positions increase but need not be consecutive.
        """

    def verify(self, definitions: Iterable[LifecycleDefinition] = ()) -> VerifyReport:
        """Verify every stream in one consistent snapshot of the database, against
        *definitions* and the versions the database stored."""

    def definitions(self) -> list[DefinitionRow]:
        """Every stored definition version, oldest first (none before schema 4)."""

    def versions(self) -> list[VersionCount]:
        """How many streams are under each version of each lifecycle, by state."""

    def streams_under(self, digest: str) -> list[str]:
        """The ids of the streams under the version *digest*, in id order."""

    def stream_heads(self) -> dict[str, StreamRow]:
        """The verifiable columns of every projection row."""

    def outbox(self, stream_id: str | None = None, pending: bool = True) -> list[OutboxEntry]:
        """Outbox entries, oldest first: of one stream or all, pending only or all."""

    def statistics(self) -> Statistics:
        """Streams per lifecycle and state, events per type, refusals per finding code."""

    def close(self) -> None:
        """Release the connections."""
