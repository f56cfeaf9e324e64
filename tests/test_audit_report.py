"""``stageborging audit report``: one self-contained HTML page for an auditor, checked
in a real headless browser (Debian's Chromium through Playwright): it renders its
diagrams and tables, logs no console error, asks for nothing from the network, and
prints; in Dutch and English; the refusals' reasons shown, sealed text never."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from stageborging.cli import main
from support.browser import needs_chromium, opened
from test_audit_show import NOTE, reported, story, tampered


def write(db: str, out: Path, *argv: str) -> str:
    result = CliRunner().invoke(main, ["audit", "report", "--db", db, "--html", str(out), *argv])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_the_page_lists_what_is_worth_a_look_and_shows_why(backend: str, tmp_path: Path) -> None:
    sid = story(backend)
    page = write(backend, tmp_path / "report.html")
    assert 'Verification: <span class="ok">intact</span>' in page
    assert f'href="#s-{sid}"' in page  # a refusal makes it worth a look
    assert "signatures.missing: Signatures missing on agreement version 1" in page
    assert "sealed: note" in page
    assert NOTE not in page
    assert not re.search(r"https?://", page)
    assert "<script" not in page
    dutch = write(backend, tmp_path / "rapport.html", "--stream", sid, "--lang", "nl")
    assert '<html lang="nl">' in dutch
    assert "Handtekeningen ontbreken" in dutch
    again = CliRunner().invoke(main, ["audit", "report", "--db", backend, "--html",
                                      str(tmp_path / "report.html")])  # fmt: skip
    assert again.exit_code == 2  # never overwrites


@needs_chromium
def test_the_page_renders_in_a_browser_without_requests_or_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "school.db")
    story(db)
    page_file = tmp_path / "report.html"
    write(db, page_file)
    with opened(page_file) as (page, errors, requests):
        assert errors == []
        assert requests == [page_file.as_uri()]  # the page itself, nothing else
        assert page.locator("h1").inner_text() == "Audit report"
        assert page.locator("th[scope=col]").count() > 0
        assert page.locator("table").count() >= 2  # the streams, and a timeline
        diagrams = page.locator("svg[role=img]")
        assert diagrams.count() >= 1
        box = diagrams.first.bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 30
        # the current state is drawn outlined: a thick stroke on one box
        assert page.locator("svg rect[stroke-width='3']").count() >= 1
        assert page.locator("td.refused").count() > 0
        shot = page.screenshot(full_page=True)
        assert len(shot) > 10_000
        page.emulate_media(media="print")
        assert page.locator("table").first.is_visible()
        assert diagrams.first.is_visible()


def test_a_broken_checkpoint_makes_the_report_say_so_and_exit_1(tmp_path: Path) -> None:
    db = str(tmp_path / "school.db")
    story(db)
    runner = CliRunner()
    key = tmp_path / "k"
    runner.invoke(main, ["audit", "keygen", "--out", str(key)])
    other = tmp_path / "other"
    runner.invoke(main, ["audit", "keygen", "--out", str(other)])
    held = tmp_path / "held.json"
    runner.invoke(main, ["audit", "checkpoint", "--db", db, "--key", str(other),
                         "--out", str(held)])  # fmt: skip
    result = runner.invoke(main, ["audit", "report", "--db", db, "--html",
                                  str(tmp_path / "r.html"), "--checkpoint", str(held),
                                  "--public-key", f"{key}.pub"])  # fmt: skip
    assert result.exit_code == 1
    assert "BROKEN" in result.output
    page = (tmp_path / "r.html").read_text()
    assert page.count("not signed with the trusted key") == 1  # said once, beside it
    assert "chains intact; the checkpoint does not hold" in page


def test_a_stream_that_does_not_verify_comes_first_and_says_so(tmp_path: Path) -> None:
    db = str(tmp_path / "school.db")
    sid = story(db)
    case = reported(db, sid)
    tampered(db, "UPDATE events SET actor_role = 'system' WHERE stream_id = ? AND seq = 2", case)
    result = CliRunner().invoke(main, ["audit", "report", "--db", db, "--html",
                                       str(tmp_path / "r.html"), "--lang", "nl"])  # fmt: skip
    assert result.exit_code == 1
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr><td><a href="#s-([^"]+)">', page)
    assert rows[0] == case  # the broken one first, then the internship it is about
    assert "verifieert niet" in page
    assert "Deze stroom verifieert niet (seq 2: columns actor_id/actor_role" in page
    section = page.split(f'id="s-{sid}"')[1]
    assert f'meldingen hierover: <a href="#s-{case}">{case}</a>' in section
    assert "Weigeringen en hun redenen" in section
    assert "Handtekeningen ontbreken" in section.split("Begeleidingsgaten")[0]
    assert "overeenkomst in ondertekening" in section  # states by their Dutch labels
