"""The once-resolved sidebar writes the same HTML as Sphinx's own per-page resolution."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from sphinx.application import Sphinx

from helpers.book import navigation


def _source(root: Path, regions: int, sites: int) -> Path:
    src = root / "src"
    (src / "sites").mkdir(parents=True)
    (src / "conf.py").write_text("html_theme = 'sphinx_book_theme'\n"
                                 "html_theme_options = {'max_navbar_depth': 2}\n")
    (src / "index.rst").write_text("Home\n====\n\n.. toctree::\n   :caption: Study\n\n   summary\n\n"
                                   ".. toctree::\n   :caption: Sites\n\n   sites/index\n")
    (src / "summary.rst").write_text("Summary\n=======\n\nText.\n\nPart\n----\n\nMore.\n")
    entries = "\n".join(f"   region{r}" for r in range(regions))
    (src / "sites" / "index.rst").write_text(f"All sites\n=========\n\n.. toctree::\n\n{entries}\n")
    for r in range(regions):
        names = "\n".join(f"   site{r}_{s}" for s in range(sites))
        (src / "sites" / f"region{r}.rst").write_text(f"Region {r}\n========\n\n.. toctree::\n\n{names}\n")
        for s in range(sites):
            (src / "sites" / f"site{r}_{s}.rst").write_text(
                f"Site {r}.{s}\n==========\n\nContext\n-------\n\nText.\n\nOutcomes\n--------\n\nText.\n")
    return src


def _build(src: Path, out: Path, cached: bool) -> Path:
    app = Sphinx(str(src), str(src), str(out), str(out / ".doctrees"), "html", status=None, warning=None,
                 freshenv=True)
    if cached:
        navigation.install(app)
    app.build()
    return out


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_every_page_is_byte_identical_to_sphinxs_own_sidebar(tmp_path, depth):
    src = _source(tmp_path, regions=3, sites=4)
    conf = src / "conf.py"
    conf.write_text(conf.read_text().replace("'max_navbar_depth': 2", f"'max_navbar_depth': {depth}"))
    own, cached = _build(src, tmp_path / "own", False), _build(src, tmp_path / "cached", True)
    pages = sorted(p.relative_to(own) for p in own.rglob("*.html"))
    assert len(pages) >= 17
    assert [p for p in pages if not filecmp.cmp(own / p, cached / p, shallow=False)] == []
    # and the sidebar is really there, with the page's branch marked
    site = (cached / "sites" / "site1_2.html").read_text()
    nav = site.split("bd-docs-nav")[1].split("</nav>")[0]
    assert f'class="reference internal" href="{"region1" if depth >= 2 else "index"}.html"' in nav
    assert "current" in nav


def test_a_sidebar_to_depth_two_lists_regions_not_sites(tmp_path):
    out = _build(_source(tmp_path, regions=3, sites=4), tmp_path / "cached", True)
    nav = (out / "summary.html").read_text().split('bd-docs-nav')[1].split("</nav>")[0]
    assert "region2.html" in nav and "site2_3.html" not in nav
