"""The installation's master key, and the subject keys it wraps.

The master key is 32 random bytes the installation keeps outside the database: in a
file (readable by the service's user only) or an environment variable, both holding it
as base64. Each subject's key is 32 random bytes of its own, stored only wrapped:
sealed with AES-256-GCM under the master key, bound to its key id, so a wrapped key
moved to another id does not unwrap.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..core import InvalidInput, KeyUnavailable, check_identifier

__all__ = ["KEY_BYTES", "MasterKey", "new_subject_key"]

#: The length of every key: AES-256.
KEY_BYTES = 32
#: The length of a GCM nonce.
_NONCE = 12
#: The first byte of a wrapped key: the format's version.
_WRAP_V1 = b"\x01"


def new_subject_key() -> bytes:
    """A fresh random subject key."""
    return os.urandom(KEY_BYTES)


def _key_bytes(field: str, text: object) -> bytes:
    """The 32 bytes of a base64 master key, else InvalidInput naming *field*."""
    if not isinstance(text, str):
        raise InvalidInput(field, text, "must be the master key in base64")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(field, "<key>", "is no base64") from None
    if len(raw) != KEY_BYTES:
        raise InvalidInput(field, "<key>", f"must hold {KEY_BYTES} bytes, not {len(raw)}")
    return raw


class MasterKey:
    """The installation's master key: wraps and unwraps subject keys.

    Make one with :meth:`generate` (once, at installation), then keep its
    :meth:`to_base64` in a file or a secret store, and load it with :meth:`from_file`
    or :meth:`from_env`. Losing it loses every subject key: back it up apart from the
    database.
    """

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes) or len(raw) != KEY_BYTES:
            raise InvalidInput("master_key", "<key>", f"must be {KEY_BYTES} bytes")
        self._aead = AESGCM(raw)
        self._raw = raw

    def __repr__(self) -> str:
        return "MasterKey(<secret>)"  # never the bytes, in a log or a traceback

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MasterKey):
            return NotImplemented
        return hmac.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return hash(MasterKey)  # equal keys hash alike; the bytes never leave

    @classmethod
    def generate(cls) -> MasterKey:
        """A new random master key."""
        return cls(os.urandom(KEY_BYTES))

    @classmethod
    def from_env(cls, name: str = "STAGEBORGING_MASTER_KEY") -> MasterKey:
        """The master key in the environment variable *name* (base64).

        Raises:
            InvalidInput: the variable is unset or holds no 32-byte base64 key.
        """
        if not isinstance(name, str):
            raise InvalidInput("name", name, "must be the name of an environment variable")
        value = os.environ.get(name)
        if value is None:
            raise InvalidInput(name, None, "is not set: give the master key in base64")
        return cls(_key_bytes(name, value))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> MasterKey:
        """The master key in the file at *path* (base64), which only its owner may read.

        Raises:
            InvalidInput: the file cannot be read, others may read or write it, or it
                holds no 32-byte base64 key.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise InvalidInput("master_key_file", path, "must be a path")
        file = Path(path)
        try:
            mode = file.stat().st_mode
            text = file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput("master_key_file", str(file), f"cannot be read ({exc})") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InvalidInput(
                "master_key_file", str(file), "may be read by others: chmod 600 it first"
            )
        return cls(_key_bytes("master_key_file", text))

    def to_base64(self) -> str:
        """The key as base64, to keep in a file or a secret store (never in the database)."""
        return base64.b64encode(self._raw).decode("ascii")

    def wrap(self, key_id: str, subject_key: bytes) -> bytes:
        """*subject_key* sealed under this master key, bound to *key_id*."""
        check_identifier("key_id", key_id)
        if not isinstance(subject_key, bytes) or len(subject_key) != KEY_BYTES:
            raise InvalidInput("subject_key", "<key>", f"must be {KEY_BYTES} bytes")
        nonce = os.urandom(_NONCE)
        return _WRAP_V1 + nonce + self._aead.encrypt(nonce, subject_key, key_id.encode())

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        """The subject key *wrapped* holds for *key_id*.

        Raises:
            KeyUnavailable: another master key wrapped it, it belongs to another key
                id, or it was altered.
        """
        check_identifier("key_id", key_id)
        if not isinstance(wrapped, bytes) or wrapped[:1] != _WRAP_V1:
            raise KeyUnavailable(key_id, "is no wrapped key of this format")
        nonce, sealed = wrapped[1 : 1 + _NONCE], wrapped[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            raise KeyUnavailable(
                key_id, "does not unwrap: another master key, another key id, or altered"
            ) from None

    def rewrap(self, key_id: str, wrapped: bytes, new: MasterKey) -> bytes:
        """*wrapped* unwrapped with this key and wrapped with *new* (a rotation)."""
        return new.wrap(key_id, self.unwrap(key_id, wrapped))
