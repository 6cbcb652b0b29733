"""Page weight of a built book: bytes and requests per page, as headless Chromium loads it.

    .venv/bin/python benchmarks/page_weight.py [PROJECT ...]

For each project (default: this checkout) loads every page of _build/html at 1280 x 900 from
disk, waits for it to settle, and sums the response bodies of every request (the page, its
style sheets, scripts, fonts and figures). Prints one Markdown table row per project.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"


def weigh(html: Path, browser) -> list[tuple[str, int, int, int]]:
    """(page, requests, bytes, bytes from _static) for every page of the book in `html`."""
    rows = []
    for path in sorted(html.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if "_static" in path.parts or 'http-equiv="Refresh"' in text:
            continue
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        sizes: dict[str, int] = {}
        page.on("requestfinished", lambda r, sizes=sizes: sizes.__setitem__(r.url, r.sizes()["responseBodySize"]))
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(500)
        static = sum(size for url, size in sizes.items() if "/_static/" in url)
        rows.append((str(path.relative_to(html)), len(sizes), sum(sizes.values()), static))
        page.close()
    return rows


def main(projects: list[str]) -> None:
    print("| build | pages | requests per page (median, range) | bytes per page (median) | of which theme assets |")
    print("|---|---|---|---|---|")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for project in projects or ["."]:
            rows = weigh(Path(project) / "_build" / "html", browser)
            requests = [r[1] for r in rows]
            print(f"| {project} | {len(rows)} | {statistics.median(requests):.0f} ({min(requests)}-{max(requests)}) | "
                  f"{statistics.median(r[2] for r in rows) / 1e6:.2f} MB | "
                  f"{statistics.median(r[3] for r in rows) / 1e6:.2f} MB |")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
