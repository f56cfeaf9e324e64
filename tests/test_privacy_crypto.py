"""The privacy building blocks: sealed free text, wrapped subject keys, pseudonyms."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stageborging import InvalidInput
from stageborging.exceptions import KeyUnavailable
from stageborging.privacy import MasterKey, Pseudonyms, new_subject_key, open_text, seal_text

TEXT = st.text(min_size=1, max_size=300).filter(lambda t: t.strip()).map(
    lambda t: t.encode("utf-8", "ignore").decode("utf-8")
).filter(lambda t: t.strip())  # fmt: skip


@given(text=TEXT)
def test_a_sealed_text_opens_to_itself_and_holds_no_trace_of_it(text: str) -> None:
    key = new_subject_key()
    sentence = f"Mijn begeleider zei: {text}"  # long enough that chance never spells it
    sealed = seal_text(key, "stu-1", sentence, "case-1:description")
    assert open_text(key, "stu-1", sealed, "case-1:description") == sentence
    assert sentence not in sealed
    assert sentence.encode() not in base64.urlsafe_b64decode(sealed[4:])


def test_sealing_twice_gives_two_ciphertexts() -> None:
    key = new_subject_key()
    assert seal_text(key, "stu-1", "Same words.", "c") != seal_text(
        key, "stu-1", "Same words.", "c"
    )


@pytest.mark.parametrize(
    ("key_id", "context", "other_key"),
    [("stu-2", "case-1:description", False), ("stu-1", "case-2:description", False),
     ("stu-1", "case-1:description", True)],
)  # fmt: skip
def test_a_sealed_text_opens_only_in_its_place_under_its_key(
    key_id: str, context: str, other_key: bool
) -> None:
    """Another subject, another stream or field, another key: nothing opens."""
    key = new_subject_key()
    sealed = seal_text(key, "stu-1", "Hij zei dat ik niet paste.", "case-1:description")
    with pytest.raises(KeyUnavailable):
        open_text(new_subject_key() if other_key else key, key_id, sealed, context)


@given(position=st.integers(min_value=4), flip=st.integers(min_value=1, max_value=255))
def test_an_altered_ciphertext_never_opens(position: int, flip: int) -> None:
    key = new_subject_key()
    sealed = seal_text(key, "stu-1", "Een zin.", "c")
    raw = bytearray(base64.urlsafe_b64decode(sealed[4:]))
    raw[position % len(raw)] ^= flip
    altered = "st1:" + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(KeyUnavailable):
        open_text(key, "stu-1", altered, "c")


@pytest.mark.parametrize("text", ["", "   ", 7, None, "x" * 10_001, "a\ud800b"])
def test_text_that_cannot_be_sealed_is_named(text: object) -> None:
    with pytest.raises(InvalidInput) as info:
        seal_text(new_subject_key(), "stu-1", text, "c")  # type: ignore[arg-type]
    assert info.value.field == "text"


@pytest.mark.parametrize("sealed", ["", "plain text", "st1:!!!", "st1:", 7])
def test_what_is_no_sealed_text_does_not_open(sealed: object) -> None:
    with pytest.raises(KeyUnavailable):
        open_text(new_subject_key(), "stu-1", sealed, "c")  # type: ignore[arg-type]


def test_a_wrapped_key_unwraps_under_its_master_and_id_only() -> None:
    master, other = MasterKey.generate(), MasterKey.generate()
    key = new_subject_key()
    wrapped = master.wrap("stu-1", key)
    assert key not in wrapped
    assert master.unwrap("stu-1", wrapped) == key
    for unwrap in (lambda: other.unwrap("stu-1", wrapped), lambda: master.unwrap("stu-2", wrapped)):
        with pytest.raises(KeyUnavailable):
            unwrap()
    rotated = master.rewrap("stu-1", wrapped, other)
    assert other.unwrap("stu-1", rotated) == key
    assert "secret" in repr(master)
    assert master.to_base64() not in repr(master)


def test_the_master_key_comes_from_a_private_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    master = MasterKey.generate()
    file = tmp_path / "master.key"
    file.write_text(master.to_base64() + "\n", encoding="ascii")
    os.chmod(file, 0o600)
    key = new_subject_key()
    assert MasterKey.from_file(file).unwrap("s", master.wrap("s", key)) == key
    os.chmod(file, 0o644)
    with pytest.raises(InvalidInput, match="read by others"):
        MasterKey.from_file(file)
    monkeypatch.setenv("STAGEBORGING_MASTER_KEY", master.to_base64())
    assert MasterKey.from_env().unwrap("s", master.wrap("s", key)) == key


@pytest.mark.parametrize("value", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_a_master_key_that_is_no_key_is_named(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGEBORGING_MASTER_KEY", value)
    with pytest.raises(InvalidInput) as info:
        MasterKey.from_env()
    assert info.value.field == "STAGEBORGING_MASTER_KEY"
    assert value not in str(info.value) or not value  # the key is never quoted


def test_pseudonyms_match_again_differ_by_kind_and_need_the_secret() -> None:
    secret = os.urandom(32)
    ours = Pseudonyms(secret)
    assert ours.of("employer", "lb-100") == Pseudonyms(secret).of("employer", "lb-100")
    assert ours.of("employer", "lb-100") != ours.of("reporter", "lb-100")
    assert ours.of("employer", "lb-100") != Pseudonyms(os.urandom(32)).of("employer", "lb-100")
    assert ours.of("employer", "lb-100").startswith("p1:")
    with pytest.raises(InvalidInput):
        Pseudonyms(b"too short")
    with pytest.raises(InvalidInput):
        ours.of("employer", "a name with spaces")
