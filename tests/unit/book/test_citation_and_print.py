"""How to cite (from CITATION.cff and the checkout) and the print banner's CSS string."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from helpers.book.citation import citation_substitutions
from helpers.book.sphinx_ext import css_string, print_banner_css

from support import ROOT


def test_citation_reads_the_cff_file_and_the_checkout(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shutil.copy(ROOT / "CITATION.cff", tmp_path / "CITATION.cff")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13 UTC
    assert citation_substitutions(tmp_path)["cite_commit"] == "none (not built from a git checkout)"
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "CITATION.cff"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True).stdout.strip()
    cited = citation_substitutions(tmp_path)
    assert cited["cite_commit"] == head
    assert cited["cite_date"] == "2023-11-14"
    assert cited["cite_version"] and cited["cite_code_licence"] == "MIT"
    (tmp_path / "CITATION.cff").write_text("title: changed\n", encoding="utf-8")
    assert citation_substitutions(tmp_path)["cite_commit"] == f"{head} with uncommitted changes"


def test_a_dataset_name_cannot_break_out_of_the_print_banner_css():
    hostile = "SYNTHETIC DATA (dataset 'x\"; } body { display: none } @page { content: \"')"
    sheet = print_banner_css(hostile)
    literal = re.search(r'content: ("(?:[^"\\]|\\.)*");', sheet).group(1)
    assert literal == css_string(hostile)
    assert sheet.count("{") == sheet.count("}") == 3
    assert not re.search(r"[;{}'\"]", literal[1:-1])
