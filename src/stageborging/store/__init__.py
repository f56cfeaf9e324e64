"""Storage of streams and events: the unit-of-work protocol and its backends."""

from ._base import Store, StreamRow, Transaction
from .sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store", "StreamRow", "Transaction"]
