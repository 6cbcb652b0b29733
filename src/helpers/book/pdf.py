"""`linkbook build --pdf`: the built HTML book printed to one PDF, offline.

Each page of the table of contents is opened in the installed Chromium (through
Playwright), with every excerpt and CMOC dropdown open, and printed with the book's
print style sheet: figures stay SVG (vector), code is left out, and in a synthetic
build the page margin of every printed page carries the synthetic banner. The pages
are joined with pypdf behind a table of contents (a contents page with each chapter's
first page, and PDF bookmarks). Nothing is fetched from the network.
"""

from __future__ import annotations

import io
import os
from html import escape
from pathlib import Path

import yaml


CHROMIUM = Path(os.environ.get("LINKBOOK_CHROMIUM", "/usr/bin/chromium"))
PDF_NAME = "book.pdf"


class PdfUnavailable(RuntimeError):
    """Chromium, Playwright or pypdf is missing: the HTML book is built, the PDF is not."""


def toc_documents(toc_file: Path) -> list[str]:
    """The book's pages in reading order (document names, as in the generated _toc.yml)."""
    toc = yaml.safe_load(toc_file.read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return names


def _contents_html(entries: list[tuple[str, int]], banner_css: str) -> str:
    rows = "".join(f'<li><span class="t">{escape(title)}</span><span class="p">{page}</span></li>'
                   for title, page in entries)
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Contents</title><style>"
            "body{font:11pt sans-serif;color:#14181e} ol{list-style:none;padding:0} li{display:flex;"
            "justify-content:space-between;border-bottom:1px dotted #999;padding:3px 0} "
            f"{banner_css}</style></head><body><h1>Contents</h1><ol>{rows}</ol></body></html>")


def write_book_pdf(html: Path, toc_file: Path, out: Path) -> Path:
    """Print the book in `html` (pages in the order of `toc_file`) to `out`; returns `out`."""
    try:
        from playwright.sync_api import sync_playwright
        from pypdf import PdfReader, PdfWriter
    except ImportError as err:
        raise PdfUnavailable(f"the PDF needs Playwright and pypdf ({err.name} is not installed)") from None
    if not CHROMIUM.exists():
        raise PdfUnavailable(f"the PDF needs Chromium at {CHROMIUM} (set LINKBOOK_CHROMIUM)")
    banner_file = html / "_static" / "linkbook-print-banner.css"
    banner_css = banner_file.read_text(encoding="utf-8") if banner_file.is_file() else ""
    chapters: list[tuple[str, bytes]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.route("http*://**", lambda route: route.abort())  # offline, whatever a page asks for
            page.emulate_media(media="print")
            for name in toc_documents(toc_file):
                path = html / f"{name}.html"
                if not path.is_file():
                    continue
                page.goto(path.as_uri(), wait_until="load")
                page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
                title = page.evaluate("(document.querySelector('main h1') || document.querySelector('h1') || "
                                      "{textContent: document.title}).textContent.replace('#', '').trim()")
                chapters.append((title, page.pdf(format="A4", print_background=True, prefer_css_page_size=True)))
            counts = [len(PdfReader(io.BytesIO(data)).pages) for _, data in chapters]
            contents_pages, contents = 1, b""
            for _ in range(3):  # the contents' own length moves every start page
                starts, page_no = [], contents_pages + 1
                for n in counts:
                    starts.append(page_no)
                    page_no += n
                page.set_content(_contents_html([(t, s) for (t, _), s in zip(chapters, starts)], banner_css))
                contents = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
                if len(PdfReader(io.BytesIO(contents)).pages) == contents_pages:
                    break
                contents_pages = len(PdfReader(io.BytesIO(contents)).pages)
        finally:
            browser.close()
    writer = PdfWriter()
    writer.append(io.BytesIO(contents))
    for title, data in chapters:
        writer.append(io.BytesIO(data), outline_item=title)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    with partial.open("wb") as handle:
        writer.write(handle)
    partial.replace(out)
    return out

