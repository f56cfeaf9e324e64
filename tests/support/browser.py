"""A page opened in the system's headless Chromium (Debian's ``chromium``) through
Playwright, with every console error and every request it made kept."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Skips a test where no Chromium is installed, saying how to get one.
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium)"
)


@contextmanager
def opened(page_file: Path) -> Iterator[tuple[Any, list[str], list[str]]]:
    """The page of *page_file*, loaded, with the errors it logged and the URLs it asked
    for (as they come)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the tests extra")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            yield page, errors, requests
        finally:
            browser.close()
