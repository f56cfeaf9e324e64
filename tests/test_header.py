"""The hand-written event header encoder produces exactly the canonical (RFC 8785) bytes."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from stageborging.audit import HEADER_VERSION, body_bytes, header_bytes
from stageborging.core import canonical_bytes

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
FIELDS = (
    "stream_id", "type", "name", "occurred_at", "actor_id", "actor_role",
    "from_state", "to_state", "lifecycle", "definition", "body_hash", "prev_hash",
)  # fmt: skip


@given(
    fields=st.fixed_dictionaries(dict.fromkeys(FIELDS, text)),
    seq=st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    plugins=st.lists(st.tuples(text, text), max_size=4),
    command_id=st.none() | text,
    institution=text,
)
def test_header_bytes_equal_canonical_json(
    fields: dict[str, str],
    seq: int,
    plugins: list[tuple[str, str]],
    command_id: str | None,
    institution: str,
) -> None:
    """For any values, the fast header equals canonical_bytes and rfc8785 of the same dict;
    the command id and the institution are keys only when given."""
    header: dict[str, Any] = {
        "v": HEADER_VERSION,
        "stream": fields["stream_id"],
        "seq": seq,
        "type": fields["type"],
        "name": fields["name"],
        "time": fields["occurred_at"],
        "actor": {"id": fields["actor_id"], "role": fields["actor_role"]},
        "from": fields["from_state"],
        "to": fields["to_state"],
        "lifecycle": fields["lifecycle"],
        "definition": fields["definition"],
        "plugins": [list(p) for p in plugins],
        "body_hash": fields["body_hash"],
        "prev": fields["prev_hash"],
    }
    if command_id is not None:
        header["command"] = command_id
    if institution:
        header["institution"] = institution
    fast = header_bytes(
        seq=seq, plugins=plugins, command_id=command_id, institution=institution, **fields
    )
    assert fast == canonical_bytes(header) == rfc8785.dumps(header)


@pytest.mark.parametrize("seq", [True, 2**53, "1"])
def test_header_refuses_a_non_canonical_seq(seq: Any) -> None:
    """A seq outside the canonical integers is refused, never silently encoded."""
    with pytest.raises(ValueError, match="canonical integer"):
        header_bytes(
            stream_id="s", seq=seq, type="t", name="n", occurred_at="x", actor_id="a",
            actor_role="r", from_state="f", to_state="t", lifecycle="l", definition="d",
            plugins=[], body_hash="b", prev_hash="p",
        )  # fmt: skip


#: Keys of the canonical subset are ASCII (RFC 8785 sorts by UTF-16, json by code point).
keys = st.text(st.characters(max_codepoint=127), max_size=8)
flat = st.one_of(
    text,
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.lists(text, max_size=3),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)
findings = st.lists(st.dictionaries(st.sampled_from(["code", "params"]), json_values), max_size=2)


@given(
    data=st.dictionaries(keys, flat | json_values, max_size=5),
    day=text,
    found=findings,
)
def test_body_bytes_equal_canonical_json(data: dict[str, Any], day: str, found: list) -> None:
    """For any body, the fast body encoder equals canonical_bytes and rfc8785 (findings or not,
    flat data or nested)."""
    for body in ({"data": data, "date": day, "findings": []},
                 {"data": data, "date": day, "findings": found}):  # fmt: skip
        assert body_bytes(body) == canonical_bytes(body) == rfc8785.dumps(body)


def test_a_body_the_fast_path_cannot_write_goes_the_general_way() -> None:
    """Non-ASCII keys, nested data, booleans, big integers: the general encoder decides."""
    for data in ({"é": "x"}, {"a": {"b": 1}}, {"a": True}, {"a": 2**53}):
        body = {"data": data, "date": "2027-02-01", "findings": []}
        assert body_bytes(body) == canonical_bytes(body)
