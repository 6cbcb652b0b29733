"""The privacy guard's catalogue of written forms: each form with text it must flag and
look-alike text it must leave alone (segment ids, study dates, years, code numbers)."""

from __future__ import annotations

import json

import pytest

from helpers.book.privacy import FORMS, nhs_number_is_valid, normalise, read_deny_list, scan_site, scan_text

DENY = ["Zoë Marlowe", "Avery Quill", "Morrow"]

# (kind, text that must be flagged, look-alike text that must not be)
CATALOGUE = [
    ("NHS number", "Her NHS number is 943 476 5919.", "Segment S4-INT-0943-476 at 12:30."),
    ("NHS number", "number 401-023-2137, checked", "code 401-023-2138 fails the check"),
    ("NHS number", "ref 4010232137.", "mean 0.4010232137 from the model"),
    ("NHS number", "held as 943.476.5919 on file", "version 943.476.5918 of the file"),
    ("UK postcode", "she lives at ox2 6gg now", "the 2nd wave in 2022"),
    ("UK postcode", "moved to Ox26Gg last year", "site S1 2nd interview"),
    ("UK postcode", "near SW1A1AA.", "gse_10 and ons4 items; S12 HP07"),
    ("UK postcode", "address: m1 1ae", "git commit 3f2a9c81b0de, sha256 1234567890ab"),
    ("date of birth", "she was born April 3, 1950 in Leeds", "fieldwork began April 3, 2022"),
    ("date of birth", "her date of birth is 12/05/1948", "interviewed on 12/05/2022"),
    ("date of birth", "DOB 1948-05-12", "study ran 2021-11-01 to 2023-08-31"),
    ("date of birth", "born on the 3rd of Apr 1950", "born in 1950, she moved"),
    ("UK phone number", "ring 0044 7700 900456 any time", "counts 03 12 45 10 22 by code"),
    ("UK phone number", "mobile 07700.900.789.", "p = 0.0770 and 0.900; 95% CI 0.56 to 0.99"),
    ("UK phone number", "call +44 (0)20 7946 0018", "population served 57,800 in 2022"),
    ("UK phone number", "ring 020 7946 0018 today", "row: 1.07 3461 22.59 0.81"),  # a 1,250-site table
    ("UK phone number", "or 07700 900 456", "mean 07 3461 22.59 of the sites"),
    ("e-mail address", "mail JO.BLOGGS@EXAMPLE.ORG", "holding.waiting and anchor.trust codes"),
    ("e-mail address", "write to jo [at] example [dot] org", "we met at (at) the surgery"),
    ("e-mail address", "jo(at)example.org", "the (at) sign"),
    ("National Insurance number", "NI number QQ 12 34 56 C", "gse 10 20 30 b and ons 12 34 56 a"),
    ("National Insurance number", "insurance AB123456C on file", "DF 12 34 56 A and GB 12 34 56 B are never issued"),
    ("National Insurance number", "noted ab123456d", "codes ab12 34 56 and S12 345678"),
    ("street address", "she lives at 14 Station Road now", "walked 2 miles down the lane"),
    ("street address", "moved to 3a Mill Lane.", "Site S3 had 12 Link Worker Days"),
    ("street address", "flat 2, 7 High St", "Table 3 Green and Figure 2 View"),
    ("date of birth", "she was born in April 1950", "she was born in 1950 and moved in April 1972"),
    ("date of birth", "her birthday is 3 April", "the group met on 3 April"),
    ("date of birth", "his birthday was on the 3rd of Apr", "the 3rd of Apr was a birthday party for the club"),
    ("name on the deny-list", "then Zoe Marlowe said", "Marlowe Street is a road; zoetrope"),
    ("name on the deny-list", "Avery\nQuill came in", "Avery came; Quill left"),
    ("name on the deny-list", "Avery\u00a0Quill came in", "a quilled avery"),
    ("name on the deny-list", "Quill and Morrow's house", "tomorrow's meeting"),
    ("name on the deny-list", "Avery <b>Qu</b>ill rang", "<b>Avery</b> and <b>Quillan</b>"),
    ("name on the deny-list", "ZOË MARLOWE", "Zoë Marlow"),
    ("name on the deny-list", "Avery Quill’s daughter", "Avery Quillson"),
]


def kinds(text: str) -> list[str]:
    return [kind for kind, _ in scan_text(text, DENY)]


@pytest.mark.parametrize("kind,positive,negative", CATALOGUE)
def test_each_form_is_caught_and_its_look_alike_is_not(kind, positive, negative):
    assert kind in kinds(positive), positive
    assert kinds(negative) == [], negative


def test_the_catalogue_covers_every_kind_the_guard_reports():
    assert {kind for kind, _, _ in CATALOGUE} == set(FORMS)


def test_normalise_folds_accents_whitespace_tags_and_entities():
    assert normalise("Zo&euml;\u00a0\n M<i>ar</i>lowe\u200b") == "Zoe Marlowe"
    assert normalise("<p>one</p><p>two</p>") == " one two "  # a block tag separates words
    assert normalise("\uff2f\uff38\uff12") == "OX2"  # full-width letters (NFKC)


def test_a_deny_list_saved_with_a_byte_order_mark_keeps_its_first_name(tmp_path):
    deny = tmp_path / "deny.txt"
    deny.write_bytes("\ufeffZoë Marlowe\r\n# staff\r\nMorrow\r\n".encode("utf-8"))
    names = read_deny_list(deny)
    assert names == ["Zoe Marlowe", "Morrow"]
    assert [k for k, _ in scan_text("Zoe Marlowe phoned", names)] == ["name on the deny-list"]


def test_a_name_split_across_html_tags_in_a_page_is_found(tmp_path):
    (tmp_path / "page.html").write_text("<html><body><p>Then <strong>Zo</strong>&euml;\n"
                                        "<em>Marlowe</em> came</p><p>Marlowe</p>\n"
                                        "<table><tr><td>Avery<br/>Quill</td><td>Avery</td><td>Quill</td></tr></table>"
                                        "</body></html>")
    found = scan_site(tmp_path, read_deny_list(_deny(tmp_path)))
    assert [(f.file, f.location, f.kind) for f in found] == [("page.html", "line 1", "name on the deny-list"),
                                                             ("page.html", "line 3", "name on the deny-list")]


def test_counts_in_adjacent_table_cells_of_a_notebook_are_not_read_as_one_number(tmp_path):
    """A verdicts table of a 300-site book showed evidence counts 478, 336 and 1231 side by side:
    together they pass the NHS number check, as one in eleven runs of ten digits do. A table's
    cells are read apart, as in the rendered page; the same digits in one cell are still found."""
    assert nhs_number_is_valid("4783361231")

    def notebook(*cells):
        table = "<table><tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr></table>"
        output = {"output_type": "display_data", "metadata": {}, "data": {"text/html": [table]}}
        return json.dumps({"cells": [{"cell_type": "code", "source": "", "metadata": {}, "outputs": [output]}]})

    (tmp_path / "counts.ipynb").write_text(notebook(552, 478, 336, 1231))
    (tmp_path / "one_cell.ipynb").write_text(notebook("reference 478 336 1231", "<b>478</b> 336 1231"))
    found = [(f.file, f.kind, f.text) for f in scan_site(tmp_path, [])]
    assert found == [("one_cell.ipynb", "NHS number", "478 336 1231")] * 2


def test_the_search_index_and_downloadable_sources_are_scanned(tmp_path):
    (tmp_path / "searchindex.js").write_text(
        'Search.setIndex({"docnames":["a"],"titles":["Visit to Avery Quill"],"terms":{"holding":[0]}})')
    (tmp_path / "_sources").mkdir()
    (tmp_path / "_sources" / "page.md").write_text("# Page\n\nA line ending with Avery\nQuill here.\n\nfine\n")
    (tmp_path / "_sources" / "script.py").write_text("x = 'call 07700 900123'\n")
    found = {(f.file, f.location, f.kind) for f in scan_site(tmp_path, read_deny_list(_deny(tmp_path)))}
    assert found == {("searchindex.js", "search index", "name on the deny-list"),
                     ("_sources/page.md", "line 3", "name on the deny-list"),
                     ("_sources/script.py", "line 1", "UK phone number")}


def _deny(folder):
    path = folder.parent / f"{folder.name}-deny.txt"
    path.write_text("\n".join(DENY), encoding="utf-8")
    return path
