"""The log's Merkle tree read from a store: its checkpoints, checking one against the
log, and proofs of inclusion and consistency (the format is :mod:`stageborging.audit`'s)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..audit import CONSISTENCY_FORMAT, INCLUSION_FORMAT, Checkpoint, merkle, path_hex
from ..core import InvalidInput, StoreError, StreamNotFound, check_identifier, rfc3339
from ._protocol import Store

__all__ = [
    "HASHES_AFTER",
    "check_checkpoint",
    "log_leaves",
    "make_checkpoint",
    "prove_consistency",
    "prove_inclusion",
]

#: The leaves of the log's tree, in the global order (PostgreSQL adds its follow limit).
HASHES_AFTER = (
    "SELECT position, stream_id, seq, hash FROM events WHERE position > ? ORDER BY position LIMIT ?"
)
LAST_POSITION = "SELECT coalesce(max(position), 0) FROM events"
_PAGE = 10_000
_HEX = re.compile(r"[0-9a-f]{64}")


def log_leaves(store: Store, size: int | None = None) -> Iterator[tuple[int, str, int, bytes]]:
    """``(position, stream_id, seq, hash)`` of the first *size* events (all, by default)
    in the global order, page by page."""
    after, seen = 0, 0
    while size is None or seen < size:
        wanted = _PAGE if size is None else min(_PAGE, size - seen)
        page = store.hashes_after(after, wanted)
        for position, stream_id, seq, digest in page:
            if not isinstance(digest, str) or _HEX.fullmatch(digest) is None:
                raise StoreError(f"the event at position {position} has a malformed hash: "
                                 "the log was tampered with (audit verify says where)")  # fmt: skip
            yield position, stream_id, seq, bytes.fromhex(digest)
        seen += len(page)
        if len(page) < wanted:
            return
        after = page[-1][0]


def _head(store: Store, size: int | None = None) -> tuple[int, bytes, int]:
    """The tree over the first *size* events (all): its size, head and last position."""
    head, last = merkle.TreeHead(), 0
    for position, _, _, digest in log_leaves(store, size):
        head.append(digest)
        last = position
    return head.size, head.root(), last


def make_checkpoint(store: Store, key: Ed25519PrivateKey, at: datetime) -> Checkpoint:
    """A checkpoint of every event in the log now, signed with *key*."""
    size, root, last = _head(store)
    return Checkpoint.sign(key, size, root, last, rfc3339(at))


def check_checkpoint(store: Store, checkpoint: Checkpoint, trusted: Ed25519PublicKey) -> str | None:
    """Why the log does not extend the *checkpoint* (held under the *trusted* key), else
    None: a forged or changed checkpoint, events removed at the tail, or history
    rewritten before the checkpoint's end."""
    problem = checkpoint.problem(trusted)
    if problem is not None:
        return f"the checkpoint does not hold: {problem}"
    try:
        size, root, last = _head(store, checkpoint.tree_size)
    except StoreError as exc:
        return str(exc)
    if size < checkpoint.tree_size:
        where = "at its tail" if last < checkpoint.position else "before its end"
        return (f"the log holds {size} events, the checkpoint of {checkpoint.time} covered "
                f"{checkpoint.tree_size}: events were removed ({where})")  # fmt: skip
    if root.hex() != checkpoint.root:
        return (f"the first {checkpoint.tree_size} events are not those the checkpoint of "
                f"{checkpoint.time} covered: history was rewritten (an event changed, "
                f"removed, inserted or moved before position {checkpoint.position})")  # fmt: skip
    if last != checkpoint.position:
        return (f"the events the checkpoint of {checkpoint.time} covered are all there, but "
                f"the last of them is now at position {last}, not {checkpoint.position}: "
                "positions were renumbered")  # fmt: skip
    return None


def _extends(leaves: list[bytes], point: Checkpoint, name: str) -> None:
    """InvalidInput unless the log's first events are those *point* covered."""
    if len(leaves) < point.tree_size or merkle.root(leaves[: point.tree_size]).hex() != (
        point.root
    ):
        raise InvalidInput(name, point.time, "the log does not extend this checkpoint (audit "
                           "verify --checkpoint says how): no proof can hold")  # fmt: skip


def prove_inclusion(
    store: Store, stream_id: str, seq: int, checkpoint: Checkpoint
) -> dict[str, Any]:
    """The proof that event *seq* of *stream_id* is in the *checkpoint*'s tree.

    Raises:
        InvalidInput: the event is not among the events the checkpoint covers.
    """
    check_identifier("stream_id", stream_id)
    head = store.read_stream(stream_id)
    if head is None:
        raise StreamNotFound(stream_id)
    if not 1 <= seq <= head.version:
        raise InvalidInput("seq", seq, f"stream {stream_id} has events 1 to {head.version}")
    leaves: list[bytes] = []
    index = None
    for _, sid, number, digest in log_leaves(store, checkpoint.tree_size):
        if sid == stream_id and number == seq:
            index = len(leaves)
        leaves.append(digest)
    _extends(leaves, checkpoint, "checkpoint")
    if index is None:
        raise InvalidInput("event", f"{stream_id}:{seq}",
                           f"was recorded after the checkpoint: it covers the first "
                           f"{checkpoint.tree_size} events")  # fmt: skip
    [event] = [e for e in store.read_events(stream_id) if e.seq == seq]
    return {
        "format": INCLUSION_FORMAT, "tree_size": checkpoint.tree_size,
        "root": checkpoint.root, "index": index, "stream_id": stream_id, "seq": seq,
        "hash": leaves[index].hex(), "header": bytes(event.header).decode("utf-8"),
        "path": path_hex(merkle.inclusion_proof(index, leaves)),
    }  # fmt: skip


def prove_consistency(store: Store, old: Checkpoint, new: Checkpoint) -> dict[str, Any]:
    """The proof that the tree of *old* is a prefix of the tree of *new*, read from the
    log as it is now.

    Raises:
        InvalidInput: *old* covers more events than *new*, or the log fewer than *new*.
    """
    if old.tree_size > new.tree_size:
        raise InvalidInput("old", old.tree_size, f"covers more events than the newer "
                           f"({new.tree_size}): give the older checkpoint first")  # fmt: skip
    if old.tree_size == 0:
        raise InvalidInput("old", 0, "covers no event: the empty log is a prefix of any")
    leaves = [digest for _, _, _, digest in log_leaves(store, new.tree_size)]
    if len(leaves) < new.tree_size:
        raise InvalidInput("new", new.tree_size, f"covers more events than the log holds "
                           f"({len(leaves)})")  # fmt: skip
    _extends(leaves, old, "old")
    _extends(leaves, new, "new")
    return {
        "format": CONSISTENCY_FORMAT, "old_size": old.tree_size, "new_size": new.tree_size,
        "old_root": old.root, "new_root": new.root,
        "path": path_hex(merkle.consistency_proof(old.tree_size, leaves)),
    }  # fmt: skip
