"""Numbered figures on the page: the alt text and name a notebook gives a figure reach myst-nb's
cell options, and figure numbers start again at 1 on every page."""

from __future__ import annotations

import json


def test_show_figure_hands_its_alt_text_to_the_page_through_the_sphinx_extension():
    from helpers.book.sphinx_ext import figure_options
    from helpers.report.figure_metadata import FIGURE_METADATA

    cell = {"cell_type": "code", "metadata": {"mystnb": {"figure": {"caption": "A caption."}}},
            "outputs": [{"output_type": "display_data", "data": {"image/svg+xml": "<svg/>"},
                         "metadata": {FIGURE_METADATA: {"alt": "S3: 31% with patients", "name": "time-use"}}}]}
    plain = {"cell_type": "code", "metadata": {}, "outputs": []}
    notebook = json.dumps({"cells": [cell, plain], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    out = json.loads(figure_options(notebook, "book/generated/sites/S3"))
    options = out["cells"][0]["metadata"]["mystnb"]
    assert options["image"]["alt"] == "S3: 31% with patients"
    assert options["figure"] == {"caption": "A caption.", "name": "fig-book-generated-sites-s3-time-use"}
    assert out["cells"][1]["metadata"] == {}
    untouched = json.dumps({"cells": [plain]})
    assert figure_options(untouched, "x") == untouched


def test_figure_numbers_start_again_on_every_page():
    from helpers.book.sphinx_ext import per_page_numbers

    book_wide = {"a": {"figure": {"x": (1,), "y": (2,)}}, "b": {"figure": {"q": (4,), "p": (3,)}, "table": {"t": (7,)}}}
    assert per_page_numbers(book_wide) == {"a": {"figure": {"x": (1,), "y": (2,)}},
                                           "b": {"figure": {"p": (1,), "q": (2,)}, "table": {"t": (1,)}}}
