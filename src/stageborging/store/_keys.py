"""The subject keys both backends keep: each subject's key, wrapped by the master key.

The store holds wrapped keys only (it never sees a master key or a key in the clear).
A key is added once; erasing it empties its wrapped bytes and stamps when, so that who
was erased stays on record while nothing can unwrap their key again. A subject erased
before they had a key gets an empty row: no key can be added for them later.
"""

from __future__ import annotations

from datetime import datetime

from ..core import InvalidInput, check_identifier
from ._rows import check_moment

__all__ = [
    "ADD_KEY",
    "ERASED_KEYS",
    "ERASE_KEY",
    "KEY_COLUMNS",
    "LIVE_KEYS",
    "READ_KEY",
    "REWRAP_KEY",
    "check_key_row",
    "erase_params",
    "rewrap_params",
]

#: The largest wrapped key, in bytes: a format byte, a nonce, 32 bytes and a tag fit
#: many times over; a provider's envelope must fit too.
MAX_WRAPPED = 1024
KEY_COLUMNS = "key_id, wrapped, created_at, erased_at"
ADD_KEY = (
    "INSERT INTO subject_keys (key_id, wrapped, created_at, erased_at) VALUES (?, ?, ?, NULL) "
    "ON CONFLICT (key_id) DO NOTHING"
)
READ_KEY = f"SELECT {KEY_COLUMNS} FROM subject_keys WHERE key_id = ?"
ERASE_KEY = (
    "INSERT INTO subject_keys (key_id, wrapped, created_at, erased_at) VALUES (?, NULL, ?, ?) "
    "ON CONFLICT (key_id) DO UPDATE SET wrapped = NULL, erased_at = excluded.erased_at "
    "WHERE subject_keys.erased_at IS NULL"
)
#: The keys that can still be unwrapped, in key id order, a page after a key id.
LIVE_KEYS = (
    f"SELECT {KEY_COLUMNS} FROM subject_keys WHERE wrapped IS NOT NULL AND key_id > ? "
    "ORDER BY key_id LIMIT ?"
)
#: The keys destroyed: erased, their bytes gone (what verification compares the chain with).
ERASED_KEYS = "SELECT key_id FROM subject_keys WHERE erased_at IS NOT NULL AND wrapped IS NULL"
REWRAP_KEY = "UPDATE subject_keys SET wrapped = ? WHERE key_id = ? AND wrapped IS NOT NULL"


def check_key_row(key_id: object, wrapped: object, at: datetime) -> tuple[str, bytes, str]:
    """The parameters of ADD_KEY, else InvalidInput naming the argument."""
    return check_identifier("key_id", key_id), _wrapped(wrapped), check_moment("at", at)


def _wrapped(wrapped: object) -> bytes:
    if not isinstance(wrapped, bytes) or not 0 < len(wrapped) <= MAX_WRAPPED:
        raise InvalidInput("wrapped", "<key>", f"must be 1 to {MAX_WRAPPED} bytes")
    return wrapped


def erase_params(key_id: object, at: datetime) -> tuple[str, str, str]:
    """The parameters of ERASE_KEY, else InvalidInput naming the argument."""
    stamp = check_moment("at", at)
    return check_identifier("key_id", key_id), stamp, stamp


def rewrap_params(key_id: object, wrapped: object) -> tuple[bytes, str]:
    """The parameters of REWRAP_KEY, else InvalidInput naming the argument."""
    key = check_identifier("key_id", key_id)
    return _wrapped(wrapped), key
