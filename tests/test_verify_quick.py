"""The verifier's quick check never changes a verdict.

Verification first rebuilds each event's header from its columns (the quick check)
and reads field by field only what that does not accept. Whatever is done to an
event (any column, the header's or the body's bytes, re-hashed or not, re-sealed
around a body in or out of the canonical subset), the verdict and its message are
those of the full check alone.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import Engine
from stageborging.audit import SealedEvent, header_bytes
from stageborging.audit._rebuild import QuickCheck
from stageborging.audit._verify import _check_event, full_check
from stageborging.testing import FakeClock, Journey, KitRegister

_COLUMNS = ", ".join(SealedEvent._fields)


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> list[SealedEvent]:
    """The events of an internship driven to its start, with plugins, facts and refusals."""
    path = tmp_path_factory.mktemp("quick") / "log.db"
    clock = FakeClock()
    with Engine(path, plugins=[KitRegister()], clock=clock) as engine:
        journey = Journey(engine, clock)
        sid = journey.open()
        journey.to_active(sid)
    conn = sqlite3.connect(path)
    rows = conn.execute(f"SELECT {_COLUMNS} FROM events ORDER BY stream_id, seq").fetchall()
    conn.close()
    return [SealedEvent._make(row) for row in rows]


def _verdicts(event: SealedEvent, before: SealedEvent | None) -> None:
    expected = 1 if before is None else before.seq + 1
    assert _check_event(event, expected, before, QuickCheck()) == full_check(
        event, expected, before
    )


def _resealed_header(event: SealedEvent, header: bytes) -> SealedEvent:
    return event._replace(header=header, hash=hashlib.sha256(header).hexdigest())


def _around_body(event: SealedEvent, body: bytes) -> SealedEvent:
    """*event* with *body*, its body hash and header re-sealed to match (plugins kept)."""
    plugins = json.loads(event.header)["plugins"]
    body_hash = hashlib.sha256(body).hexdigest()
    fields = {f: getattr(event, f) for f in SealedEvent._fields if f not in ("header", "body",
              "body_hash", "hash")}  # fmt: skip
    header = header_bytes(**fields, plugins=plugins, body_hash=body_hash)
    return _resealed_header(event._replace(body=body, body_hash=body_hash), header)


_ANY = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.binary(max_size=8),
    st.floats(allow_nan=False),
)  # fmt: skip
_JSON = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(min_value=-(2**60), max_value=2**60),
        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                  max_size=3),
    max_leaves=8,
)  # fmt: skip
_SNIPPETS = st.sampled_from(
    [b" ", b",", b'"', b"\\u0041", b'],"pm":[', b'"v":1', b"1.0", b"9007199254740993", b"{}",
     b'["a","b"]', b"\xc3\xa9", b"\xff", b"null", b'"plugins":[]'],
)  # fmt: skip


@st.composite
def _tampered(draw: st.DrawFn, events: list[SealedEvent]) -> tuple[SealedEvent, SealedEvent | None]:
    index = draw(st.integers(0, len(events) - 1))
    event, before = events[index], (events[index - 1] if index else None)
    if before is not None and before.stream_id != event.stream_id:
        before = None
    how = draw(st.sampled_from(["column", "header", "header+hash", "body", "body+seal"]))
    if how == "column":
        field = draw(st.sampled_from(SealedEvent._fields))
        other = draw(st.sampled_from(events))
        value = draw(st.one_of(_ANY, st.just(getattr(other, field))))
        return event._replace(**{field: value}), before
    if how.startswith("header"):
        raw = event.header
        at = draw(st.integers(0, len(raw)))
        cut = draw(st.integers(0, 3))
        changed = raw[:at] + draw(_SNIPPETS | st.binary(max_size=3)) + raw[at + cut :]
        if how == "header":
            return event._replace(header=changed), before
        return _resealed_header(event, changed), before
    if how == "body":
        value: Any = draw(st.dictionaries(st.sampled_from(["data", "date", "findings", "x"]),
                                          _JSON, max_size=4))  # fmt: skip
        spacing = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
        encoded = json.dumps(value, sort_keys=draw(st.booleans()),
                             ensure_ascii=draw(st.booleans()), separators=spacing)  # fmt: skip
        return _around_body(event, encoded.encode("utf-8", "surrogatepass")), before
    assert event.body is not None
    at = draw(st.integers(0, len(event.body)))
    changed = event.body[:at] + draw(_SNIPPETS | st.binary(max_size=3)) + event.body[at:]
    return _around_body(event, changed), before


def test_every_untouched_event_passes_the_quick_check(events: list[SealedEvent]) -> None:
    """The quick check is the common path: the library's own events all take it."""
    quick = QuickCheck()
    assert all(quick.body(event, event.seq) is not None for event in events)


@settings(max_examples=600, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_quick_check_never_changes_a_verdict(
    events: list[SealedEvent], data: st.DataObject
) -> None:
    event, before = data.draw(_tampered(events))
    _verdicts(event, before)


def test_a_header_with_a_key_smuggled_after_the_plugins_is_refused(
    events: list[SealedEvent],
) -> None:
    """The plugin list's bytes cannot close the list and open a key of their own."""
    event = events[1]
    header = event.header.replace(b'"plugins":[', b'"plugins":[],"pm":[', 1)
    forged = _resealed_header(event, header)
    problem, _ = _check_event(forged, event.seq, events[0], QuickCheck())
    assert problem == "header keys are not exactly those of the format"
