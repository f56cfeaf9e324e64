"""The store contract, subject keys: kept wrapped, added once, erased for good. On SQLite
and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stageborging import InvalidInput
from stageborging.core import rfc3339
from stageborging.privacy import MasterKey, new_subject_key
from stageborging.store import Store, Transaction

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)


def test_a_key_is_kept_wrapped_added_once_and_erased_for_good(store: Store) -> None:
    master, key = MasterKey.generate(), new_subject_key()
    wrapped = master.wrap("stu-1", key)
    assert store.run(lambda tx: tx.add_key("stu-1", wrapped, NOW)) is True
    assert store.run(lambda tx: tx.add_key("stu-1", b"another", LATER)) is False  # first stays
    row = store.run(lambda tx: tx.subject_key("stu-1"))
    assert row is not None
    assert (row.wrapped, row.created_at, row.erased_at) == (wrapped, rfc3339(NOW), None)
    assert master.unwrap("stu-1", row.wrapped) == key
    assert store.run(lambda tx: tx.subject_key("stu-2")) is None
    assert store.run(lambda tx: tx.erase_key("stu-1", LATER)) is True
    assert store.run(lambda tx: tx.erase_key("stu-1", LATER)) is False  # erased already
    erased = store.run(lambda tx: tx.subject_key("stu-1"))
    assert erased is not None
    assert (erased.wrapped, erased.erased_at) == (None, rfc3339(LATER))
    assert store.run(lambda tx: tx.add_key("stu-1", wrapped, LATER)) is False  # never again
    assert store.erased_subjects() == {"stu-1"}


def test_a_subject_erased_before_any_key_never_gets_one(store: Store) -> None:
    assert store.run(lambda tx: tx.erase_key("stu-2", LATER)) is True
    assert store.run(lambda tx: tx.erase_key("stu-2", LATER)) is False
    assert store.run(lambda tx: tx.add_key("stu-2", b"wrapped", LATER)) is False
    row = store.run(lambda tx: tx.subject_key("stu-2"))
    assert row is not None
    assert (row.wrapped, row.erased_at) == (None, rfc3339(LATER))


def test_a_rotation_rewraps_every_live_key_and_skips_the_erased(store: Store) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    keys = {f"stu-{i}": new_subject_key() for i in range(5)}
    store.run(lambda tx: [tx.add_key(k, old.wrap(k, v), NOW) for k, v in keys.items()])
    store.run(lambda tx: tx.erase_key("stu-3", LATER))
    first = store.run(lambda tx: tx.live_keys("", 2))
    rest = store.run(lambda tx: tx.live_keys(first[-1].key_id, 10))
    live = [*first, *rest]
    assert [row.key_id for row in live] == ["stu-0", "stu-1", "stu-2", "stu-4"]

    def rotate(tx: Transaction) -> list[bool]:
        return [tx.rewrap_key(r.key_id, old.rewrap(r.key_id, r.wrapped or b"", new)) for r in live]

    assert store.run(rotate) == [True] * 4
    assert store.run(lambda tx: tx.rewrap_key("stu-3", b"x")) is False  # erased stays empty
    for key_id in ("stu-0", "stu-4"):
        row = store.run(lambda tx, k=key_id: tx.subject_key(k))  # type: ignore[misc]
        assert row is not None
        assert row.wrapped is not None
        assert new.unwrap(key_id, row.wrapped) == keys[key_id]


def test_a_key_added_in_a_transaction_rolled_back_is_not_kept(store: Store) -> None:
    def fails(tx: Transaction) -> None:
        tx.add_key("stu-1", b"wrapped", NOW)
        raise RuntimeError("the command that needed the key failed")

    with pytest.raises(RuntimeError):
        store.run(fails)
    assert store.run(lambda tx: tx.subject_key("stu-1")) is None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda tx: tx.add_key("two words", b"w", NOW), "key_id"),
        (lambda tx: tx.add_key("stu-1", "w", NOW), "wrapped"),
        (lambda tx: tx.add_key("stu-1", b"", NOW), "wrapped"),
        (lambda tx: tx.add_key("stu-1", b"w" * 1025, NOW), "wrapped"),
        (lambda tx: tx.add_key("stu-1", b"w", datetime(2027, 3, 1)), "at"),
        (lambda tx: tx.subject_key("\\ud800"), "key_id"),
        (lambda tx: tx.erase_key("stu-1", "now"), "at"),
        (lambda tx: tx.rewrap_key("stu-1", ""), "wrapped"),
        (lambda tx: tx.live_keys(None, 5), "after"),
        (lambda tx: tx.live_keys("", 0), "limit"),
        (lambda tx: tx.link_subject("s 1", "stu-1"), "stream_id"),
        (lambda tx: tx.link_subject("s1", "two words"), "subject"),
        (
            lambda tx: tx.log_access(NOW, "ca-1", "confidential_advisor", "s1", [], "granted"),
            "fields",
        ),
        (
            lambda tx: tx.log_access(NOW, "ca-1", "confidential_advisor", "s1", ["2.note"], "ok"),
            "outcome",
        ),
    ],
)
def test_bad_key_arguments_are_named_and_write_nothing(
    store: Store, call: object, field: str
) -> None:
    def work(tx: Transaction) -> None:
        tx.add_key("kept-out", b"wrapped", NOW)
        call(tx)  # type: ignore[operator]

    with pytest.raises(InvalidInput) as error:
        store.run(work)
    assert error.value.field == field
    assert store.run(lambda tx: tx.subject_key("kept-out")) is None


def test_each_stream_keeps_its_first_subject_and_a_subject_finds_its_streams(
    store: Store,
) -> None:
    def link(tx: Transaction) -> None:
        tx.link_subject("s2", "stu-1")
        tx.link_subject("s1", "stu-1")
        tx.link_subject("s3", "stu-2")
        tx.link_subject("s1", "stu-2")  # the first stays

    store.run(link)
    assert store.run(lambda tx: tx.stream_subject("s1")) == "stu-1"
    assert store.run(lambda tx: tx.stream_subject("s9")) is None
    assert store.run(lambda tx: tx.subject_streams("stu-1")) == ["s1", "s2"]
    assert store.subjects("", 10) == []  # a page lists streams that exist, with their rows


def test_the_access_log_keeps_every_read_in_order_and_refuses_changes(store: Store) -> None:
    store.run(lambda tx: tx.log_access(NOW, "ca-1", "confidential_advisor", "c1",
                                       ["1.description"], "granted"))  # fmt: skip
    store.run(lambda tx: tx.log_access(LATER, "co-1", "coach", "c1", ["1.description",
                                       "1.ground"], "refused"))  # fmt: skip
    entries = store.access_log(0, 10)
    assert [
        (e.at, e.actor_id, e.actor_role, e.stream_id, e.fields, e.outcome) for e in entries
    ] == [
        (rfc3339(NOW), "ca-1", "confidential_advisor", "c1", ("1.description",), "granted"),
        (rfc3339(LATER), "co-1", "coach", "c1", ("1.description", "1.ground"), "refused"),
    ]
    assert store.access_log(entries[0].position, 10) == entries[1:]
    with pytest.raises(Exception, match="append-only"):
        store.run(lambda tx: tx._conn.execute("DELETE FROM access_log"))  # type: ignore[attr-defined]
    assert store.access_log(0, 10) == entries
