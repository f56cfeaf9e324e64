"""``stageborging demo`` with the plugin installed: the year's reminders, escalations,
stalled searches, a reschedule and the guidance gaps, queried from the database."""

from __future__ import annotations

import importlib.metadata
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from stageborging import Engine
from stageborging.cli import main


def test_the_demo_year_runs_on_the_defaults(tmp_path: Path) -> None:
    names = {e.name for e in importlib.metadata.entry_points(group="stageborging")}
    if "mbo-defaults" not in names:
        pytest.skip("the distribution is not installed in this environment")
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--db", str(db), "--students", "60"])
    assert result.exit_code == 0, result.output
    out = result.output
    with Engine(db) as engine:
        gaps = Counter(gap.step for gap in engine.guidance_gaps())
        stats = engine.statistics()
        history = [entry.event for entry in engine.events_since(0, limit=10_000)]
    assert f"Guidance gaps (steps missed, each escalated once): {sum(gaps.values())}\n" in out
    for step, count in gaps.items():
        assert re.search(rf"  {step}\s+{count}\n", out)
    assert {"search_stalled", "search_check_in", "start_intake", "all_signatures"} <= set(gaps)
    assert "a step missed" in out
    assert "a transition proposed" in out
    assert "start.retroactive" in stats.refusals  # a late confirmation …
    rescheduled = [e for e in history if e.name == "amend_agreement" and "reason" in e.data]
    assert rescheduled  # … rescheduled by an amendment, then started
    assert all(e.data["reason"] == "late_confirmation" for e in rescheduled)
    late = {e.stream_id for e in rescheduled}
    assert any(e.name == "start" and e.type == "transitioned" and e.stream_id in late
               for e in history)  # fmt: skip
    assert any(e.name == "request_assistance" and e.actor.role == "coach" for e in history)
    assert "mbo.vog_missing" in stats.refusals
    assert "Audit log: intact" in out
    again = CliRunner().invoke(main, ["demo", "--db", str(db), "--students", "3"])
    assert again.exit_code == 0, again.output  # its own database: the demo runs again
