"""Free text sealed under a subject key: what a body holds instead of the text.

A sealed text is ``st1:`` and the base64url of a random 96-bit nonce and the AES-256-GCM
ciphertext with its tag. The associated data binds it to where it belongs (the key id
and a context such as ``stream:field``), so a ciphertext copied into another stream or
field does not open. The text itself never reaches the hashed header, the logs or an
export; the chain covers the ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..core import InvalidInput, KeyUnavailable, check_identifier
from ..lifecycles import MAX_TEXT, SEALED_PREFIX

__all__ = ["PREFIX", "open_text", "seal_text"]

PREFIX = SEALED_PREFIX
_NONCE = 12


def _aad(key_id: str, context: str) -> bytes:
    return f"{check_identifier('key_id', key_id)}\0{context}".encode()


def seal_text(key: bytes, key_id: str, text: str, context: str) -> str:
    """*text* sealed under the subject *key* (of *key_id*) for *context*.

    Raises:
        InvalidInput: *text* is no string, is empty or too long, or holds a lone
            surrogate.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("text", text, "must be a non-empty text")
    if len(text) > MAX_TEXT:
        raise InvalidInput("text", text, f"must be at most {MAX_TEXT} characters")
    try:
        plain = text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("text", "<text>", "holds a lone surrogate: not UTF-8") from None
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, plain, _aad(key_id, context))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_text(key: bytes, key_id: str, sealed: str, context: str) -> str:
    """The text *sealed* holds, under the subject *key* (of *key_id*) for *context*.

    Raises:
        KeyUnavailable: it was sealed under another key or for another context, or
            altered.
    """
    if not isinstance(sealed, str) or not sealed.startswith(PREFIX):
        raise KeyUnavailable(key_id, "is no sealed text")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :].encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise KeyUnavailable(key_id, "is no sealed text") from None
    try:
        plain = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], _aad(key_id, context))
    except (InvalidTag, ValueError):
        raise KeyUnavailable(
            key_id, "does not open: another key, another place, or altered"
        ) from None
    return plain.decode("utf-8")
