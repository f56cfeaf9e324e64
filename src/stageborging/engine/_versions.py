"""Every version of a definition an engine can use: current, released, and stored.

The current versions are the registry's (new streams are opened under them);
the versions releases of this package shipped come with it; every other version
is read from the database, which stores each definition an engine runs in the
transaction of the engine's first command. A stream keeps the version it is
under until it is migrated.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ..core import (
    DefinitionError,
    DefinitionMismatch,
    InvalidInput,
    Version,
    canonical_bytes,
)
from ..lifecycles import LifecycleDefinition, load_version, read_stored, unsafe_reason
from ..store import DefinitionRow, Store, StreamRow, Transaction
from ._registry import Registry

__all__ = ["Versions"]


class Versions:
    """The definition versions of one engine, by digest."""

    def __init__(self, registry: Registry, store: Store) -> None:
        self._current = registry.lifecycles
        self._known: dict[str, LifecycleDefinition] = dict(registry.versions)
        self._store = store
        self._unreadable: dict[str, str] = {}
        #: Stored versions not built yet, by digest.
        self._rows: dict[str, DefinitionRow] = {}
        #: Per thread: the transaction to read stored versions through, if any.
        self._local = threading.local()

    def current_rows(self, stored_at: str) -> list[DefinitionRow]:
        """The rows of the current definitions (the database keeps those it has)."""
        return [
            DefinitionRow(d.digest, d.name, canonical_bytes(d.to_json()), stored_at)
            for d in self._current.values()
        ]

    @contextmanager
    def through(self, tx: Transaction) -> Iterator[None]:
        """Read stored versions through *tx* while this thread runs it (a pooled
        store would otherwise need a second connection inside the transaction)."""
        self._local.source = tx.definitions
        try:
            yield
        finally:
            self._local.source = None

    def _read_stored(self, build: bool = False) -> dict[str, str]:
        """Every stored digest with its lifecycle's name; the rows of versions this engine
        does not know yet are kept, and built now when *build* (else when first asked for:
        building one runs its validation)."""
        digests = {}
        source = getattr(self._local, "source", None) or self._store.definitions
        for row in source():
            digests[row.digest] = row.lifecycle
            if row.digest not in self._known and row.digest not in self._unreadable:
                self._rows[row.digest] = row
        if build:
            for digest in list(self._rows):
                self._build(digest)
        return digests

    def _build(self, digest: str) -> LifecycleDefinition | None:
        """The stored version *digest*, built from its row (once)."""
        row = self._rows.pop(digest, None)
        if row is None:
            return self._known.get(digest)
        try:
            data = read_stored(row.digest, row.lifecycle, row.data)
            self._known[digest] = load_version(data, f"stored version {digest[:12]}")
        except DefinitionError as exc:
            self._unreadable[digest] = exc.problem
        return self._known.get(digest)

    def add(self, definition: LifecycleDefinition, stored_at: str) -> None:
        """Store *definition* as a version of the database (a past one, typically)."""
        row = DefinitionRow(
            definition.digest, definition.name, canonical_bytes(definition.to_json()), stored_at
        )
        self._store.run(lambda tx: tx.add_definitions([row]))
        self._known.setdefault(definition.digest, definition)
        self._unreadable.pop(definition.digest, None)
        self._rows.pop(definition.digest, None)

    def get(self, digest: str) -> LifecycleDefinition | None:
        """The version *digest*, or None when neither this engine nor its database has it."""
        definition = self._known.get(digest)
        if definition is None and digest not in self._unreadable:
            if digest not in self._rows:
                self._read_stored()  # another engine may have stored it since this one started
            definition = self._build(digest)
        return definition

    def find(self, lifecycle: str, prefix: str) -> LifecycleDefinition | None:
        """The one version of *lifecycle* whose digest starts with *prefix*, if any.

        Raises:
            InvalidInput: the prefix names more than one version.
        """
        for attempt in range(2):
            matches = [
                d for digest, d in self._known.items()
                if d.name == lifecycle and digest.startswith(prefix)
            ]  # fmt: skip
            if len(matches) > 1:
                raise InvalidInput("to", prefix, "names more than one version; give more digits")
            if matches or attempt:
                break
            self._read_stored(build=True)
        return matches[0] if matches else None

    def current(self, lifecycle: str) -> LifecycleDefinition | None:
        """The version new streams of *lifecycle* are opened under."""
        return self._current.get(lifecycle)

    def of(self, row: StreamRow) -> LifecycleDefinition:
        """The version the stream of *row* is under, if it may take commands.

        Raises:
            DefinitionMismatch: the version is unknown, or this release's hard rules
                refuse it.
        """
        definition = self._known.get(row.definition)
        if definition is not None and type(definition) is LifecycleDefinition:
            return definition  # the hot path: a version that passes this release's rules
        definition = self.require(row.id, row.lifecycle, row.definition)
        unsafe = unsafe_reason(definition)
        if unsafe is not None:
            raise self._mismatch(
                row.id,
                row.lifecycle,
                row.definition,
                f"this release's hard rules refuse that version ({unsafe}); migrate the "
                "stream to a version they accept",
            )
        return definition

    def require(self, stream_id: str, lifecycle: str, digest: str) -> LifecycleDefinition:
        """The version *digest* of a stream, which may be one this release refuses.

        Raises:
            DefinitionMismatch: neither the engine nor its database has the version.
        """
        definition = self.get(digest)
        if definition is None:
            reason = self._unreadable.get(digest, "")
            raise self._mismatch(stream_id, lifecycle, digest, reason)
        return definition

    def _mismatch(
        self, stream_id: str, lifecycle: str, digest: str, reason: str
    ) -> DefinitionMismatch:
        current = self._current.get(lifecycle)
        loaded = "" if current is None else current.digest
        return DefinitionMismatch(stream_id, lifecycle, digest, loaded, reason)

    def all(self) -> Iterable[LifecycleDefinition]:
        """Every version known, stored ones included."""
        self._read_stored(build=True)
        return tuple(self._known.values())

    def summary(self, institution: str | None = None) -> tuple[Version, ...]:
        """Every version the database stored or has streams under (of *institution*, or
        any), and every current one."""
        stored = self._read_stored(build=True)
        counts: dict[tuple[str, str], list[int]] = {
            (lifecycle, digest): [0, 0] for digest, lifecycle in stored.items()
        }
        for lifecycle, digest, state, streams in self._store.versions(institution):
            definition = self._known.get(digest)
            ended = definition is not None and state in definition.final
            total = counts.setdefault((lifecycle, digest), [0, 0])
            total[0] += streams
            total[1] += 0 if ended else streams
        for definition in self._current.values():
            counts.setdefault((definition.name, definition.digest), [0, 0])
        versions = []
        for (lifecycle, digest), (streams, running) in sorted(counts.items()):
            definition = self._known.get(digest)
            current = self._current.get(lifecycle)
            versions.append(
                Version(
                    lifecycle=lifecycle,
                    digest=digest,
                    current=current is not None and current.digest == digest,
                    known=definition is not None,
                    unsafe=None if definition is None else unsafe_reason(definition),
                    streams=streams,
                    running=running,
                    pending=current is not None and current.digest != digest and running > 0,
                )
            )
        return tuple(versions)
