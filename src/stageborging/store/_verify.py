"""Verify a database file as an auditor does: read-only, never migrated."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from ..audit import VerifyReport
from ..lifecycles import LifecycleDefinition, builtin, released
from ._open import open_store

__all__ = ["verify_database"]


def verify_database(
    path: str | os.PathLike[str],
    definitions: Iterable[LifecycleDefinition] | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | str = 1,
    stream_id: str | None = None,
) -> VerifyReport:
    """Open the database at *path* read-only and verify every stream.

    Args:
        path: The SQLite database file, or a ``postgresql://`` URL (read through
            read-only transactions; never migrated).
        definitions: Definition versions the verifier knows besides those the
            database stored and every built-in version a release shipped (the
            built-in ones are always known). Events under a version known are
            checked against it and their streams' ``facts`` recomputed.
        progress: Told the number of events verified so far, every 100,000 (a large
            log takes a while; memory stays flat).
        workers: How many processes verify: 1, a number up to 64, or ``"auto"`` (the
            CPUs this process may use, for a log of 200,000 events or more). More
            than one splits the streams between spawned processes that read the same
            log: a script doing so must start under ``if __name__ == "__main__":``.
        stream_id: Verify this one stream only (its chain, columns, facts and row).

    Raises:
        StoreError: the file cannot be opened as a stageborging database, or a
            worker process could not verify its part.
        InvalidInput: *workers* is none of those, or *stream_id* is no id.
        StreamNotFound: no stream has the id *stream_id*.
    """
    store = open_store(path, read_only=True)
    try:
        known = (*builtin(), *released(), *(definitions or ()))
        return store.verify(known, progress, workers, stream_id)
    finally:
        store.close()
