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
    assert store.run(lambda tx: tx.erase_key("stu-2", LATER)) is False  # never had one
    erased = store.run(lambda tx: tx.subject_key("stu-1"))
    assert erased is not None
    assert (erased.wrapped, erased.erased_at) == (None, rfc3339(LATER))
    assert store.run(lambda tx: tx.add_key("stu-1", wrapped, LATER)) is False  # never again


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
