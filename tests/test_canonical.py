"""Canonical JSON equals RFC 8785 on its subset, and the hash chain catches every flipped byte.

The last test guards a regression (see its docstring): an integer field without
a maximum let values beyond ±(2**53 - 1) into sealed event bodies.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import string
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import Engine, InvalidInput, Refused
from stageborging.audit import GENESIS, SealedEvent, StreamRow, seal, verify_rows
from stageborging.core import canonical_bytes, check_canonical_value
from support import STUDENT, journey

MAX_INT = 2**53 - 1

#: every code point except lone surrogates: control characters, non-ASCII, astral planes
texts = st.text(st.characters(exclude_categories=["Cs"]))
ascii_keys = st.text(st.characters(max_codepoint=0x7F))
integers = st.integers(min_value=-MAX_INT, max_value=MAX_INT)
scalars = st.none() | st.booleans() | integers | texts
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(ascii_keys, children, max_size=5)
    ),
    max_leaves=30,
)
documents = st.dictionaries(ascii_keys, values, max_size=6)

#: timing varies on shared CI machines; correctness, not speed, is under test here
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(documents)
def test_canonical_bytes_equal_rfc8785(value: dict[str, Any]) -> None:
    """What is hashed is exactly RFC 8785, so any JCS implementation can verify it."""
    assert canonical_bytes(value) == rfc8785.dumps(value)


@relaxed
@given(documents)
def test_canonical_values_pass_the_check(value: dict[str, Any]) -> None:
    """Every value of the canonical subset is accepted by the explicit check."""
    check_canonical_value(value)


@relaxed
@given(documents)
def test_canonical_bytes_are_stable_under_key_order(value: dict[str, Any]) -> None:
    """Key order never changes the bytes, so the same data always hashes the same."""
    reordered = dict(reversed(list(value.items())))
    assert canonical_bytes(reordered) == canonical_bytes(value)


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x1f\x7f",
        '\b\f\n\r\t"\\/',
        "\u2028\u2029",
        "ë é ß ø € 𝄞 😀",
        "\ufeff\uffff",
    ],
)
def test_tricky_strings_equal_rfc8785(text: str) -> None:
    """Control characters, escapes, line separators and astral characters encode as JCS."""
    value = {"s": text, "l": [text, {"n": text}]}
    assert canonical_bytes(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("number", [0, 1, -1, MAX_INT, -MAX_INT, 2**31, -(2**31) - 1])
def test_boundary_integers_equal_rfc8785(number: int) -> None:
    """Integers up to ±(2**53 - 1) encode as JCS and pass the check."""
    check_canonical_value({"n": number})
    assert canonical_bytes({"n": number}) == rfc8785.dumps({"n": number})


# -- what leaves the subset ---------------------------------------------------


@pytest.mark.parametrize("number", [0.0, 1.5, -0.0, float("inf"), float("-inf"), float("nan")])
def test_floats_are_rejected(number: float) -> None:
    """Floats never reach the hash: their JSON spelling is not unique across encoders."""
    with pytest.raises(TypeError, match="float"):
        check_canonical_value({"x": number})


@pytest.mark.parametrize("number", [MAX_INT + 1, -MAX_INT - 1, 2**64, -(2**100)])
def test_big_integers_are_rejected(number: int) -> None:
    """Integers beyond ±(2**53 - 1) are rejected: not every JSON reader keeps them exact."""
    with pytest.raises(ValueError, match="outside"):
        check_canonical_value({"x": [number]})


@relaxed
@given(st.integers(min_value=MAX_INT + 1) | st.integers(max_value=-MAX_INT - 1))
def test_any_big_integer_is_rejected(number: int) -> None:
    """No integer outside the safe range passes the check."""
    with pytest.raises(ValueError, match="outside"):
        check_canonical_value(number)


@pytest.mark.parametrize("key", ["ë", "schlüssel", "😀", "\u00a0", "\ud800"])
def test_non_ascii_keys_are_rejected(key: str) -> None:
    """Keys are ASCII, so sorting by code point and by UTF-16 unit cannot differ."""
    with pytest.raises(TypeError, match="ASCII"):
        check_canonical_value({"ok": {key: 1}})


@pytest.mark.parametrize("key", [1, None, True, ("a",), b"a"])
def test_non_string_keys_are_rejected(key: object) -> None:
    """Only string keys: JSON has no others, and coercion would hide collisions."""
    with pytest.raises(TypeError, match="ASCII string"):
        check_canonical_value({key: 1})


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "\udc00\ud800", "ok \ud83d"])
def test_lone_surrogates_are_rejected(text: str) -> None:
    """Strings that cannot be encoded as UTF-8 are rejected, wherever they hide."""
    for value in (text, [text], {"k": text}, {"k": [{"j": text}]}):
        with pytest.raises(ValueError, match="surrogate"):
            check_canonical_value(value)


@pytest.mark.parametrize(
    "value",
    [
        b"bytes",
        bytearray(b"x"),
        {1, 2},
        frozenset(),
        decimal.Decimal("1"),
        datetime.date(2027, 1, 1),
        datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC),
        object(),
        complex(1, 2),
        range(3),
    ],
    ids=lambda v: type(v).__name__,
)
def test_other_types_are_rejected(value: object) -> None:
    """Only JSON's own types are allowed; anything else is a TypeError naming the type."""
    with pytest.raises(TypeError, match=type(value).__name__):
        check_canonical_value({"k": [value]})


poisons = st.sampled_from(
    [1.0, float("nan"), 2**53, -(2**60), b"x", {1, 2}, "\udc80", {"ë": 1}, {2: "x"}, object()]
)


@relaxed
@given(documents, poisons, st.lists(st.sampled_from(["list", "dict"]), max_size=4))
def test_one_bad_value_anywhere_is_rejected(
    value: dict[str, Any], poison: object, wrapping: list[str]
) -> None:
    """A single value outside the subset, however deep, makes the whole value fail the check."""
    for kind in wrapping:
        poison = [poison] if kind == "list" else {"k": poison}
    with pytest.raises((TypeError, ValueError)):
        check_canonical_value({**value, "\x7fpoison": poison})


# -- the hash chain -------------------------------------------------------------

identifiers = st.text(string.ascii_letters + string.digits + "._:-", min_size=1, max_size=12)
states = st.sampled_from(["orientation", "searching", "active", "received", "closed"])
small_values = st.recursive(scalars, lambda children: st.lists(children, max_size=3), max_leaves=4)
bodies = st.fixed_dictionaries(
    {
        "data": st.dictionaries(ascii_keys, small_values, max_size=3),
        "date": st.just("2027-01-10"),
        "findings": st.just([]),
    }
)
#: What a refused event's body holds besides (the format page: at least one ``block``).
BLOCK = {"code": "x.y", "severity": "block", "message": "m", "message_nl": "m",
         "source": "stageborging", "params": {}}  # fmt: skip


@st.composite
def event_specs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "type": draw(st.sampled_from(["transitioned", "recorded", "refused"])),
        "name": draw(st.text(max_size=10)),
        "occurred_at": draw(
            st.sampled_from(["2027-01-10T09:00:00.000000Z", "2027-02-01T23:59:59.999999Z"])
        ),
        "actor_id": draw(identifiers),
        "actor_role": draw(st.sampled_from(["student", "coach", "placement_office", "system"])),
        "to_state": draw(states),
        # sorted by name, each once, as the format page says
        "plugins": sorted(draw(st.dictionaries(identifiers, identifiers, max_size=2)).items()),
        "body": draw(bodies),
    }


def seal_stream(stream_id: str, specs: list[dict[str, Any]]) -> list[SealedEvent]:
    """Seal *specs* as one stream: an opening event, then each spec, chained."""
    events: list[SealedEvent] = []
    prev_hash, state = GENESIS, "orientation"
    for seq, spec in enumerate([{"type": "opened", "to_state": state}, *specs], start=1):
        to_state = state if spec["type"] in ("opened", "recorded", "refused") else spec["to_state"]
        sealed = seal(
            stream_id=stream_id,
            seq=seq,
            type=spec["type"],
            name=spec.get("name", "mbo_bpv"),
            occurred_at=spec.get("occurred_at", "2027-01-10T09:00:00.000000Z"),
            actor_id=spec.get("actor_id", "po-1"),
            actor_role=spec.get("actor_role", "placement_office"),
            from_state=state,
            to_state=to_state,
            lifecycle="mbo_bpv",
            definition="d" * 64,
            plugins=spec.get("plugins", []),
            body={
                **spec.get("body", {"data": {}, "date": "2027-01-10", "findings": []}),
                **({"findings": [BLOCK]} if spec["type"] == "refused" else {}),
            },
            prev_hash=prev_hash,
        )
        events.append(sealed)
        prev_hash, state = sealed.hash, to_state
    return events


def head_of(events: list[SealedEvent]) -> StreamRow:
    """The projection row the chain vouches for (facts are only recomputed with definitions)."""
    last = events[-1]
    return StreamRow(
        id=last.stream_id,
        kind="internship",
        lifecycle=last.lifecycle,
        definition=last.definition,
        state=last.to_state,
        version=last.seq,
        head_hash=last.hash,
        facts="{}",
        opened_at=events[0].occurred_at,
        updated_at=last.occurred_at,
    )


streams = st.dictionaries(identifiers, st.lists(event_specs(), max_size=6), min_size=1, max_size=4)


def seal_all(specs: dict[str, list[dict[str, Any]]]) -> dict[str, list[SealedEvent]]:
    return {sid: seal_stream(sid, specs[sid]) for sid in sorted(specs)}


def rows(sealed: dict[str, list[SealedEvent]]) -> list[SealedEvent]:
    return [event for sid in sorted(sealed) for event in sealed[sid]]


@relaxed
@given(streams)
def test_sealed_chains_verify(specs: dict[str, list[dict[str, Any]]]) -> None:
    """Whatever is sealed in order verifies: stream by stream, event by event."""
    sealed = seal_all(specs)
    heads = {sid: head_of(events) for sid, events in sealed.items()}
    report = verify_rows(rows(sealed), heads)
    assert report.ok, report.breaks
    assert report.streams == len(sealed)
    assert report.events == sum(len(events) for events in sealed.values())


@settings(relaxed, max_examples=200)
@given(streams, st.data())
def test_any_flipped_header_byte_breaks_that_event(
    specs: dict[str, list[dict[str, Any]]], data: st.DataObject
) -> None:
    """Flipping any bit pattern of any byte of any header is caught at exactly that event."""
    sealed = seal_all(specs)
    heads = {sid: head_of(events) for sid, events in sealed.items()}
    sid = data.draw(st.sampled_from(sorted(sealed)), label="stream")
    index = data.draw(st.integers(0, len(sealed[sid]) - 1), label="event")
    target = sealed[sid][index]
    position = data.draw(st.integers(0, len(target.header) - 1), label="byte")
    mask = data.draw(st.integers(1, 255), label="mask")
    header = bytearray(target.header)
    header[position] ^= mask
    sealed[sid][index] = target._replace(header=bytes(header))
    report = verify_rows(rows(sealed), heads)
    assert not report.ok
    assert [(b.stream_id, b.seq) for b in report.breaks] == [(sid, index + 1)]
    assert "hash does not match" in report.breaks[0].problem


@relaxed
@given(streams, st.data())
def test_any_dropped_event_breaks_the_stream(
    specs: dict[str, list[dict[str, Any]]], data: st.DataObject
) -> None:
    """Removing any one event is caught: in the middle by the seq gap, at the end by the head."""
    sealed = seal_all(specs)
    heads = {sid: head_of(events) for sid, events in sealed.items()}
    sid = data.draw(st.sampled_from(sorted(sealed)), label="stream")
    index = data.draw(st.integers(0, len(sealed[sid]) - 1), label="event")
    del sealed[sid][index]
    report = verify_rows(rows(sealed), heads)
    assert not report.ok
    assert [b.stream_id for b in report.breaks] == [sid]
    expected = len(sealed[sid]) + 1 if index == len(sealed[sid]) else index + 1
    assert report.breaks[0].seq == expected


# -- what the engine seals ----------------------------------------------------------


@pytest.mark.parametrize("version", [MAX_INT + 1, 2**64, 10**30])
def test_engine_never_seals_integers_outside_the_canonical_subset(
    engine: Engine, version: int
) -> None:
    """Every body the engine seals stays RFC 8785, whatever integer a caller passes.

    Regression: ``FieldKind.INT`` fields without a ``maximum`` (the signature's
    ``agreement_version``) once accepted any integer, and the refusal that
    followed sealed it into the body, outside the canonical subset.
    """
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    with contextlib.suppress(InvalidInput, Refused):
        engine.record(
            sid,
            "signature",
            actor=STUDENT,
            data={"party": "student", "agreement_version": version},
        )
    for event in engine.history(sid):
        check_canonical_value({"data": event.data}, f"event {event.seq}")
