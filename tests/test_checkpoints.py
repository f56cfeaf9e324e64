"""Signed checkpoints of the log's Merkle tree (both backends): the log extends the
checkpoint an auditor kept while it is only appended to; proofs of an event's inclusion
and of two checkpoints' consistency hold, with no database; a forged checkpoint, another
key, a cut tail or a rewritten history do not. And the commands that make and check them."""

from __future__ import annotations

import base64
import json
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stageborging import Engine, InvalidInput, StreamNotFound
from stageborging.audit import Checkpoint, check_consistency, check_inclusion, parse_proof
from stageborging.cli import main
from stageborging.store import (
    check_checkpoint,
    make_checkpoint,
    open_store,
    prove_consistency,
    prove_inclusion,
)
from stageborging.testing import FakeClock
from support import STUDENT, journey

AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def grow(db: str, streams: int) -> list[str]:
    with Engine(db, clock=FakeClock()) as engine:
        sids = [journey(engine).open() for _ in range(streams)]
        for sid in sids:
            engine.fire(sid, "begin_search", actor=STUDENT)
    return sids


def checkpointed(db: str, key: Ed25519PrivateKey) -> Checkpoint:
    """A checkpoint of the log of *db* now, signed with *key*."""
    store = open_store(db, read_only=True)
    try:
        return make_checkpoint(store, key, AT)
    finally:
        store.close()


def tamper(db: str, *statements: str) -> None:
    """Drop the append-only triggers, as someone with write access would, and edit."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.close()


def test_the_log_extends_its_checkpoint_while_it_is_only_appended_to(backend: str) -> None:
    key = Ed25519PrivateKey.generate()
    store = open_store(backend)
    try:
        empty = make_checkpoint(store, key, AT)
        assert (empty.tree_size, empty.position) == (0, 0)
        sids = grow(backend, 3)
        old = make_checkpoint(store, key, AT)
        assert old.tree_size == 6
        assert check_checkpoint(store, old, key.public_key()) is None
        later = grow(backend, 2)
        new = make_checkpoint(store, key, AT)
        assert new.tree_size == 10
        assert check_checkpoint(store, old, key.public_key()) is None  # still extends it
        # proofs, checked with no store
        inclusion = parse_proof(prove_inclusion(store, sids[1], 2, old), "inclusion")
        assert check_inclusion(inclusion, old) is None
        assert check_inclusion(inclusion, new) is not None  # another tree
        consistency = parse_proof(prove_consistency(store, old, new), "consistency")
        assert check_consistency(consistency, old, new) is None
        with pytest.raises(InvalidInput, match="has events 1 to 2"):
            prove_inclusion(store, sids[0], 99, old)
        with pytest.raises(InvalidInput, match="recorded after the checkpoint: it covers the"):
            prove_inclusion(store, later[0], 1, old)
        with pytest.raises(StreamNotFound):
            prove_inclusion(store, "nosuch", 1, old)
        with pytest.raises(InvalidInput):
            prove_consistency(store, new, old)
    finally:
        store.close()


def test_a_forged_checkpoint_or_another_key_does_not_hold(backend: str) -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    grow(backend, 2)
    store = open_store(backend)
    try:
        held = make_checkpoint(store, key, AT)
        data = held.to_json()
        data["tree_size"] = held.tree_size - 1  # claims a shorter log
        forged = Checkpoint.from_json(data)
        assert "signature does not hold" in (
            check_checkpoint(store, forged, key.public_key()) or ""
        )
        by_other = make_checkpoint(store, other, AT)
        problem = check_checkpoint(store, by_other, key.public_key())
        assert problem is not None
        assert "not signed with the trusted key" in problem
    finally:
        store.close()


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Checkpoint, Ed25519PrivateKey]:
    """A checkpoint of a small log, and the key that signed it."""
    key, db = Ed25519PrivateKey.generate(), str(tmp_path_factory.mktemp("signed") / "school.db")
    grow(db, 2)
    return checkpointed(db, key), key


_FORGERIES = {
    "tree_size": st.integers(0, 2**53 - 1),
    "position": st.integers(0, 2**53 - 1),
    "root": st.text("0123456789abcdef", min_size=64, max_size=64),
    "key_id": st.text("0123456789abcdef", min_size=64, max_size=64),
    "time": st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.just(UTC)).map(
        lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    ),
    "signature": st.binary(min_size=64, max_size=64).map(lambda b: base64.b64encode(b).decode()),
}


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_forged_checkpoint_holds(
    signed: tuple[Checkpoint, Ed25519PrivateKey], data: st.DataObject
) -> None:
    """Any signed field changed (to a value of its right shape, so the file reads), or the
    signature replaced: the checkpoint no longer holds under the school's key."""
    held, key = signed
    fields = data.draw(st.lists(st.sampled_from(sorted(_FORGERIES)), min_size=1, unique=True))
    forged = dict(held.to_json())
    for field in fields:
        forged[field] = data.draw(_FORGERIES[field])
    assume(forged != held.to_json())
    problem = Checkpoint.from_json(forged).problem(key.public_key())
    assert problem is not None


@pytest.mark.parametrize(
    ("attack", "words"),
    [
        ("DELETE FROM events WHERE position = (SELECT max(position) FROM events)",
         "were removed (at its tail)"),
        ("UPDATE events SET hash = 'ab' || substr(hash, 3) WHERE position = 2",
         "history was rewritten"),
        ("DELETE FROM events WHERE position = 2", "were removed (before its end)"),
    ],
)  # fmt: skip
def test_a_cut_tail_or_a_rewritten_history_is_named(
    tmp_path: Path, attack: str, words: str
) -> None:
    db = str(tmp_path / "school.db")
    grow(db, 3)
    key = Ed25519PrivateKey.generate()
    held = checkpointed(db, key)
    tamper(db, attack)
    store = open_store(db, read_only=True)
    try:
        problem = check_checkpoint(store, held, key.public_key())
    finally:
        store.close()
    assert problem is not None
    assert words in problem


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("[]", "checkpoint"),
        ('{"format": "other"}', "format"),
        ('{"format": "stageborging.checkpoint/1", "tree_size": -1}', "tree_size"),
        ('{"format": "stageborging.checkpoint/1", "tree_size": 1, "root": "xyz"}', "root"),
    ],
)
def test_a_malformed_checkpoint_is_named(data: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Checkpoint.from_json({"time": "2027-03-01T09:00:00Z", "signature": "s", **json.loads(data)}
                             if data.startswith("{") else json.loads(data))  # fmt: skip
    assert caught.value.field == field


def test_an_auditor_proves_the_log_was_only_appended_to(tmp_path: Path) -> None:
    """The commands end to end: the school's key, a checkpoint kept, a month of events,
    a new checkpoint, and the proofs checked with no database."""
    runner, db = CliRunner(), tmp_path / "school.db"
    sids = grow(str(db), 2)
    key = tmp_path / "school.key"
    made = runner.invoke(main, ["audit", "keygen", "--out", str(key)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "fingerprint (key_id):" in made.output
    again = runner.invoke(main, ["audit", "keygen", "--out", str(key)])
    assert again.exit_code == 2
    assert "a key is never overwritten" in again.output
    public = tmp_path / "school.key.pub"
    old, new = tmp_path / "march.json", tmp_path / "april.json"
    point = ["audit", "checkpoint", "--db", str(db), "--key", str(key)]
    assert runner.invoke(main, [*point, "--out", str(old)]).exit_code == 0
    assert runner.invoke(main, [*point, "--out", str(old)]).exit_code == 2  # kept, not replaced
    grow(str(db), 2)
    assert runner.invoke(main, [*point, "--out", str(new)]).exit_code == 0
    verify = ["audit", "verify", "--db", str(db), "--checkpoint", str(old)]
    checked = runner.invoke(main, [*verify, "--public-key", str(public)])
    assert checked.exit_code == 0, checked.output
    assert "the log extends it (only appended to)" in checked.output
    assert runner.invoke(main, verify).exit_code == 2  # no trusted key given
    consistency = tmp_path / "consistency.json"
    proved = runner.invoke(main, ["audit", "prove", "--db", str(db), "--consistency", str(old),
                                  str(new), "--out", str(consistency)])  # fmt: skip
    assert proved.exit_code == 0, proved.output
    both = ["--checkpoint", str(old), "--checkpoint", str(new), "--public-key", str(public)]
    holds = runner.invoke(main, ["audit", "verify-proof", str(consistency), *both])
    assert holds.exit_code == 0, holds.output
    assert "it was only appended to" in holds.output
    inclusion = tmp_path / "inclusion.json"
    assert runner.invoke(main, ["audit", "prove", "--db", str(db), "--inclusion",
                                f"{sids[0]}:2", "--checkpoint", str(old),
                                "--out", str(inclusion)]).exit_code == 0  # fmt: skip
    included = runner.invoke(main, ["audit", "verify-proof", str(inclusion), "--checkpoint",
                                    str(old), "--public-key", str(public)])  # fmt: skip
    assert included.exit_code == 0, included.output
    assert included.stdout.startswith(f"holds: event {sids[0]}:2 (its header proved by its hash)")
    printed = runner.invoke(main, ["audit", "fingerprint", str(public)])
    assert printed.stdout.strip() in made.output  # the fingerprint the school read out
    # another school's key, a changed proof: they do not hold
    other = tmp_path / "other.key"
    runner.invoke(main, ["audit", "keygen", "--out", str(other)])
    wrong = runner.invoke(main, ["audit", "verify-proof", str(inclusion), "--checkpoint",
                                 str(old), "--public-key", f"{other}.pub"])  # fmt: skip
    assert wrong.exit_code == 1
    assert "not signed with the trusted key" in wrong.output
    relabelled = json.loads(inclusion.read_text())
    relabelled["seq"] = 7  # the same hash passed off as another event
    inclusion.write_text(json.dumps(relabelled))
    other_event = runner.invoke(main, ["audit", "verify-proof", str(inclusion), "--checkpoint",
                                       str(old), "--public-key", str(public)])  # fmt: skip
    assert other_event.exit_code == 1
    assert "names another event than its header is" in other_event.output
    changed = {**relabelled, "seq": 2, "index": relabelled["index"] + 1}
    inclusion.write_text(json.dumps(changed))
    moved = runner.invoke(main, ["audit", "verify-proof", str(inclusion), "--checkpoint",
                                 str(old), "--public-key", str(public)])  # fmt: skip
    assert moved.exit_code == 1
    assert "DOES NOT HOLD" in moved.output
    inclusion.write_text("not json")
    garbled = runner.invoke(main, ["audit", "verify-proof", str(inclusion), "--checkpoint",
                                   str(old), "--public-key", str(public)])  # fmt: skip
    assert garbled.exit_code == 2
    assert "is no JSON file" in garbled.output


def test_an_auditors_slips_are_named_not_taken_as_evidence(tmp_path: Path) -> None:
    """A damaged proof file, a checkpoint given twice, the private key given as the
    trusted one, a folder given as the database: each is named (exit 2), never read as
    a verdict on the log."""
    runner, db = CliRunner(), tmp_path / "school.db"
    sids = grow(str(db), 2)
    key = tmp_path / "school.key"
    runner.invoke(main, ["audit", "keygen", "--out", str(key)])
    held = tmp_path / "held.json"
    runner.invoke(main, ["audit", "checkpoint", "--db", str(db), "--key", str(key),
                         "--out", str(held)])  # fmt: skip
    proof = tmp_path / "proof.json"
    made = runner.invoke(main, ["audit", "prove", "--db", str(db), "--inclusion", f"{sids[0]}:1",
                                "--checkpoint", str(held), "--out", str(proof)])  # fmt: skip
    assert made.exit_code == 0, made.output
    cut = json.loads(proof.read_text())
    cut["path"] = cut["path"][:-1]
    proof.write_text(json.dumps(cut))
    check = ["audit", "verify-proof", str(proof), "--checkpoint", str(held)]
    damaged = runner.invoke(main, [*check, "--public-key", f"{key}.pub"])
    assert damaged.exit_code == 2
    assert "the proof file is damaged" in damaged.output
    private = runner.invoke(main, [*check, "--public-key", str(key)])
    assert private.exit_code == 2
    assert "is a private key: give the public key you were handed" in private.output
    verify = ["audit", "verify", "--db", str(db), "--public-key", f"{key}.pub"]
    twice = runner.invoke(main, [*verify, "--checkpoint", str(held), "--checkpoint", str(held)])
    assert twice.exit_code == 2
    assert "'--checkpoint': given more than once" in twice.output
    folder = runner.invoke(main, ["audit", "verify", "--db", str(tmp_path)])
    assert folder.exit_code == 2
    assert "is a directory, not a database file" in folder.output
    other = runner.invoke(main, ["audit", "prove", "--db", str(db), "--consistency", str(held),
                                 str(held), "--checkpoint", str(held)])  # fmt: skip
    assert other.exit_code == 2
    assert "--checkpoint goes with --inclusion" in other.output
    two_keys = runner.invoke(main, [*check, "--public-key", f"{key}.pub", "--public-key",
                                    f"{key}.pub"])  # fmt: skip
    assert two_keys.exit_code == 2
    assert "'--public-key': given more than once" in two_keys.output
    two_dbs = runner.invoke(main, ["audit", "verify", "--db", str(db), "--db", str(db)])
    assert two_dbs.exit_code == 2
    assert "--db is given more than once" in two_dbs.output
    named_pub = runner.invoke(main, ["audit", "keygen", "--out", str(tmp_path / "k.pub")])
    assert named_pub.exit_code == 2
    assert "names the private key" in named_pub.output
    proof.write_text(json.dumps({**json.loads(proof.read_text()), "extra": 1}))
    extra = runner.invoke(main, [*check, "--public-key", f"{key}.pub"])
    assert extra.exit_code == 2
    assert "is no key of this proof" in extra.output
    garbled = tmp_path / "garbled.json"
    garbled.write_text(json.dumps({**json.loads(held.read_text()), "signature": "!!!"}))
    signature = runner.invoke(main, [*verify, "--checkpoint", str(garbled)])
    assert signature.exit_code == 2
    assert "the checkpoint file is damaged" in signature.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    nothing = runner.invoke(main, ["audit", "verify-export", str(empty)])
    assert nothing.exit_code == 2
    assert "is not an export" in nothing.output


def test_checkpoints_the_wrong_way_round_are_the_auditors_slip(tmp_path: Path) -> None:
    runner, db = CliRunner(), tmp_path / "school.db"
    sids = grow(str(db), 1)
    key = tmp_path / "school.key"
    runner.invoke(main, ["audit", "keygen", "--out", str(key)])
    old, new, proof = (tmp_path / f"{n}.json" for n in ("old", "new", "proof"))
    point = ["audit", "checkpoint", "--db", str(db), "--key", str(key), "--out"]
    runner.invoke(main, [*point, str(old)])
    grow(str(db), 1)
    runner.invoke(main, [*point, str(new)])
    made = runner.invoke(main, ["audit", "prove", "--db", str(db), "--consistency", str(old),
                                str(new), "--out", str(proof)])  # fmt: skip
    assert made.exit_code == 0, made.output
    both = ["--checkpoint", str(new), "--checkpoint", str(old), "--public-key", f"{key}.pub"]
    swapped = runner.invoke(main, ["audit", "verify-proof", str(proof), *both])
    assert swapped.exit_code == 2
    assert "the wrong way round" in swapped.output
    inclusion = tmp_path / "inclusion.json"
    made = runner.invoke(main, ["audit", "prove", "--db", str(db), "--inclusion",
                                f"{sids[0]}:1", "--checkpoint", str(old), "--out",
                                str(inclusion)])  # fmt: skip
    assert made.exit_code == 0, made.output
    other = runner.invoke(main, ["audit", "verify-proof", str(inclusion), "--checkpoint",
                                 str(new), "--public-key", f"{key}.pub"])  # fmt: skip
    assert other.exit_code == 2  # made for another checkpoint: a mix-up, no evidence
    assert "the proof was made for the checkpoint(s) of" in other.output


def test_a_checkpoint_with_anything_unsigned_is_refused(tmp_path: Path, backend: str) -> None:
    grow(backend, 1)
    key = Ed25519PrivateKey.generate()
    store = open_store(backend)
    try:
        held = make_checkpoint(store, key, AT)
    finally:
        store.close()
    with pytest.raises(InvalidInput, match="is no key of a checkpoint"):
        Checkpoint.from_json({**held.to_json(), "note": "unsigned"})
    twice = tmp_path / "twice.json"
    text = json.dumps(held.to_json())
    twice.write_text(text.replace('"tree_size"', '"tree_size": 0, "tree_size"', 1))
    from stageborging.audit import read_json

    with pytest.raises(InvalidInput, match="gives a key twice"):
        read_json(twice, "checkpoint")


def test_no_proof_is_made_from_a_log_that_does_not_extend_the_checkpoint(tmp_path: Path) -> None:
    db = str(tmp_path / "school.db")
    sids = grow(db, 2)
    key = Ed25519PrivateKey.generate()
    held = checkpointed(db, key)
    tamper(db, "UPDATE events SET hash = 'ab' || substr(hash, 3) WHERE position = 1")
    store = open_store(db, read_only=True)
    try:
        with pytest.raises(InvalidInput, match="the log does not extend this checkpoint"):
            prove_inclusion(store, sids[1], 1, held)
        with pytest.raises(InvalidInput, match="give the older checkpoint first"):
            prove_consistency(store, held, Checkpoint.sign(key, 1, bytes(32), 1, "t"))
    finally:
        store.close()


def test_the_verdict_says_broken_first_when_only_the_checkpoint_catches_it(tmp_path: Path) -> None:
    runner, db = CliRunner(), tmp_path / "school.db"
    grow(str(db), 2)
    key = tmp_path / "k"
    runner.invoke(main, ["audit", "keygen", "--out", str(key)])
    held = tmp_path / "held.json"
    runner.invoke(main, ["audit", "checkpoint", "--db", str(db), "--key", str(key),
                         "--out", str(held)])  # fmt: skip
    conn = sqlite3.connect(db, isolation_level=None)  # a whole stream removed: chains hold
    conn.execute("DROP TRIGGER events_no_delete")
    first = conn.execute("SELECT stream_id FROM events ORDER BY position LIMIT 1").fetchone()[0]
    conn.execute("DELETE FROM events WHERE stream_id = ?", (first,))
    conn.execute("DELETE FROM streams WHERE id = ?", (first,))
    conn.close()
    argv = ["audit", "verify", "--db", str(db), "--checkpoint", str(held),
            "--public-key", f"{key}.pub"]  # fmt: skip
    text = runner.invoke(main, argv)
    assert text.exit_code == 1
    assert text.stdout.startswith("BROKEN: checkpoint ")
    assert "chains intact: " in text.stdout
    data = json.loads(runner.invoke(main, [*argv, "--format", "json"]).stdout)
    assert (data["ok"], data["chains_ok"], data["checkpoint"]["ok"]) == (False, True, False)


def test_two_checkpoints_of_an_unchanged_log_are_consistent(tmp_path: Path) -> None:
    db = str(tmp_path / "school.db")
    grow(db, 1)
    key = Ed25519PrivateKey.generate()
    store = open_store(db, read_only=True)
    try:
        one, two = make_checkpoint(store, key, AT), make_checkpoint(store, key, AT)
        proof = parse_proof(prove_consistency(store, one, two), "consistency")
    finally:
        store.close()
    assert check_consistency(proof, one, two) is None


def test_a_malformed_hash_in_the_log_is_named_not_a_crash(tmp_path: Path) -> None:
    db = str(tmp_path / "school.db")
    grow(db, 1)
    key = Ed25519PrivateKey.generate()
    held = checkpointed(db, key)
    tamper(db, "UPDATE events SET hash = 'not hex' WHERE position = 1")
    store = open_store(db, read_only=True)
    try:
        assert "malformed hash" in (check_checkpoint(store, held, key.public_key()) or "")
    finally:
        store.close()
