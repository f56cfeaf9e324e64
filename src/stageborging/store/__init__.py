"""Storage of streams and events: the unit-of-work protocol, its SQLite and PostgreSQL
backends and their schema migrations. The store knows nothing of plugins or rules.

The PostgreSQL backend is imported only when a ``postgresql://`` URL is opened
(:func:`open_store`), so SQLite users need no psycopg."""

from ._checkpoints import (
    check_checkpoint,
    log_leaves,
    make_checkpoint,
    prove_consistency,
    prove_inclusion,
)
from ._export import export_lines
from ._open import is_url, open_store, shown_db
from ._parallel import MAX_WORKERS, worker_count
from ._protocol import (
    AccessEntry,
    ApplicationCount,
    Closing,
    DeadlineRow,
    DefinitionRow,
    JobRow,
    KeyRow,
    Store,
    StreamQuery,
    StreamRow,
    Transaction,
    VersionCount,
)
from ._rows import check_moment
from ._schema import MIGRATIONS, SCHEMA_VERSION
from ._sqlite import SQLiteStore, Synchronous
from ._verify import verify_database

__all__ = [
    "MAX_WORKERS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AccessEntry",
    "ApplicationCount",
    "Closing",
    "DeadlineRow",
    "DefinitionRow",
    "JobRow",
    "KeyRow",
    "PostgresStore",
    "SQLiteStore",
    "Store",
    "StreamQuery",
    "StreamRow",
    "Synchronous",
    "Transaction",
    "VersionCount",
    "check_checkpoint",
    "check_moment",
    "export_lines",
    "is_url",
    "log_leaves",
    "make_checkpoint",
    "open_store",
    "prove_consistency",
    "prove_inclusion",
    "shown_db",
    "verify_database",
    "worker_count",
]


def __getattr__(name: str) -> object:
    """``PostgresStore`` is imported on first use: SQLite users need no psycopg."""
    if name == "PostgresStore":
        from ._postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
