"""Ids to match later, as HMACs with an installation secret (never bare hashes).

A bare hash of an employer's or a reporter's id can be reversed by hashing every
candidate; an HMAC under a secret the database does not hold cannot. The same secret
gives the same pseudonym, so a reporter's second report, or an employer named again,
is found; the kind is part of the input, so an employer and a reporter with the same
id get different pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac

from ..core import InvalidInput, check_identifier

__all__ = ["Pseudonyms"]

#: What every pseudonym starts with: the scheme and its version.
PREFIX = "p1:"
_SECRET_BYTES = 32


class Pseudonyms:
    """The installation's pseudonyms: ``of(kind, id)`` is ``p1:`` and 64 hex digits.

    Args:
        secret: At least 32 random bytes, kept outside the database (as the master key).

    Raises:
        InvalidInput: the secret is shorter than 32 bytes.
    """

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) < _SECRET_BYTES:
            raise InvalidInput("secret", "<secret>", f"must be at least {_SECRET_BYTES} bytes")
        self._secret = secret

    def __repr__(self) -> str:
        return "Pseudonyms(<secret>)"

    def of(self, kind: str, value: str) -> str:
        """The pseudonym of the id *value* of *kind* (``employer``, ``reporter`` …)."""
        check_identifier("kind", kind)
        check_identifier("value", value)
        digest = hmac.new(self._secret, f"{kind}\0{value}".encode(), hashlib.sha256)
        return PREFIX + digest.hexdigest()
