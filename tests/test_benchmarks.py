"""The benchmark keeps running as the library changes (its figures are not asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_bench_fire_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run of bench_fire prints every figure, so a change to the API cannot break it."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_fire
    finally:
        sys.path.remove(str(BENCHMARKS))
    args = ["--n", "5", "--streams", "2", "--block", "5", "--memory-n", "3"]
    assert bench_fire.main([*args, "--db-dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for line in ("engine cpu per fire NORMAL median", "fire/floor ratio (FULL)",
                 "verify_database throughput", "target dry-run"):  # fmt: skip
        assert line in printed


def test_bench_scale_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run of bench_scale (one process, SQLite, and PostgreSQL where configured)."""
    sys.path.insert(0, str(BENCHMARKS))  # kept while it runs: its processes import it too
    try:
        import bench_scale

        assert bench_scale.main(["--n", "4", "--procs", "1", "--batched", "6", "--batch", "4"]) == 0
    finally:
        sys.path.remove(str(BENCHMARKS))
    printed = capsys.readouterr().out
    assert "sqlite fire 1 proc" in printed
    assert "sqlite engine/floor ratio 1 proc" in printed
    assert "sqlite batched open engine share of floor" in printed
    assert "sqlite batched fire engine share of floor" in printed


def test_bench_queries_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run of bench_queries prints a first-page figure per query and backend."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_queries

        assert bench_queries.main(["--streams", "300", "--repeat", "1"]) == 0
    finally:
        sys.path.remove(str(BENCHMARKS))
    printed = capsys.readouterr().out
    assert "sqlite first page, student" in printed
    assert "sqlite first page, planned-start window" in printed


def test_bench_tick_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run of bench_tick prints the idle tick, its floor and the busy rates."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_tick

        assert bench_tick.main(["--idle", "200", "--due", "20", "--repeat", "1"]) == 0
    finally:
        sys.path.remove(str(BENCHMARKS))
    printed = capsys.readouterr().out
    for line in ("sqlite idle tick", "sqlite idle floor", "sqlite escalations per second",
                 "sqlite tick share of floor"):  # fmt: skip
        assert line in printed


def test_bench_privacy_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run of bench_privacy prints sealing, reading, erasure and retention figures."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_privacy

        assert bench_privacy.main(["--n", "8", "--erase", "2", "--dsn", ""]) == 0
    finally:
        sys.path.remove(str(BENCHMARKS))
    printed = capsys.readouterr().out
    for line in ("sqlite sealed/plain open ratio", "sqlite reveal median",
                 "sqlite erase median (no scrub)", "sqlite erasure_due scan",
                 "sqlite verify (8 sealed, 2 erased)"):  # fmt: skip
        assert line in printed


def test_bench_safeguarding_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run of bench_safeguarding prints the cascade, notice and pattern figures."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_safeguarding

        assert bench_safeguarding.main(["--placements", "6", "--applications", "200",
                                        "--dsn", ""]) == 0  # fmt: skip
    finally:
        sys.path.remove(str(BENCHMARKS))
    printed = capsys.readouterr().out
    for line in ("sqlite revocation cascade (6 placements ended)", "sqlite cascade per placement",
                 "sqlite block notices (6 coaches asked)", "sqlite pattern run (200 applications",
                 "sqlite verify: ok"):  # fmt: skip
        assert line in printed


def test_bench_monitor_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run of bench_monitor prints its figures (SQLite; PostgreSQL where configured)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_monitor

        assert bench_monitor.main(["--students", "12", "--runs", "1"]) == 0
    finally:
        sys.path.remove(str(BENCHMARKS))
    out = capsys.readouterr().out
    assert "sqlite monitor / floor:" in out
    assert "suppression of a 200 x 10 table:" in out


def test_bench_dispatch_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run of bench_dispatch prints its figures (SQLite; PostgreSQL where configured)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_dispatch

        assert bench_dispatch.main(["--entries", "20"]) == 0
    finally:
        sys.path.remove(str(BENCHMARKS))
    out = capsys.readouterr().out
    assert "sqlite dispatch / floor (time):" in out
    assert "sqlite three dispatchers:" in out


def test_bench_verify_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run of bench_verify prints its figures."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_verify

        assert bench_verify.main(["--events", "600", "--small", "300"]) == 0
    finally:
        sys.path.remove(str(BENCHMARKS))
    out = capsys.readouterr().out
    assert "one process: " in out
    assert "workers=auto (1): " in out  # a small log: one process
    assert out.count("verify / floor: ") == 4
    assert "merkle head over 600 hashes:" in out
