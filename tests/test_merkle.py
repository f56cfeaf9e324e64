"""The Merkle tree over the log against RFC 6962/9162's published test vectors (the
Certificate Transparency reference: eight leaves, every tree head, two inclusion and
three consistency proofs), and, for any tree, every proof verifying and every change
failing (Hypothesis)."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from stageborging.audit import merkle

#: The reference leaves (leaf data, before hashing) and the head of each prefix, 0 to 8.
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
          "5051525354555657", "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]  # fmt: skip
#: (leaf index, tree size, audit path)
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
#: (old size, new size, consistency proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def test_every_tree_head_is_the_references() -> None:
    for size, expected in enumerate(ROOTS):
        assert merkle.root(LEAVES[:size]) == expected, f"size {size}"


def test_the_inclusion_proofs_are_the_references_and_verify() -> None:
    for index, size, path in INCLUSION:
        proof = merkle.inclusion_proof(index, LEAVES[:size])
        assert [p.hex() for p in proof] == path
        assert merkle.verify_inclusion(index, size, LEAVES[index], proof, ROOTS[size])
        assert not merkle.verify_inclusion(index, size, LEAVES[index], proof, ROOTS[size - 1])
        assert not merkle.verify_inclusion(index, size, b"other", proof, ROOTS[size])


def test_the_consistency_proofs_are_the_references_and_verify() -> None:
    for old, new, path in CONSISTENCY:
        proof = merkle.consistency_proof(old, LEAVES[:new])
        assert [p.hex() for p in proof] == path
        assert merkle.verify_consistency(old, new, proof, ROOTS[old], ROOTS[new])
        if old != new:
            assert not merkle.verify_consistency(old, new, proof, ROOTS[old - 1], ROOTS[new])


TREES = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70)


@given(leaves=TREES, data=st.data())
def test_every_leaf_is_proved_in_and_nothing_else(leaves: list[bytes], data: st.DataObject) -> None:
    head = merkle.root(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = merkle.inclusion_proof(index, leaves)
    assert merkle.verify_inclusion(index, len(leaves), leaves[index], proof, head)
    other = data.draw(st.binary(min_size=32, max_size=32).filter(lambda b: b != leaves[index]))
    assert not merkle.verify_inclusion(index, len(leaves), other, proof, head)
    if len(leaves) > 1:  # the same proof never holds at another place
        elsewhere = data.draw(st.integers(0, len(leaves) - 1).filter(lambda i: i != index))
        if leaves[elsewhere] != leaves[index]:
            assert not merkle.verify_inclusion(elsewhere, len(leaves), leaves[index], proof, head)
    if proof:  # nor with a node changed
        position = data.draw(st.integers(0, len(proof) - 1))
        changed = [*proof]
        changed[position] = bytes(32) if proof[position] != bytes(32) else b"\x01" * 32
        assert not merkle.verify_inclusion(index, len(leaves), leaves[index], changed, head)


@given(leaves=TREES, data=st.data())
def test_a_prefix_is_proved_consistent_and_a_rewritten_one_is_not(
    leaves: list[bytes], data: st.DataObject
) -> None:
    old = data.draw(st.integers(1, len(leaves)))
    proof = merkle.consistency_proof(old, leaves)
    old_head, new_head = merkle.root(leaves[:old]), merkle.root(leaves)
    assert merkle.verify_consistency(old, len(leaves), proof, old_head, new_head)
    # history rewritten: one of the old leaves changed, the proof from the new tree fails
    changed = data.draw(st.integers(0, old - 1))
    rewritten = [*leaves]
    rewritten[changed] = bytes(32) if leaves[changed] != bytes(32) else b"\x01" * 32
    forged = merkle.consistency_proof(old, rewritten)
    assert not merkle.verify_consistency(old, len(leaves), forged, old_head, merkle.root(rewritten))


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162's MTH, written as its text defines it (the reference for the stream)."""
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


@given(leaves=TREES)
def test_the_streamed_head_is_the_recursive_definition(leaves: list[bytes]) -> None:
    head = merkle.TreeHead()
    for n, leaf in enumerate(leaves, start=1):
        head.append(leaf)
        assert head.size == n
        assert head.root() == mth(leaves[:n])


def test_the_committed_vectors_hold_by_the_rfcs_definition() -> None:
    """docs/reference/checkpoint-vectors.md, read back: every tree head is the RFC's MTH
    of its leaves (computed here as the RFC's text says, not by the library), and the
    checkpoint's signature holds under the test key's public key."""
    import base64
    import re
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = (Path(__file__).parent.parent / "docs/reference/checkpoint-vectors.md").read_text()
    rows = re.findall(r"^\| (\d+) \| `([0-9a-f]{64})` \| `([0-9a-f]{64})` \|$", text, re.M)
    leaves = [bytes.fromhex(leaf) for _, leaf, _ in rows]
    assert len(leaves) == 7
    for _, leaf, hashed in rows:
        assert hashlib.sha256(b"\x00" + bytes.fromhex(leaf)).hexdigest() == hashed
    heads = dict(re.findall(r"^\| (\d) \| `([0-9a-f]{64})` \|$", text, re.M))
    assert heads["0"] == hashlib.sha256(b"").hexdigest()
    for size in range(1, 8):
        assert mth(leaves[:size]).hex() == heads[str(size)]
    public = re.search(r"its public key is `([0-9a-f]{64})`", text)
    signed = re.search(r"```text\n(\{.*\})\n```", text)
    signature = re.search(r'"signature": "([^"]+)"', text)
    assert public is not None
    assert signed is not None
    assert signature is not None
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public.group(1)))
    key.verify(base64.b64decode(signature.group(1)), signed.group(1).encode())  # raises if not
