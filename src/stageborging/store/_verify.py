"""Verify a database file as an auditor does: read-only, never migrated."""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..audit import VerifyReport
from ..lifecycles import LifecycleDefinition, builtin
from ._sqlite import SQLiteStore

__all__ = ["verify_database"]


def verify_database(
    path: str | os.PathLike[str], definitions: Iterable[LifecycleDefinition] | None = None
) -> VerifyReport:
    """Open the SQLite database at *path* read-only and verify every stream.

    Args:
        path: The database file.
        definitions: The lifecycle definitions whose streams also get their
            ``facts`` recomputed from the events; the built-in ones by default.

    Raises:
        StoreError: the file cannot be opened as a stageborging database.
    """
    store = SQLiteStore(path, read_only=True)
    try:
        return store.verify(builtin() if definitions is None else definitions)
    finally:
        store.close()
