"""Tables for readers: one named header per column, labels, notes once, no constant column, escaping."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd

from helpers.report.disclosure import CHECKED_CLASS, Policy, publish
from helpers.report.labels import readable_label
from helpers.report.table_html import reader_frame, reader_styler


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headers, self.caption, self._in = [], "", None

    def handle_starttag(self, tag, attrs):
        if tag in ("th", "caption"):
            self._in = tag
            if tag == "th":
                self.headers.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "th":
            self.headers[-1] += data
        elif self._in == "caption":
            self.caption += data


def cells(styler) -> _Cells:
    parser = _Cells()
    parser.feed(styler.to_html())
    return parser


def test_codes_read_as_words():
    assert readable_label("allied_health_professional") == "allied health professional"
    assert readable_label("vcse_manager") == "VCSE manager"
    assert readable_label("n_sites") == "sites"
    assert readable_label("gp") == "GP"
    for kept in ("S4-HP07", "patient", "Life satisfaction (0-10)", "suppressed", "p (t-test)"):
        assert readable_label(kept) == kept


def test_every_header_cell_has_a_name_even_for_a_multi_index_and_an_unnamed_index():
    frame = pd.DataFrame({"participants": [6, 7, 9]},
                         index=pd.MultiIndex.from_tuples([("professional", "gp"), ("professional", "vcse_manager"),
                                                          ("patient", "patient")], names=["group", "role"]))
    parsed = cells(reader_styler(frame))
    assert parsed.headers == ["group", "role", "participants"]
    unnamed = cells(reader_styler(pd.DataFrame({"value": [1, 2]}, index=["a", "b"])))
    assert all(h.strip() for h in unnamed.headers) and len(unnamed.headers) == 2


def test_a_note_repeated_in_every_row_is_written_once_under_the_table():
    frame = pd.DataFrame({"measure": ["a", "b", "c"], "estimate": [0.1, 0.2, 0.3],
                          "note": ["only 3 sites: read with care"] * 3}).set_index("measure")
    parsed = cells(reader_styler(frame))
    assert "note" not in parsed.headers
    assert parsed.caption.count("only 3 sites: read with care") == 1


def test_differing_notes_become_numbered_markers():
    frame = pd.DataFrame({"estimate": [0.1, 0.2, 0.3], "note": ["x fails", "", "x fails"]})
    table, notes = reader_frame(frame)
    assert list(table["note"]) == ["[1]", "", "[1]"]
    assert notes == ["[1] x fails"]


def test_a_column_that_is_the_same_in_every_row_becomes_a_note():
    frame = pd.DataFrame({"site": ["S1", "S2"], "window_months": [12, 12], "patients": [9, 8]}).set_index("site")
    table, notes = reader_frame(frame)
    assert list(table.columns) == ["site", "patients"]
    assert notes == ["In every row, window months: 12."]
    one_row, no_notes = reader_frame(frame.iloc[:1])  # one row: nothing is constant "across rows"
    assert "window months" in one_row.columns and no_notes == []


def test_values_and_notes_are_escaped_never_html():
    frame = pd.DataFrame({"name": ["<script>alert(1)</script>", "b"], "note": ["<b>x</b>", "<b>x</b>"]})
    html = reader_styler(frame).to_html()
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_publish_applies_the_policy_then_the_reader_layout():
    frame = pd.DataFrame({"role": ["link_worker", "gp"], "participants": [1, 12]}).set_index("role")
    html = publish(frame, Policy(threshold=5), counts=["participants"]).to_html()
    assert f'class="{CHECKED_CLASS}"' in html
    assert "suppressed" in html and "link worker" in html and "GP" in html
    assert "link_worker" not in html
