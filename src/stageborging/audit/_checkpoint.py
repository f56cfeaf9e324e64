"""Checkpoints: a signed Merkle tree head over the log, and the proofs checked against
one (see ``docs/audit-format.rst``). Ed25519 signatures with ``cryptography``; the
bytes signed are the canonical JSON of the checkpoint without its signature."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..core import InvalidInput, canonical_bytes
from . import _merkle as merkle

__all__ = [
    "CHECKPOINT_FORMAT",
    "CONSISTENCY_FORMAT",
    "INCLUSION_FORMAT",
    "Checkpoint",
    "KeyTwice",
    "check_consistency",
    "check_inclusion",
    "key_id",
    "load_private_key",
    "load_public_key",
    "parse_proof",
    "path_hex",
    "read_json",
    "unique_keys",
    "write_key_pair",
]

CHECKPOINT_FORMAT = "stageborging.checkpoint/1"
INCLUSION_FORMAT = "stageborging.inclusion/1"
CONSISTENCY_FORMAT = "stageborging.consistency/1"
_HEX = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")
_LARGEST = 2**63 - 1


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's id: SHA-256 (hex) of its 32 raw bytes. It names the key a checkpoint was
    signed with; trust comes from the key the auditor holds, never from this id."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _count(field: str, value: object, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= _LARGEST:
        raise InvalidInput(field, value, f"must be a whole number from {low}")
    return value


def _hash(field: str, value: object) -> str:
    if not isinstance(value, str) or _HEX.fullmatch(value) is None:
        raise InvalidInput(field, value, "must be a SHA-256 hash: 64 lowercase hex digits")
    return value


@frozen
class Checkpoint:
    """A signed head of the log's Merkle tree: what an auditor keeps off-site.

    Attributes:
        tree_size: How many events the tree covers: the first ones in the global order.
        root: The tree's head (hex).
        position: The global position of the last event covered (0 for none).
        time: When it was made (RFC 3339, UTC; the host's clock, so informative).
        key_id: The id of the key that signed it (:func:`key_id`).
        signature: Ed25519 over :meth:`signed_bytes` (base64).
    """

    tree_size: int
    root: str
    position: int
    time: str
    key_id: str
    signature: str

    @staticmethod
    def signed_fields(
        tree_size: int, root: str, position: int, time: str, key: str
    ) -> dict[str, Any]:
        return {"format": CHECKPOINT_FORMAT, "tree_size": tree_size, "root": root,
                "position": position, "time": time, "key_id": key}  # fmt: skip

    def signed_bytes(self) -> bytes:
        """The canonical JSON of every field but the signature, with the format."""
        fields = self.signed_fields(self.tree_size, self.root, self.position, self.time,
                                    self.key_id)  # fmt: skip
        return canonical_bytes(fields)

    @classmethod
    def sign(
        cls, key: Ed25519PrivateKey, tree_size: int, root: bytes, position: int, time: str
    ) -> Checkpoint:
        """The checkpoint of a tree head, signed with *key*."""
        head = root.hex()
        kid = key_id(key.public_key())
        fields = cls.signed_fields(tree_size, head, position, time, kid)
        signature = base64.b64encode(key.sign(canonical_bytes(fields))).decode()
        return cls(tree_size, head, position, time, kid, signature)

    def problem(self, trusted: Ed25519PublicKey) -> str | None:
        """Why this checkpoint does not hold under the *trusted* key (the one the
        auditor was handed, never one the checkpoint names), else None."""
        if self.key_id != key_id(trusted):
            return "it was not signed with the trusted key (its key_id is another's)"
        try:
            trusted.verify(base64.b64decode(self.signature, validate=True), self.signed_bytes())
        except (InvalidSignature, ValueError):
            return "its signature does not hold: it was changed, or forged"
        return None

    def to_json(self) -> dict[str, Any]:
        fields = self.signed_fields(self.tree_size, self.root, self.position, self.time,
                                    self.key_id)  # fmt: skip
        return {**fields, "signature": self.signature}

    @classmethod
    def from_json(cls, data: object) -> Checkpoint:
        """A checkpoint from its JSON object, else InvalidInput naming the field."""
        if not isinstance(data, Mapping):
            raise InvalidInput("checkpoint", data, "must be a JSON object")
        extra = sorted(set(data) - {*cls.signed_fields(0, "", 0, "", ""), "signature"})
        if extra:
            raise InvalidInput("checkpoint", extra[0], "is no key of a checkpoint (nothing "
                               "unsigned is accepted)")  # fmt: skip
        if data.get("format") != CHECKPOINT_FORMAT:
            raise InvalidInput("format", data.get("format"), f"must be {CHECKPOINT_FORMAT}")
        time, signature = data.get("time"), data.get("signature")
        if not isinstance(time, str) or _TIME.fullmatch(time) is None:
            raise InvalidInput("time", time, "must be an RFC 3339 time in UTC")
        fields = (
            _count("tree_size", data.get("tree_size")), _hash("root", data.get("root")),
            _count("position", data.get("position")), time,
            _hash("key_id", data.get("key_id")),
        )  # fmt: skip
        if not isinstance(signature, str) or len(signature) > 200:
            raise InvalidInput("signature", signature, "must be a base64 signature")
        try:
            raw = base64.b64decode(signature, validate=True)
        except ValueError:
            raw = b""
        if len(raw) != 64:  # a damaged file, not a forgery: an Ed25519 signature's size
            raise InvalidInput("signature", signature[:24], "is no base64 Ed25519 signature "
                               "(64 bytes): the checkpoint file is damaged")  # fmt: skip
        return cls(*fields, signature)


_INCLUSION_KEYS = frozenset({"format", "tree_size", "root", "index", "stream_id", "seq", "hash",
                             "header", "path"})  # fmt: skip
_CONSISTENCY_KEYS = frozenset({"format", "old_size", "new_size", "old_root", "new_root", "path"})


def parse_proof(data: object, kind: str) -> dict[str, Any]:
    """A proof's JSON object (*kind*: ``inclusion`` or ``consistency``), its fields
    checked, else InvalidInput naming the field."""
    expected = INCLUSION_FORMAT if kind == "inclusion" else CONSISTENCY_FORMAT
    if not isinstance(data, Mapping) or data.get("format") != expected:
        raise InvalidInput("format", None if not isinstance(data, Mapping) else
                           data.get("format"), f"must be {expected}")  # fmt: skip
    keys = _INCLUSION_KEYS if kind == "inclusion" else _CONSISTENCY_KEYS
    extra = sorted(set(data) - keys, key=str)
    if extra:
        raise InvalidInput("proof", str(extra[0])[:40], "is no key of this proof")
    path = data.get("path")
    if not isinstance(path, list) or len(path) > 64:
        raise InvalidInput("path", path, "must be a list of at most 64 hashes")
    for node in path:
        _hash("path", node)
    found = dict(data)
    if kind == "inclusion":
        _count("tree_size", data.get("tree_size"), 1)
        _count("index", data.get("index"))
        _count("seq", data.get("seq"), 1)
        stream_id = data.get("stream_id")
        if not isinstance(stream_id, str) or not stream_id or len(stream_id) > 128:
            raise InvalidInput("stream_id", stream_id, "must be the event's stream id")
        _hash("hash", data.get("hash"))
        _hash("root", data.get("root"))
        if not isinstance(data.get("header"), str):
            raise InvalidInput("header", data.get("header"), "must be the event's header")
        index, size = data["index"], data["tree_size"]
        if index >= size:
            raise InvalidInput("index", index, f"must be below the tree_size ({size})")
        nodes, what = merkle.inclusion_path_size(index, size), f"of leaf {index} in {size}"
    else:
        _count("old_size", data.get("old_size"), 1)
        _count("new_size", data.get("new_size"), 1)
        _hash("old_root", data.get("old_root"))
        _hash("new_root", data.get("new_root"))
        old, new = data["old_size"], data["new_size"]
        if old > new:
            raise InvalidInput("old_size", old, f"must not be above the new_size ({new})")
        nodes, what = merkle.consistency_path_size(old, new), f"from {old} to {new} events"
    if len(path) != nodes:  # a damaged file, not evidence about the log
        raise InvalidInput("path", f"{len(path)} hashes",
                           f"a proof {what} has {nodes}: the proof file is damaged")  # fmt: skip
    return found


def check_inclusion(proof: Mapping[str, Any], checkpoint: Checkpoint) -> str | None:
    """Why the inclusion *proof* does not hold in *checkpoint*'s tree, else None (the
    checkpoint's own signature is checked apart). The event's header is in the proof, so
    its stream and seq are proved with its hash, not taken on trust."""
    if (proof["tree_size"], proof["root"]) != (checkpoint.tree_size, checkpoint.root):
        return (f"the proof is for a tree of {proof['tree_size']} events with another head: "
                f"the checkpoint's has {checkpoint.tree_size}")  # fmt: skip
    header = proof["header"].encode("utf-8")
    if hashlib.sha256(header).hexdigest() != proof["hash"]:
        return "the event's header is not the one its hash is of"
    try:
        fields = json.loads(header)
    except ValueError:
        return "the event's header is no JSON"
    if not isinstance(fields, dict) or (fields.get("stream"), fields.get("seq")) != (
        proof.get("stream_id"),
        proof.get("seq"),
    ):
        return "the proof names another event than its header is"
    path = [bytes.fromhex(node) for node in proof["path"]]
    held = merkle.verify_inclusion(proof["index"], checkpoint.tree_size,
                                   bytes.fromhex(proof["hash"]), path,
                                   bytes.fromhex(checkpoint.root))  # fmt: skip
    return None if held else "the event is not at that place in the checkpoint's tree"


def check_consistency(proof: Mapping[str, Any], old: Checkpoint, new: Checkpoint) -> str | None:
    """Why the consistency *proof* does not show *old*'s tree to be a prefix of *new*'s,
    else None (the checkpoints' signatures are checked apart)."""
    if old.tree_size > new.tree_size:
        return "the checkpoints are given the wrong way round: the older one first"
    if (proof["old_size"], proof["new_size"]) != (old.tree_size, new.tree_size) or (
        proof["old_root"],
        proof["new_root"],
    ) != (old.root, new.root):
        return "the proof is for other trees than the checkpoints'"
    path = [bytes.fromhex(node) for node in proof["path"]]
    held = merkle.verify_consistency(old.tree_size, new.tree_size, path,
                                     bytes.fromhex(old.root), bytes.fromhex(new.root))  # fmt: skip
    if held:
        return None
    return "the log of the older checkpoint is not a prefix of the newer: history was rewritten"


def write_key_pair(path: Path) -> Path:
    """A new Ed25519 key: the private key in *path* (PEM, readable by its owner only,
    never overwritten) and the public key beside it (``PATH.pub``); the latter's path."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    public = key.public_key().public_bytes(serialization.Encoding.PEM, spki)
    public_path = Path(f"{path}.pub")
    written: list[Path] = []
    try:
        for target, data, mode in ((public_path, public, 0o644), (path, private, 0o600)):
            try:  # O_EXCL: never over a file, nor through a (dangling) link
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            except FileExistsError:
                raise InvalidInput(
                    "out", str(target), "exists: a key is never overwritten"
                ) from None
            written.append(target)
            with os.fdopen(fd, "wb") as file:
                file.write(data)
    except BaseException:
        for target in written:  # no half of a key pair is left behind
            target.unlink(missing_ok=True)
        raise
    return public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file *path*, else InvalidInput."""
    data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        if b"PUBLIC KEY-----" in data:
            raise InvalidInput("key", str(path), "is a public key: signing needs the private "
                               "key (KEYFILE, not KEYFILE.pub)") from None  # fmt: skip
        raise InvalidInput("key", str(path), "is no PEM Ed25519 private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput("key", str(path), "is no Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in the PEM file *path*, else InvalidInput."""
    data = path.read_bytes()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        if b"PRIVATE KEY-----" in data:  # never a school's private key: refused, not read
            raise InvalidInput("public_key", str(path), "is a private key: give the public "
                               "key you were handed (KEYFILE.pub)") from None  # fmt: skip
        raise InvalidInput("public_key", str(path), "is no PEM Ed25519 public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("public_key", str(path), "is no Ed25519 key")
    return key


class KeyTwice(ValueError):
    """A JSON object gives a key twice: a reader taking the first and one taking the last
    would disagree on its value."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``'s ``object_pairs_hook`` that refuses a key given twice (KeyTwice)."""
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise KeyTwice
    return dict(pairs)


def read_json(path: Path, field: str) -> Any:
    """The JSON in the file *path*, else InvalidInput naming *field* (a key given twice
    is refused)."""
    try:
        return json.loads(path.read_bytes(), object_pairs_hook=unique_keys)
    except KeyTwice:
        raise InvalidInput(field, str(path), "gives a key twice") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput(field, str(path), "is no JSON file") from None


def path_hex(path: Sequence[bytes]) -> list[str]:
    return [node.hex() for node in path]
