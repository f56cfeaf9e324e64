"""Records keep their promises: hashable, and read-only all the way down."""

from __future__ import annotations

import pickle

import pytest

from stageborging import Engine, Finding, InvalidInput, Notification
from stageborging.core import FrozenMap, freeze
from stageborging.testing import FakeClock
from support import COACH, journey


def test_events_and_streams_are_hashable_and_read_only(engine: Engine, clock: FakeClock) -> None:
    """A caller can keep, share and hash what the engine returns; nobody can change it."""
    sid = journey(engine, clock).open()
    journey(engine, clock).to_active(sid)
    event = engine.fire(sid, "suspend", actor=COACH, data={"reason": "illness"})
    stream = engine.stream(sid)
    assert hash(event) == hash(engine.history(sid)[-1])
    assert event == engine.history(sid)[-1]
    assert hash(stream) == hash(engine.stream(sid))
    assert isinstance(stream.facts["signatures"], tuple)
    with pytest.raises(TypeError):
        stream.facts["details"]["programme"] = "other"  # type: ignore[index]
    with pytest.raises(TypeError):
        event.data["reason"] = "other"  # type: ignore[index]
    assert {event, engine.history(sid)[-1]} == {event}


def test_findings_and_notifications_are_hashable() -> None:
    """Findings and notifications can be put in sets (de-duplicated by value)."""
    one = Finding("local.x", "warn", "Text.", params={"n": "1"})
    assert {one, Finding("local.x", "warn", "Text.", params={"n": "1"})} == {one}
    note = Notification("email", "coach", "local.tpl", {"reason": "illness"})
    assert hash(note) == hash(Notification("email", "coach", "local.tpl", {"reason": "illness"}))
    with pytest.raises(TypeError):
        one.params["n"] = "2"  # type: ignore[index]


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (lambda: Finding("local.x", "warn", "Text.", params={"n": 1}), "params.n"),
        (lambda: Finding("local.x", "warn", "Text.", params=["n"]), "params"),
        (lambda: Notification("email", "coach", "tpl", {"n": "two words"}), "params.n"),
        (lambda: Finding("local.x", "loud", "Text."), "severity"),
    ],
)
def test_malformed_params_and_severities_name_the_field(record: object, field: str) -> None:
    """One validator for params and one for severities: an InvalidInput naming the field."""
    with pytest.raises(InvalidInput) as info:
        record()  # type: ignore[operator]
    assert info.value.field == field


def test_frozen_values_equal_their_plain_form_and_survive_pickling() -> None:
    """Frozen data compares equal to the JSON-shaped original (lists as tuples)."""
    plain = {"a": {"b": [1, {"c": "d"}]}, "e": None}
    frozen = freeze(plain)
    assert isinstance(frozen, FrozenMap)
    assert frozen == {"a": {"b": (1, {"c": "d"})}, "e": None}
    assert pickle.loads(pickle.dumps(frozen)) == frozen
    assert hash(pickle.loads(pickle.dumps(frozen))) == hash(frozen)
    for change in (frozen.clear, lambda: frozen.update(x=1), lambda: frozen.pop("e")):
        with pytest.raises(TypeError):
            change()
