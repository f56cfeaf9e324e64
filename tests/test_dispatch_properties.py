"""Delivery's invariants under any sequence of channel answers (Hypothesis): every entry
ends delivered or a dead letter within its attempts, no recipient is sent a message
twice, and the recorded attempts tell the same story as the rows."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import tenacity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageborging import Engine, RetryPolicy
from stageborging.testing import FakeClock, RecordingChannel
from support import STUDENT, Tells, journey
from support.delivery import Moved, book

#: One channel call: accepted (None), a failure worth retrying, or a permanent one.
ANSWER = st.one_of(
    st.none(), st.sampled_from(["smtp.421", "http.503"]), st.just(("smtp.550", True))
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=st.lists(ANSWER, max_size=30),
    attempts=st.integers(1, 4),
    streams=st.integers(1, 3),
)
def test_every_entry_ends_delivered_or_dead_and_no_one_twice(
    answers: list[object], attempts: int, streams: int
) -> None:
    failures = [a for a in answers if a is not None]  # the channel fails these calls in turn
    channel = RecordingChannel(failures=failures)  # type: ignore[arg-type]
    policy = RetryPolicy(attempts=attempts, wait=tenacity.wait_fixed(60), timeout=5, lease=60)
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as folder:
        plugins = [Tells(), Moved(), book(), channel.plugin()]
        with Engine(Path(folder) / "p.db", plugins=plugins, clock=clock) as engine:
            for _ in range(streams):
                engine.fire(journey(engine).open(), "begin_search", actor=STUDENT)
            for _ in range(attempts + 1):
                engine.dispatch(policy=policy)
                clock.advance(minutes=2)
            entries = engine.notifications(pending=False)
            history = {e.key: engine.deliveries(e.key) for e in entries}
            assert engine.dispatch(policy=policy).entries == 0  # nothing left to do
    sent = Counter(d.key for d in channel.delivered)
    assert all(count == 1 for count in sent.values()), "a recipient got a message twice"
    for entry in entries:
        ends = [a.outcome for a in history[entry.key] if not a.recipient]
        assert (entry.delivered_at is None) != (entry.dead_at is None)  # one end, not both
        assert 1 <= entry.attempts <= attempts
        assert ends[-1] == ("delivered" if entry.delivered_at else "dead")
        assert set(ends[:-1]) <= {"retry"}
        assert len(ends) == entry.attempts
        reached = {a.recipient for a in history[entry.key] if a.outcome == "delivered"} - {""}
        assert reached == {d.recipient for d in channel.delivered if d.entry == entry.key}
        if entry.delivered_at:
            assert reached == {"coach-en", "coach-nl"}
        else:
            assert entry.last_error in ("smtp.421", "http.503", "smtp.550")
            if entry.attempts < attempts:
                assert entry.last_error == "smtp.550"  # only a permanent failure ends early
