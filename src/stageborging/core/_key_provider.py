"""What wraps and unwraps subject keys: the contract a master key and a KMS plugin share."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["KeyProvider"]


@runtime_checkable
class KeyProvider(Protocol):
    """What wraps and unwraps subject keys: the installation's
    :class:`~stageborging.privacy.MasterKey`, or a key management service a plugin
    offers through ``stageborging_key_provider``.

    Both methods bind the key to its *key_id*: a wrapped key moved to another id must
    not unwrap. ``unwrap`` raises :class:`~stageborging.exceptions.KeyUnavailable`
    when it cannot (another master key, altered bytes, the service refusing).
    """

    def wrap(self, key_id: str, subject_key: bytes) -> bytes:
        """*subject_key* (32 bytes) wrapped for *key_id*: at most 1024 bytes."""

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        """The subject key *wrapped* holds for *key_id*."""
