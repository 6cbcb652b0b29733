"""The built book: offline, labelled, traceable, and working in a real browser.

One build of the embedded dataset in a throw-away copy of the project serves every
test here. Browser tests drive Debian's Chromium through Playwright; they skip
when Chromium is missing, unless LINKBOOK_REQUIRE_BROWSER=1 (as in CI).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pandas as pd
import pytest

from support.pipeline import linkbook, make_project

from support import ROOT



@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    project = make_project(tmp_path_factory.mktemp("book"))
    completed = linkbook(project, "build", "--jobs", "2")
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return project


def html_pages(book: Path) -> list[Path]:
    """Every rendered page (not the root redirect that jupyter-book writes to the first chapter)."""
    html = book / "_build" / "html"
    return sorted(p for p in html.rglob("*.html")
                  if "_static" not in p.parts and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8"))


class _Tags(HTMLParser):
    """Start tags of a page, each with whether it lies inside the page's article."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self._depth = 0  # open tags since the article began (0: outside)

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._depth and tag not in self.VOID:
            self._depth += 1
        elif tag == "article" and "bd-article" in (attrs.get("class") or ""):
            self._depth = 1
        self.tags.append((tag, attrs, self._depth > 0))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs), self._depth > 0))

    def handle_endtag(self, tag):
        if self._depth and tag not in self.VOID:
            self._depth -= 1


def tags(path: Path, article_only: bool = False):
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return [(tag, attrs) for tag, attrs, inside in parser.tags if inside or not article_only]


def test_the_book_makes_no_network_request(book):
    for page in html_pages(book):
        for tag, attrs in tags(page):
            loads = (tag == "script" and "src" in attrs) or (tag == "img") or \
                    (tag == "link" and attrs.get("rel") not in ("canonical",) and "href" in attrs) or \
                    (tag == "iframe")
            url = attrs.get("src") or attrs.get("href") or ""
            if loads:
                assert not re.match(r"(https?:)?//", url), f"{page.name} loads {url}"
    for asset in (book / "_build" / "html" / "_static").rglob("*.css"):
        text = asset.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"(@import|url\()\s*['\"]?(https?:)?//", text), asset.name


def test_every_page_carries_the_synthetic_banner(book):
    pages = html_pages(book)
    assert len(pages) > 15
    missing = [p.name for p in pages if "SYNTHETIC DATA" not in p.read_text(encoding="utf-8")]
    assert missing == []


def test_every_executed_page_has_provenance_and_no_raw_parameter_cell(book):
    generated = book / "_build" / "html" / "book" / "generated"
    executed = [p for p in generated.rglob("*.html") if (book / "book" / "generated" /
                                                         p.relative_to(generated)).with_suffix(".ipynb").exists()]
    assert len(executed) >= 10
    for page in executed:
        text = page.read_text(encoding="utf-8")
        assert "Provenance: how this page was made" in text, page.name
        assert "# Parameters" not in text and "injected-parameters" not in text, page.name


def test_published_notebooks_name_no_machine_path(book):
    """A notebook runs with its results in a staging folder on this machine (a random run name):
    the notebook offered for download names the planned results folder instead."""
    sources = book / "_build" / "html" / "_sources" / "book" / "generated"
    notebooks = sorted(sources.rglob("*.ipynb"))
    assert len(notebooks) >= 10
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        assert str(book) not in text and ".linkbook-cache" not in text and "staging" not in text, path.name
    site = (sources / "sites" / "S1.ipynb").read_text(encoding="utf-8")
    assert "results/parts/site-S1" in site and 'site_data = None' in site  # re-run: reads the dataset


def test_executed_notebooks_are_downloadable(book):
    sources = book / "_build" / "html" / "_sources" / "book" / "generated" / "sites"
    assert sorted(p.name for p in sources.glob("*.ipynb")) == [f"S{i}.ipynb" for i in range(1, 8)]


def test_headings_nest_and_every_page_has_one_title(book):
    for page in html_pages(book):
        if page.name in ("search.html", "genindex.html"):
            continue
        levels = [int(tag[1]) for tag, attrs in tags(page, article_only=True) if re.fullmatch(r"h[1-6]", tag)]
        assert levels.count(1) == 1, page
        for before, after in zip(levels, levels[1:]):
            assert after <= before + 1, f"{page}: h{before} followed by h{after}"


def test_figures_have_alt_text(book):
    for page in html_pages(book):
        for tag, attrs in tags(page):
            if tag == "img" and "_images" in attrs.get("src", ""):
                alt = attrs.get("alt", "")
                assert alt and "_images" not in alt and not alt.endswith(".png"), f"{page.name}: {attrs['src']}"


def test_summary_numbers_are_the_results_files(book):
    text = re.sub(r"\s+", " ", (book / "_build" / "html" / "book" / "summary.html").read_text(encoding="utf-8"))
    outcomes = pd.read_csv(book / "results" / "outcomes.csv").set_index(["site_id", "measure"])
    for measure in ("ons_life_satisfaction", "ons_anxious", "gse_total"):
        row = outcomes.loc[("ALL", measure)]
        assert f"change {row['mean_diff']:+.2f}, 95% CI {row['ci95_low']:.2f} to {row['ci95_high']:.2f}" in text
    change = pd.read_csv(book / "results" / "gp_change.csv").set_index(["site_id", "comparison"])
    for comparison in ("level_change", "window_naive"):  # the headline, and the naive figure named as such
        row = change.loc[("ALL", comparison)]
        assert (f"rate ratio of {row['rate_ratio']:.2f} (95% CI {row['ci95_low']:.2f} to {row['ci95_high']:.2f}, "
                f"t with {int(row['df'])} df") in text
    assert "naive comparison" in text and "primary outcomes" in text
    holm = outcomes.loc[("ALL", "ons_life_satisfaction"), "p_holm"]
    assert f"Holm-adjusted over the 2 primary outcomes {holm:.3f}" in text


def test_no_row_level_questionnaire_data_is_published(book):
    html = book / "_build" / "html"
    assert not list(html.rglob("*.csv")), "a data file was copied into the book"


# --- in a real browser (fixtures `browser` and `page`: tests/support/browser.py) ---


def url(book: Path, relative: str) -> str:
    return (book / "_build" / "html" / relative).as_uri()


def screenshot(book: Path, page, name: str) -> None:
    """Save a full-page screenshot in the built project and in this checkout's _build/screenshots/."""
    for folder in (book / "_build" / "screenshots", ROOT / "_build" / "screenshots"):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name), full_page=True)


def test_index_loads_without_console_errors_or_outside_requests(book, page):
    page.goto(url(book, "index.html"))
    page.wait_for_load_state("load")
    assert page.errors == []
    assert [r for r in page.requests if not r.startswith(("file:", "data:"))] == []
    assert "SYNTHETIC DATA" in page.inner_text("body")
    screenshot(book, page, "index.png")


def test_every_site_is_reachable_from_the_navigation_and_its_figures_load(book, page):
    page.goto(url(book, "index.html"))  # the root redirects to the first chapter
    page.wait_for_url(re.compile(r"book/index\.html$"))
    links = page.locator("nav.bd-docs-nav a.reference", has_text=re.compile(r"^Site ")).all()
    targets = [urljoin(page.url, link.get_attribute("href")) for link in links]
    assert len(targets) == 7
    for target in targets:
        page.goto(target.split("#")[0])
        assert page.locator("h1").first.inner_text().startswith("Site ")
        widths = page.eval_on_selector_all("main img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert widths and all(w > 0 for w in widths), target
        assert page.errors == []
    page.goto(targets[0])
    screenshot(book, page, "site.png")


def test_synthesis_figures_load(book, page):
    for chapter in ("outcomes", "realist", "network"):
        page.goto(url(book, f"book/generated/synthesis/{chapter}.html"))
        widths = page.eval_on_selector_all("main img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert widths and all(w > 0 for w in widths), chapter
    page.goto(url(book, "book/generated/synthesis/outcomes.html"))
    screenshot(book, page, "synthesis.png")


def test_search_finds_a_site_chapter(book, page):
    page.goto(url(book, "search.html") + "?q=Site+S3")
    page.wait_for_selector("ul.search li", timeout=15000)
    hits = page.eval_on_selector_all("ul.search li a", "links => links.map(a => a.getAttribute('href'))")
    assert any("sites/S3.html" in hit for hit in hits), hits
