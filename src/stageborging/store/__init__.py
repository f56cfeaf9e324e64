"""Storage of streams and events: the unit-of-work protocol, its SQLite backend and the
schema migrations. The store knows nothing of plugins or rules."""

from ._protocol import DefinitionRow, Store, StreamRow, Transaction, VersionCount
from ._schema import MIGRATIONS, SCHEMA_VERSION
from ._sqlite import SQLiteStore, Synchronous
from ._verify import verify_database

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "DefinitionRow",
    "SQLiteStore",
    "Store",
    "StreamRow",
    "Synchronous",
    "Transaction",
    "VersionCount",
    "verify_database",
]
