"""axe-core in a Playwright page: WCAG 2.2 AA and axe's best practices, from node_modules (offline).

`make install` installs axe-core from package-lock.json with `npm ci`. Without it the
checks skip, unless LINKBOOK_REQUIRE_BROWSER is set (as in CI), where they fail.
"""

from __future__ import annotations

import os

import pytest

from support import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Rules axe ships switched off (experimental) that the book is held to.
EXTRA_RULES = ["label-content-name-mismatch", "p-as-heading"]


def axe_source() -> str:
    if not AXE.is_file():
        if os.environ.get("LINKBOOK_REQUIRE_BROWSER"):
            pytest.fail(f"axe-core is required (LINKBOOK_REQUIRE_BROWSER=1) but {AXE} is missing: run make install")
        pytest.skip("axe-core is not installed (make install runs npm ci)")
    return AXE.read_text(encoding="utf-8")


def set_mode(page, mode: str) -> None:
    """Switch the theme to light or dark as its own switch does (data-mode and data-theme on <html>)."""
    page.evaluate("""mode => { const html = document.documentElement;
        html.dataset.mode = mode; html.dataset.theme = mode; localStorage.setItem('mode', mode);
        localStorage.setItem('theme', mode); }""", mode)
    settle(page)


def settle(page) -> None:
    """Wait until the theme's colour transitions and the dropdowns' fade-in have ended: axe
    measures colours as drawn, and a half-faded text reads as low contrast."""
    page.wait_for_timeout(50)
    page.evaluate("Promise.all(document.getAnimations().map(a => a.finished)).then(() => true)")


def open_dropdowns(page, opened: bool) -> None:
    """Open (or close) every <details> dropdown: excerpts, CMOC and code toggles."""
    page.evaluate("opened => document.querySelectorAll('details').forEach(d => { d.open = opened; })", opened)
    settle(page)


def violations(page) -> list[str]:
    """One line per axe violation on the page as it is now: rule, impact, and the first elements."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate("""([tags, extra]) => axe.run(document, {
        runOnly: {type: 'tag', values: tags},
        rules: Object.fromEntries(extra.map(r => [r, {enabled: true}])),
        resultTypes: ['violations'],
    }).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, n: v.nodes.length,
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 160))})))""",
                           [TAGS, EXTRA_RULES])
    return [f"{v['id']} ({v['impact']}, {v['n']} elements): " + " | ".join(v["nodes"]) for v in result]
