"""The PDF's page order and its refusal without a browser (the printing itself: tests/functional/test_reading.py)."""

from __future__ import annotations

import pytest
import yaml

from helpers.book import pdf


def test_pages_are_printed_in_table_of_contents_order(tmp_path):
    toc = {"format": "jb-book", "root": "book/index", "parts": [
        {"caption": "Study", "chapters": [{"file": "book/summary"}, {"file": "book/methods"}]},
        {"caption": "Sites", "chapters": [{"file": "book/generated/sites/index",
                                           "sections": [{"file": "book/generated/sites/S10"},
                                                        {"file": "book/generated/sites/S2"}]}]},
    ]}
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    assert pdf.toc_documents(tmp_path / "_toc.yml") == [
        "book/index", "book/summary", "book/methods", "book/generated/sites/index",
        "book/generated/sites/S10", "book/generated/sites/S2"]


def test_without_chromium_the_pdf_is_refused_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(pdf.PdfUnavailable, match="Chromium"):
        pdf.write_book_pdf(tmp_path, tmp_path / "_toc.yml", tmp_path / "book.pdf")
    assert not (tmp_path / "book.pdf").exists()
