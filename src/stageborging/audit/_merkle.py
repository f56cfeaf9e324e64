"""The Merkle tree over the log (RFC 9162, section 2.1): its head, inclusion and
consistency proofs, and their verification. Pure functions over hashes.

A leaf is the 32 bytes of an event's hash, in the log's global order; the tree hashes
a leaf as ``SHA-256(0x00 || leaf)`` and a node as ``SHA-256(0x01 || left || right)``,
so that no leaf can pass for a node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from ..core import InvalidInput

__all__ = [
    "EMPTY_ROOT",
    "TreeHead",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

#: The head of the empty tree: SHA-256 of nothing.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    """``SHA-256(0x00 || leaf)``."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two below *n* (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class TreeHead:
    """The head of a tree grown leaf by leaf, in memory that grows with the log of its
    size: each leaf's hash is folded into the perfect subtrees on a stack (what a
    verifier streaming a million events keeps)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (subtree size, hash), largest first
        self.size = 0

    def append(self, leaf: bytes) -> None:
        """Add the next leaf (an event's 32-byte hash)."""
        size, digest = 1, leaf_hash(leaf)
        while self._stack and self._stack[-1][0] == size:
            below, left = self._stack.pop()
            size, digest = size + below, node_hash(left, digest)
        self._stack.append((size, digest))
        self.size += 1

    def root(self) -> bytes:
        """The tree head over the leaves so far (RFC 9162's MTH)."""
        if not self._stack:
            return EMPTY_ROOT
        digest = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            digest = node_hash(left, digest)
        return digest


def root(leaves: Iterable[bytes]) -> bytes:
    """The tree head over *leaves* (RFC 9162's MTH)."""
    head = TreeHead()
    for leaf in leaves:
        head.append(leaf)
    return head.root()


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """The head of the subtree over the leaf hashes ``[lo, hi)``."""
    n = hi - lo
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


def _check_size(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(field, value, f"must be a whole number from {low} to {high}")
    return value


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The audit path of leaf *index* in the tree over *leaves* (RFC 9162, 2.1.3.1).

    Raises:
        InvalidInput: *index* is not a leaf of the tree.
    """
    _check_size("index", index, 0, len(leaves) - 1)
    hashes = [leaf_hash(leaf) for leaf in leaves]
    path: list[bytes] = []
    lo, hi, m = 0, len(hashes), index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(_mth(hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_mth(hashes, lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def consistency_proof(old: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The proof that the tree over the first *old* leaves is a prefix of the tree over
    *leaves* (RFC 9162, 2.1.4.1).

    Raises:
        InvalidInput: *old* is not from 1 to the number of leaves.
    """
    _check_size("old", old, 1, max(1, len(leaves)))
    if not leaves:
        raise InvalidInput("old", old, "there is no tree to be a prefix of")
    hashes = [leaf_hash(leaf) for leaf in leaves]
    path: list[bytes] = []
    lo, hi, m, whole = 0, len(hashes), old, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            path.append(_mth(hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_mth(hashes, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        path.append(_mth(hashes, lo, hi))
    path.reverse()
    return path


def inclusion_path_size(index: int, size: int) -> int:
    """How many nodes the audit path of leaf *index* in a tree of *size* leaves has: the
    levels where its subtree is not the tree's right border, and those where it is."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def consistency_path_size(old: int, new: int) -> int:
    """How many nodes the proof that the tree of *old* leaves is a prefix of the tree of
    *new* has (0 when they are the same size)."""
    if old == new:
        return 0
    shift = (old & -old).bit_length() - 1  # the largest power of two dividing old
    nodes = inclusion_path_size(old - 1, new) - shift
    return nodes if old == 1 << shift else nodes + 1


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], head: bytes
) -> bool:
    """Whether *path* proves that *leaf* is leaf *index* of the tree of *size* leaves
    whose head is *head* (RFC 9162, 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, digest = index, size - 1, leaf_hash(leaf)
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            digest = node_hash(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and digest == head


def verify_consistency(
    old: int, new: int, path: Sequence[bytes], old_head: bytes, new_head: bytes
) -> bool:
    """Whether *path* proves that the tree of *old* leaves with head *old_head* is a
    prefix of the tree of *new* leaves with head *new_head* (RFC 9162, 2.1.4.2)."""
    if not 1 <= old <= new:
        return False
    if old == new:
        return not path and old_head == new_head
    proof = list(path)
    if old & (old - 1) == 0:  # a power of two: the old head is the proof's first node
        proof.insert(0, old_head)
    if not proof:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = proof[0]
    for node in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and first == old_head and second == new_head
