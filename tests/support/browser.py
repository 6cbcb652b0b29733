"""Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by Playwright, offline.

The fixtures `browser` (one per module) and `page` (one per test, recording console
errors, page errors and every request) are offered to every test by tests/conftest.py;
a test that uses them is marked `browser`. Without Chromium they skip, unless
LINKBOOK_REQUIRE_BROWSER is set (as in CI), where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium, or a skip (a failure under LINKBOOK_REQUIRE_BROWSER) when it is missing."""
    if not CHROMIUM.exists():
        if os.environ.get("LINKBOOK_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (LINKBOOK_REQUIRE_BROWSER=1) but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A new page that records `errors` (console and page errors) and `requests` (every URL asked for)."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    yield page
    page.close()
