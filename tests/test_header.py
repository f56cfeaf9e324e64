"""The hand-written event header encoder produces exactly the canonical (RFC 8785) bytes."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from stageborging.audit import HEADER_VERSION, header_bytes
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
)
def test_header_bytes_equal_canonical_json(
    fields: dict[str, str], seq: int, plugins: list[tuple[str, str]]
) -> None:
    """For any values, the fast header equals canonical_bytes and rfc8785 of the same dict."""
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
    fast = header_bytes(seq=seq, plugins=plugins, **fields)
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
