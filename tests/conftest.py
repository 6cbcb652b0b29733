"""Test-suite set-up: `tests/` on the import path for `support`, and markers by folder.

tests/unit/<layer>/ hold fast tests on hand-made or embedded data; tests/functional/
run the command line, the pipeline, the watcher, the book build and the browser.
Every test under functional/ is marked `functional`, so `-m "not functional"` (or
`make test-fast`) runs the unit tests alone; tests that use the `browser` fixture are
marked `browser`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.browser import browser, page  # noqa: F401 - fixtures for every test module

FUNCTIONAL = Path(__file__).resolve().parent / "functional"


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(FUNCTIONAL):
            item.add_marker(pytest.mark.functional)
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
