"""Verify a database file as an auditor does: read-only, never migrated."""

from __future__ import annotations

import os
from collections.abc import Iterable

from attrs import evolve

from ._lifecycle import LifecycleDefinition
from .audit import VerifyReport, verify_rows
from .lifecycles import builtin
from .store import SQLiteStore

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
        known = builtin() if definitions is None else definitions
        report = verify_rows(store.iter_events(), store.stream_heads(), known)
        if not store.append_only_guards():
            warning = "the append-only triggers on the events table are missing"
            report = evolve(report, warnings=(*report.warnings, warning))
        return report
    finally:
        store.close()
