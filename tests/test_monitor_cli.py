"""``stageborging monitor`` on the demo's database: every measure, in each format, never
a small count, and the HTML page in a real headless browser."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from stageborging.cli import main
from stageborging.monitoring import MEASURES, SCHEMA
from support import postgres_dsn, postgres_schema
from support.browser import needs_chromium, opened

EVERY_TABLE = {name for names in MEASURES.values() for name in names}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("monitor") / "demo.db"
    code, output = run("demo", "--db", str(db), "--students", "60")
    assert code == 0, output
    return db


def published_values(document: dict[str, object]) -> list[int]:
    values = []
    for table in document["tables"]:  # type: ignore[attr-defined]
        for row in (*table["rows"], table["total"]):
            values += [c["value"] for c in row["cells"].values() if c["status"] == "published"]
    return values


def test_json_holds_every_measure_and_no_small_count(demo_db: Path) -> None:
    code, output = run("monitor", "--db", str(demo_db), "--format", "json")
    assert code == 0, output
    document = json.loads(output)
    assert document["schema"] == SCHEMA
    assert {t["name"] for t in document["tables"]} == EVERY_TABLE
    assert all(v == 0 or v >= 5 for v in published_values(document))
    hidden = sum(t["suppressed"]["cells"] for t in document["tables"])
    assert hidden == document["suppressed"]["cells"] > 0
    assert set(document["suppressed"]) == {"cells"}  # never by reason: that tells which
    for table in document["tables"]:
        assert table["total"]["key"] == {}
        for row in (*table["rows"], table["total"]):
            for cell in row["cells"].values():
                assert cell["status"] in ("published", "suppressed")
                assert (cell["value"] is None) == (cell["status"] == "suppressed")
    # a higher threshold hides more
    code, output = run("monitor", "--db", str(demo_db), "--format", "json", "--min-cell", "10")
    assert all(v == 0 or v >= 10 for v in published_values(json.loads(output)))


def test_table_and_csv(demo_db: Path) -> None:
    code, output = run("monitor", "--db", str(demo_db))
    assert code == 0, output
    for section in MEASURES:
        assert f"== {section} ==" in output
    assert "every count from 1 to 4" in output
    assert "<n" not in output  # every hidden cell is marked alike
    code, output = run("monitor", "--db", str(demo_db), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(output)))
    assert {r["table"] for r in rows} == EVERY_TABLE | {"release"}
    about = {r["column"]: r["value"] for r in rows if r["table"] == "release"}
    assert about["min_cell"] == "5"
    assert about["schema"] == SCHEMA
    for table in EVERY_TABLE:  # each table's definition travels with it
        assert any(r["table"] == table and r["column"] == "definition" for r in rows)
    assert {r["status"] for r in rows} <= {"about", "published", "suppressed", "not_published"}
    figures = {"quartile_1", "median", "quartile_3", "days_to_acknowledgement", "days_to_intake",
               "invitation_rate", "norm_met"}  # fmt: skip
    for r in rows:
        if r["status"] == "suppressed":
            assert r["value"] == ""
        elif r["status"] == "published" and r["column"] not in figures:
            assert int(r["value"]) == 0 or int(r["value"]) >= 5


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--min-cell", "2"], "--min-cell"),
        (["--by", "colour"], "by"),
        (["--period", "soon"], "period"),
        (["--at", "2027-02-30"], "at"),
        (["--by", "group"], "by"),
    ],
)
def test_bad_options_are_named_and_nothing_is_written(
    demo_db: Path, args: list[str], named: str
) -> None:
    before = demo_db.stat().st_mtime_ns
    code, output = run("monitor", "--db", str(demo_db), *args)
    assert code == 2
    assert named in output
    assert "Traceback" not in output
    assert demo_db.stat().st_mtime_ns == before


def test_out_never_overwrites_the_database(demo_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_db.read_bytes())
    size = copy.stat().st_size
    for out in (copy, Path(f"{copy}.key"), demo_db):
        code, output = run("monitor", "--db", str(copy), "--out", str(out))
        assert code == 2, output
        assert "--out" in output
    assert copy.stat().st_size == size
    code, output = run("monitor", "--db", str(copy), "--out", str(tmp_path / "no" / "m.txt"))
    assert code == 2
    assert "--out" in output
    assert "cannot be written" in output
    code, output = run("monitor", "--db", str(copy), "--out", str(tmp_path / "m.txt"))
    assert code == 0
    assert (tmp_path / "m.txt").read_text().startswith("Monitoring at")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    code, _output = run("monitor", "--db", str(tmp_path / "none.db"))
    assert code != 0
    assert not (tmp_path / "none.db").exists()


@pytest.mark.skipif(not postgres_dsn(), reason="PostgreSQL: set STAGEBORGING_TEST_POSTGRES_DSN")
def test_the_demo_on_postgresql_is_monitored_alike() -> None:
    dsn = postgres_dsn()
    assert dsn is not None
    with postgres_schema(dsn) as url:
        code, output = run("demo", "--db", url, "--students", "30")
        assert code == 0, output
        code, output = run("monitor", "--db", url, "--format", "json")
        assert code == 0, output
        document = json.loads(output)
        assert {t["name"] for t in document["tables"]} == EVERY_TABLE
        assert all(v == 0 or v >= 5 for v in published_values(document))


@needs_chromium
def test_the_html_page_renders_in_a_browser_without_requests_or_errors(
    demo_db: Path, tmp_path: Path
) -> None:
    page_file = tmp_path / "monitor.html"
    code, output = run("monitor", "--db", str(demo_db), "--format", "html", "--out", str(page_file))
    assert code == 0, output
    html = page_file.read_text()
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html
    with opened(page_file) as (page, errors, requests):
        assert errors == []
        assert requests == [page_file.as_uri()]  # the page itself, nothing else
        assert page.locator("h1").inner_text().startswith("Safeguarding internships")
        assert page.locator("table").count() == len(EVERY_TABLE)
        assert page.locator("th[scope=col]").count() > 0
        charts = page.locator("svg[role=img]")
        assert charts.count() >= 1
        for n in range(charts.count()):
            box = charts.nth(n).bounding_box()
            assert box is not None
            assert box["width"] > 0
            assert box["height"] > 0
        # a hidden cell shows its mark, never a number
        hidden = page.locator("td.hidden").all_inner_texts()
        assert hidden
        assert set(hidden) == {"x"}
        shot = page.screenshot(full_page=True)
        assert len(shot) > 10_000
        page.emulate_media(media="print")
        assert page.locator("table").first.is_visible()
