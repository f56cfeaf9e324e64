"""The outbox: the notifications plugins return, written with their event, and their
delivery after commit (leases, retries, dead letters, templates)."""

from ._dispatcher import Dispatcher, DispatchReport, channels_of, worker_id
from ._entries import entries, idempotency_key
from ._policy import RetryPolicy
from ._templates import collect_templates

__all__ = [
    "DispatchReport",
    "Dispatcher",
    "RetryPolicy",
    "channels_of",
    "collect_templates",
    "entries",
    "idempotency_key",
    "worker_id",
]
