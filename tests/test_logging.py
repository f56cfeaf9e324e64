"""Operational logging: silent unless the host asks, one line per command, no personal data."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stageborging import Engine, InvalidInput
from support import STUDENT, journey


def test_a_host_that_configures_nothing_sees_nothing(tmp_path: Path) -> None:
    """Embedding the engine prints nothing on stdout or stderr."""
    script = textwrap.dedent(
        f"""
        from stageborging import Actor, Engine
        with Engine({str(tmp_path / "x.db")!r}) as engine:
            office = Actor("po-1", "placement_office")
            sid = engine.open("case", actor=office, data={{"phase": "search"}}).stream_id
            engine.fire(sid, "acknowledge", actor=Actor("vp-1", "confidential_advisor"))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert (done.stdout, done.stderr) == ("", "")


def test_one_record_per_command_with_its_context(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Each command logs stream, command, outcome and duration; never ids of people."""
    caplog.set_level(logging.INFO, logger="stageborging")
    sid = journey(engine).open()
    engine.fire(sid, "begin_search", actor=STUDENT)
    with pytest.raises(InvalidInput):
        engine.fire(sid, "start", actor=STUDENT)
    records = [r for r in caplog.records if r.name == "stageborging"]
    assert [(r.command, r.outcome) for r in records] == [  # type: ignore[attr-defined]
        ("open", "ok"),
        ("begin_search", "ok"),
        ("start", "invalid"),
    ]
    for record in records:
        assert record.stream == sid  # type: ignore[attr-defined]
        assert record.duration_ms >= 0  # type: ignore[attr-defined]
        text = repr(vars(record))
        assert STUDENT.id not in text
        assert "stu-1" not in text  # the student's pseudonymous id from the opening data


def test_invalid_input_logs_the_field_not_the_value(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The log names the offending field but never echoes the value (it may be personal)."""
    caplog.set_level(logging.INFO, logger="stageborging")
    sid = journey(engine).open()
    engine.fire(sid, "begin_search", actor=STUDENT)
    with pytest.raises(InvalidInput):
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "Bakkerij Jansen"})
    (record,) = [r for r in caplog.records if getattr(r, "outcome", None) == "invalid"]
    assert record.field == "data.employer"  # type: ignore[attr-defined]
    assert "Jansen" not in repr(vars(record))
