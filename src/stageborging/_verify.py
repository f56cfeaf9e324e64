"""Verify a database file as an auditor does: read-only, never migrated."""

from __future__ import annotations

import os

from attrs import evolve

from .audit import VerifyReport, verify_rows
from .store import SQLiteStore

__all__ = ["verify_database"]


def verify_database(path: str | os.PathLike[str]) -> VerifyReport:
    """Open the SQLite database at *path* read-only and verify every stream.

    Raises:
        StoreError: the file cannot be opened as a stageborging database.
    """
    store = SQLiteStore(path, read_only=True)
    try:
        report = verify_rows(store.iter_events(), store.stream_heads())
        if not store.append_only_guards():
            warning = "the append-only triggers on the events table are missing"
            report = evolve(report, warnings=(*report.warnings, warning))
        return report
    finally:
        store.close()
