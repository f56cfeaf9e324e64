"""The outbox: the notifications plugins return, as entries written with their event."""

from ._entries import entries, idempotency_key

__all__ = ["entries", "idempotency_key"]
