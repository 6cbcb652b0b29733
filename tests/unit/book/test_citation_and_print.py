"""How to cite (from CITATION.cff and the checkout) and the print banner's CSS string."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from helpers.book.citation import citation_fields, citation_markdown
from helpers.book.sphinx_ext import css_string, print_banner_css

from support import ROOT


def test_citation_reads_the_cff_file_and_the_checkout(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shutil.copy(ROOT / "CITATION.cff", tmp_path / "CITATION.cff")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13 UTC
    assert citation_fields(tmp_path)["commit"] == "none (not built from a git checkout)"
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "CITATION.cff"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True).stdout.strip()
    cited = citation_fields(tmp_path)
    assert cited["commit"] == head
    assert cited["date"] == "2023-11-14"
    assert cited["version"] and cited["code_licence"] == "MIT"
    (tmp_path / "CITATION.cff").write_text("title: changed\n", encoding="utf-8")
    assert citation_fields(tmp_path)["commit"] == f"{head} with uncommitted changes"


def test_the_citation_page_shows_the_cff_values_as_literal_text(tmp_path, monkeypatch):
    # A title with MyST and HTML syntax renders as its characters: no role, link, tag or emphasis.
    from markdown_it import MarkdownIt

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    hostile = "A *book* {sub}`x` <b>bold</b> [link](http://example.org) {{ min_pairs }}"
    (tmp_path / "CITATION.cff").write_text(yaml.safe_dump({"title": hostile, "version": "1.2", "license": "MIT",
                                                          "authors": [{"name": "Example Team"}]}), encoding="utf-8")
    page = citation_markdown(tmp_path)
    html = MarkdownIt("commonmark").render(page)
    assert "<b>" not in html and "<a " not in html and html.count("<em>") == 1  # only the title's own emphasis
    rendered = re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    assert hostile in rendered
    assert "version 1.2, commit none (not built from a git checkout), built 2023-11-14" in rendered
    assert "Example Team" in rendered and "MIT licence" in rendered


def test_a_dataset_name_cannot_break_out_of_the_print_banner_css():
    hostile = "SYNTHETIC DATA (dataset 'x\"; } body { display: none } @page { content: \"')"
    sheet = print_banner_css(hostile)
    literal = re.search(r'content: ("(?:[^"\\]|\\.)*");', sheet).group(1)
    assert literal == css_string(hostile)
    assert sheet.count("{") == sheet.count("}") == 3
    assert not re.search(r"[;{}'\"]", literal[1:-1])
