"""Open a store from what a user gives: a file path (SQLite) or a ``postgresql://`` URL."""

from __future__ import annotations

import os
import re

from ..core import InvalidInput, StoreError
from ._protocol import Store
from ._sqlite import SQLiteStore

__all__ = ["is_url", "open_store", "shown_db"]

_SCHEMES = ("postgresql://", "postgres://")
_PASSWORD = re.compile(r"^(\w+://[^:/@?]*):[^@/?]*@")
#: A libpq keyword string (``host=db port=5432 …``): meant as a server, not a file name.
_KEYWORDS = re.compile(r"\s*(host|hostaddr|dbname|user|port|password|service)\s*=")


def shown_db(db: str | os.PathLike[str]) -> str:
    """*db* for a message: a URL without its password (a path as it is)."""
    text = os.fspath(db)
    return _PASSWORD.sub(r"\1@", text) if is_url(text) else text


def is_url(db: object) -> bool:
    """True when *db* is a PostgreSQL URL (anything else is a file path)."""
    return isinstance(db, str) and db.startswith(_SCHEMES)


def open_store(db: str | os.PathLike[str], *, read_only: bool = False) -> Store:
    """The store *db* names: a PostgreSQL URL, else an SQLite file.

    Raises:
        InvalidInput: *db* is neither a path nor a URL (a libpq keyword string
            such as ``host=db dbname=x`` included: give it as a URL).
        StoreError: the database cannot be opened, or PostgreSQL support is not
            installed (``pip install 'stageborging[postgres]'``).
    """
    if not isinstance(db, (str, os.PathLike)):
        raise InvalidInput("db", db, "must be a database path or a postgresql:// URL")
    if isinstance(db, str) and _KEYWORDS.match(db):
        raise InvalidInput(
            "db", "host=…", "looks like a libpq keyword string: give a postgresql:// URL"
        )
    if not is_url(db):
        if "\x00" in os.fspath(db):
            raise InvalidInput("db", db, "holds a NUL character: no file can be named so")
        return SQLiteStore(db, read_only=read_only)
    try:
        from ._postgres import PostgresStore
    except ImportError:
        raise StoreError("PostgreSQL needs psycopg: pip install 'stageborging[postgres]'") from None
    return PostgresStore(str(db), read_only=read_only)
