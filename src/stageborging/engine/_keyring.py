"""The subject keys as the engine uses them: made on first need, wrapped by the
installation's key provider, kept in the store; and the sealing of a command's sealed
fields under them.

A text is sealed for its place: the associated data binds it to the subject's key id,
the stream, the event's seq and the field, so a ciphertext copied anywhere else does not
open.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..core import FrozenMap, KeyProvider, KeyUnavailable
from ..privacy import KEY_BYTES, Pseudonyms, new_subject_key, open_text, seal_text
from ..store import Transaction

__all__ = ["RESERVED", "Keyring", "place", "plain", "typed"]

#: Key ids the library keeps for itself: no subject has one, and none is erased.
RESERVED = "stageborging."
#: The key id of the installation's pseudonym secret, kept wrapped beside the subject keys.
_PSEUDONYM_SECRET = "stageborging.pseudonyms"
#: The key id of the master key's check: random bytes wrapped by the master key of the
#: database, unwrapped before any new key is wrapped, so that another master key (or
#: one rotated away) never wraps a key nobody else can open.
_MASTER_CHECK = "stageborging.master"


def place(stream_id: str, seq: int, field: str) -> str:
    """The context a sealed field is bound to."""
    return f"{stream_id}:{seq}:{field}"


def plain(value: Any) -> str:
    """A sealed field's value as the text sealed: free text or a code as it is, a list
    of codes joined by commas (codes hold none)."""
    return ",".join(value) if isinstance(value, tuple) else str(value)


def typed(text: str, many: bool) -> str | tuple[str, ...]:
    """The value *text* (as :func:`plain` made it) was: a tuple for a list of codes."""
    return tuple(text.split(",")) if many else text


class Keyring:
    """The engine's subject keys, through *provider* (None: no free text can be sealed
    or read)."""

    def __init__(self, provider: KeyProvider | None) -> None:
        self.provider = provider
        self._pseudonyms: Pseudonyms | None = None

    def pseudonyms(self, tx: Transaction, at: datetime) -> Pseudonyms:
        """The installation's pseudonyms: their secret made on first need and kept wrapped
        like a subject key, so that it survives a rotation of the master key unchanged."""
        if self._pseudonyms is None:
            self._pseudonyms = Pseudonyms(self._key(tx, _PSEUDONYM_SECRET, at))
        return self._pseudonyms

    def required(self, key_id: str) -> KeyProvider:
        """The key provider; KeyUnavailable (naming *key_id*) when there is none."""
        if self.provider is None:
            raise KeyUnavailable(
                key_id,
                "no master key: give one (Engine(master_key=...) in Python; --key-file "
                "or $STAGEBORGING_MASTER_KEY on the command line) or install a key "
                "provider plugin",
            )
        return self.provider

    def for_writing(self, tx: Transaction, key_id: str, at: datetime) -> bytes:
        """The subject's key, made and stored (wrapped) in *tx* on first need.

        Raises:
            KeyUnavailable: no key provider, or the subject was erased (no text is
                sealed for them again).
        """
        if key_id.startswith(RESERVED):
            raise KeyUnavailable(key_id, f"ids that start with {RESERVED!r} are reserved")
        return self._key(tx, key_id, at)

    def _key(self, tx: Transaction, key_id: str, at: datetime) -> bytes:
        provider = self.required(key_id)
        row = tx.subject_key(key_id)
        if row is None:
            self._check(tx, provider, at)
            key = new_subject_key()
            tx.add_key(key_id, _wrap(provider, key_id, key), at)
            return key
        if row.wrapped is None:
            raise KeyUnavailable(key_id, "was erased: nothing is sealed for this subject again")
        return _unwrap(provider, key_id, row.wrapped)

    @staticmethod
    def _check(tx: Transaction, provider: KeyProvider, at: datetime) -> None:
        """KeyUnavailable unless *provider* is the database's master key (the first one
        to wrap a key becomes it)."""
        row = tx.subject_key(_MASTER_CHECK)
        if row is None:
            tx.add_key(_MASTER_CHECK, _wrap(provider, _MASTER_CHECK, new_subject_key()), at)
        elif row.wrapped is not None:
            try:
                _unwrap(provider, _MASTER_CHECK, row.wrapped)
            except KeyUnavailable:
                raise KeyUnavailable(
                    _MASTER_CHECK,
                    "this is not the database's master key (another one, or one rotated "
                    "away): nothing was written",
                ) from None

    def for_reading(self, tx: Transaction, key_id: str) -> bytes | None:
        """The subject's key; None when it was erased (or never made).

        Raises:
            KeyUnavailable: no key provider, or it does not unwrap the stored key.
        """
        row = tx.subject_key(key_id)
        if row is None or row.wrapped is None:
            return None  # erased: nothing to unwrap, with a master key or without
        return _unwrap(self.required(key_id), key_id, row.wrapped)

    def seal(
        self,
        tx: Transaction,
        key_id: str,
        stream_id: str,
        seq: int,
        values: Mapping[str, Any],
        at: datetime,
    ) -> Mapping[str, str]:
        """*values* (by field) sealed under the subject's key for their place on the stream."""
        key = self.for_writing(tx, key_id, at)
        return FrozenMap(
            {
                name: seal_text(key, key_id, plain(value), place(stream_id, seq, name))
                for name, value in values.items()
            }
        )

    @staticmethod
    def open(key: bytes, key_id: str, stream_id: str, seq: int, name: str, sealed: str) -> str:
        """The text of one sealed field, under the subject's *key*."""
        return open_text(key, key_id, sealed, place(stream_id, seq, name))


def _wrap(provider: KeyProvider, key_id: str, key: bytes) -> bytes:
    """*key* wrapped by *provider*; KeyUnavailable when it fails or answers no bytes."""
    try:
        wrapped = provider.wrap(key_id, key)
    except KeyUnavailable:
        raise
    except Exception as exc:  # a KMS call that failed: named, never a raw error
        raise KeyUnavailable(
            key_id, f"the key provider failed to wrap ({type(exc).__name__})"
        ) from None
    if not isinstance(wrapped, bytes):
        raise KeyUnavailable(key_id, f"the key provider's wrap returned {type(wrapped).__name__}")
    return wrapped


def _unwrap(provider: KeyProvider, key_id: str, wrapped: bytes) -> bytes:
    """The key *provider* unwraps; KeyUnavailable when it fails or answers no 32 bytes."""
    try:
        key = provider.unwrap(key_id, wrapped)
    except KeyUnavailable:
        raise
    except Exception as exc:
        raise KeyUnavailable(
            key_id, f"the key provider failed to unwrap ({type(exc).__name__})"
        ) from None
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise KeyUnavailable(key_id, "the key provider's unwrap returned no 32-byte key")
    return key
