"""The book as readers get it: WCAG 2.2 AA on every page (axe-core, keyboard, reflow, both
colour modes), the offline PDF, how to cite, the glossary, and what a page weighs.

One build of the embedded dataset, with `--pdf`, serves every test here. Browser tests
drive Debian's Chromium; axe-core comes from node_modules (make install runs npm ci).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from pathlib import Path

import pytest
import yaml

from support import ROOT
from support.axe import open_dropdowns, set_mode, violations
from support.pipeline import linkbook, make_project


BUILT_BETWEEN: list[dt.date] = []  # the UTC dates when the book fixture's build started and ended


def utc_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    project = make_project(tmp_path_factory.mktemp("reading"))
    started = utc_today()
    completed = linkbook(project, "build", "--jobs", "2", "--pdf")
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    BUILT_BETWEEN[:] = [started, utc_today()]
    return project


def pages(book: Path) -> list[Path]:
    html = book / "_build" / "html"
    return sorted(p for p in html.rglob("*.html")
                  if "_static" not in p.parts and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8"))


def open_page(page, path: Path, width: int = 1280) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")


# --- WCAG 2.2 AA ---


def test_axe_finds_no_violation_on_any_page_in_either_mode_with_dropdowns_open_or_closed(book, page):
    found = []
    for path in pages(book):
        open_page(page, path)
        for mode in ("light", "dark"):
            set_mode(page, mode)
            for opened in (False, True):
                open_dropdowns(page, opened)
                found += [f"{path.name} {mode} {'open' if opened else 'closed'}: {v}" for v in violations(page)]
    assert found == [], "\n".join(found)


CONTRAST = """el => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] > 0.5) { bg = c; break; }
    node = node.parentElement;
  }
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg || [255, 255, 255])].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def test_excerpts_and_cmoc_dropdowns_are_readable_in_both_modes(book, page):
    realist = book / "_build" / "html" / "book" / "generated" / "synthesis" / "realist.html"
    open_page(page, realist)
    open_dropdowns(page, True)
    texts = page.locator("main details .sd-summary-content p, main details .excerpt-text")
    assert texts.count() > 50
    for mode in ("light", "dark"):
        set_mode(page, mode)
        ratios = [texts.nth(i).evaluate(CONTRAST) for i in range(0, texts.count(), max(texts.count() // 40, 1))]
        assert min(ratios) >= 4.5, (mode, min(ratios))


def _focus_shows(page, locator) -> bool:
    """Whether reaching `locator` by keyboard draws a focus ring (an outline of at least 2 px)
    that changes how it looks on screen (not clipped away)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    clip = {"x": max(box["x"] - 6, 0), "y": max(box["y"] - 6, 0), "width": box["width"] + 12,
            "height": box["height"] + 12}
    page.evaluate("document.activeElement && document.activeElement.blur()")
    before = page.screenshot(clip=clip)
    locator.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")  # reached by keyboard, so :focus-visible applies
    if not locator.evaluate("el => el === document.activeElement"):
        return False
    ring = locator.evaluate("el => { const s = getComputedStyle(el); return s.outlineStyle !== 'none' ? "
                            "parseFloat(s.outlineWidth) : 0; }")
    return ring >= 2 and page.screenshot(clip=clip) != before


def test_the_keyboard_reaches_every_dropdown_and_shows_where_it_is(book, page):
    site = book / "_build" / "html" / "book" / "generated" / "sites" / "S2.html"
    open_page(page, site)
    summaries = page.locator("main summary")
    wanted = summaries.count()
    assert wanted > 5
    page.evaluate("document.querySelectorAll('main summary').forEach((s, i) => s.dataset.walk = i)")
    reached = set()
    for _ in range(2000):
        page.keyboard.press("Tab")
        index = page.evaluate("document.activeElement && document.activeElement.dataset.walk")
        if index is not None:
            reached.add(index)
        if len(reached) == wanted:
            break
    assert len(reached) == wanted
    for mode in ("light", "dark"):
        set_mode(page, mode)
        for selector in ("main details.sd-dropdown > summary", "main details.hide > summary",
                         ".bd-header-article .dropdown-toggle", ".search-button__button >> nth=0",
                         ".theme-switch-button >> nth=0", ".bd-sidebar-primary a.reference >> nth=0"):
            control = page.locator(selector).first
            assert control.count() == 1, selector
            assert _focus_shows(page, control), f"{mode}: no visible focus on {selector}"


def test_every_page_reflows_at_320_px_without_scrolling_sideways(book, page):
    wide = []
    for path in pages(book):
        open_page(page, path, width=320)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 1:
            wide.append(f"{path.name}: {overflow} px")
    assert wide == []


def test_figure_text_is_at_least_10_px_at_1280_px(book, page):
    """Font sizes read from each SVG, scaled by the width the browser shows it at."""
    small = []
    for path in pages(book):
        open_page(page, path)
        shown = page.eval_on_selector_all("main img", "imgs => imgs.filter(i => i.src.endsWith('.svg'))"
                                          ".map(i => [i.getAttribute('src'), i.getBoundingClientRect().width])")
        for src, width in shown:
            svg = (path.parent / src).read_text(encoding="utf-8")
            units = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))
            sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg)]
            sizes += [float(s) for s in re.findall(r"font: (?:[\w-]+ )*([\d.]+)px", svg)]
            if sizes and min(sizes) * width / units < 9.9:
                small.append(f"{path.name} {Path(src).name[:10]}: {min(sizes) * width / units:.1f} px")
    assert small == []


# --- print and PDF ---


def _pdf(book: Path):
    from pypdf import PdfReader

    return PdfReader(book / "_build" / "pdf" / "book.pdf")


def test_every_pdf_page_says_the_data_are_synthetic_and_there_is_a_contents_page(book):
    reader = _pdf(book)
    texts = [p.extract_text() or "" for p in reader.pages]
    assert len(texts) > 50
    assert [i + 1 for i, t in enumerate(texts) if "SYNTHETIC DATA" not in t] == []
    contents = texts[0]
    assert "Contents" in contents
    toc = yaml.safe_load((book / "book" / "generated" / "_toc.yml").read_text(encoding="utf-8"))
    sites = [c["file"] for p in toc["parts"] if p["caption"] == "Sites" for c in p["chapters"]]
    for site in sites:  # every chapter listed with the page it starts on, and bookmarked
        number = re.search(rf"Site {Path(site).name}: [^\n]* (\d+)$", contents, re.M)  # title says what the site is
        assert number, site
        assert f"Site {Path(site).name}" in texts[int(number.group(1)) - 1]
    assert len(reader.outline) >= len(sites) + 10


def test_the_pdf_prints_excerpts_open_figures_as_vectors_and_no_code(book):
    reader = _pdf(book)
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", " ".join(p.extract_text() or "" for p in reader.pages)))
    realist = (book / "_build" / "html" / "book" / "generated" / "synthesis" / "realist.html").read_text(encoding="utf-8")
    excerpts = re.findall(r'<span class="excerpt-text">([^<]{30,80})', realist)
    assert len(excerpts) > 10
    assert all(re.sub(r"\s+", " ", e.replace("&#x27;", "'").replace("&quot;", '"'))[:30] in text
               for e in excerpts[::max(len(excerpts) // 10, 1)])
    figures = list((book / "_build" / "html" / "_images").iterdir())
    assert figures and all(f.suffix == ".svg" for f in figures)
    # Figures print as vectors: the only raster images are the ones drawn inside the SVGs
    # (matplotlib's heat-map cells), and the figures' words are text in the PDF.
    inside_svgs = sum(f.read_text(encoding="utf-8").count("<image") for f in figures)
    assert sum(len(p.images) for p in reader.pages) <= inside_svgs
    assert "wave 2 minus wave 1" in text  # the forest plot's axis label, as text
    assert "import pandas" not in text
    assert "The data behind this figure" not in text and "More detail:" not in text  # left to the HTML book


def test_the_print_style_sheet_keeps_the_banner_on_every_page(book, page):
    open_page(page, book / "_build" / "html" / "book" / "methods.html")
    page.emulate_media(media="print")
    assert page.locator(".bd-header-announcement").is_visible()
    sheet = (book / "_build" / "html" / "_static" / "linkbook-print-banner.css").read_text(encoding="utf-8")
    assert "@top-center" in sheet and "SYNTHETIC DATA" in sheet


# --- citing, glossary, weight ---


def test_how_to_cite_gives_the_version_commit_build_date_and_licences(book):
    index = re.sub(r"\s+", " ", (book / "_build" / "html" / "book" / "index.html").read_text(encoding="utf-8"))
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["version"] == version
    section = index[index.index('id="how-to-cite'):index.index('id="funding')]
    assert f"version {version}" in section
    dates = {dt.date.fromisoformat(d) for d in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", section)}
    first, last = BUILT_BETWEEN  # a build that runs past midnight may carry either day
    assert len(dates) == 1 and first <= dates.pop() <= last, dates
    assert "not built from a git checkout" in section  # the throw-away copy is no checkout
    assert "CC BY 4.0" in section and cff["license"] in section


def test_glossary_terms_are_linked_from_the_chapters(book):
    html = book / "_build" / "html" / "book"
    glossary = (html / "glossary.html").read_text(encoding="utf-8")
    terms = re.findall(r'<dt id="(term-[^"]+)"', glossary)
    assert len(terms) >= 12
    chapters = " ".join(p.read_text(encoding="utf-8") for p in html.glob("*.html") if p.name != "glossary.html")
    unlinked = [t for t in terms if f'glossary.html#{t}"' not in chapters]
    assert unlinked == []


def test_pages_load_no_font_awesome_javascript_and_still_draw_icons(book, page):
    open_page(page, book / "_build" / "html" / "book" / "methods.html")
    page.wait_for_timeout(300)
    assert not [r for r in page.requests if "fontawesome" in r and ".js" in r]
    assert not (book / "_build" / "html" / "_static" / "scripts" / "fontawesome.js").exists()
    icon = page.locator(".search-button__button i").first
    assert icon.evaluate("i => getComputedStyle(i, '::before').content") not in ("none", "normal", '""')
    assert icon.bounding_box()["width"] > 8  # drawn, from the web font
    assert "Font Awesome 6 Free loaded" in page.evaluate("[...document.fonts].map(f => f.family + ' ' + f.status)")
