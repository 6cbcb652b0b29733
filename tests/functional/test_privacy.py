"""Disclosure policy and privacy guard: unit cases, and a build that must refuse to publish."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.report.disclosure import SUPPRESSED, Policy, load_policy, protect_counts, protect_statistics
from helpers.book.privacy import nhs_number_is_valid, read_deny_list, scan_site, scan_text
from helpers.synth import write_dataset
from support.pipeline import linkbook, make_project


# --- NHS numbers: check digit worked by hand --------------------------------
# 943 476 5919: 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299; 299 mod 11 = 2;
# 11 - 2 = 9 = last digit, so valid. Changing the last digit breaks it.
# 401 023 2137: 4*10 + 0 + 1*8 + 0 + 2*6 + 3*5 + 2*4 + 1*3 + 3*2 = 92; 92 mod 11 = 4; 11 - 4 = 7: valid.
# 123 456 7890: 1*10+2*9+3*8+4*7+5*6+6*5+7*4+8*3+9*2 = 210; 210 mod 11 = 1; 11 - 1 = 10: never valid.

@pytest.mark.parametrize("number,valid", [("9434765919", True), ("4010232137", True), ("9434765918", False),
                                          ("1234567890", False), ("943476591", False), ("94347659190", False)])
def test_nhs_number_check(number, valid):
    assert nhs_number_is_valid(number) is valid


@pytest.mark.parametrize("text,kind", [
    ("write to jo.bloggs@example.org today", "e-mail address"),
    ("NHS no 943 476 5919 on file", "NHS number"),
    ("ring her on 07700 900123 after six", "UK phone number"),
    ("landline (01632) 960 001", "UK phone number"),
    ("call +44 7700 900456", "UK phone number"),
    ("lives near OX3 7LF with her son", "UK postcode"),
    ("DOB: 12/03/1961", "date of birth"),
    ("she was born on 4 March 1950", "date of birth"),
])
def test_identifiers_are_found(text, kind):
    assert kind in [k for k, _ in scan_text(text, [])]


@pytest.mark.parametrize("text", [
    "rate ratio 0.74, 95% CI 0.56 to 0.99 (61 patients)",
    "Site S3 health professional 07 talks about holding",
    "git commit 3f2a9c81b0de; sha256 1234567890ab",
    "Fieldwork 28 Feb 2022 to 18 Mar 2022; population served 57,800",
    "a sequence 9434765918 that fails the check",
])
def test_ordinary_book_text_is_not_flagged(text):
    assert scan_text(text, []) == []


def test_deny_list_names_are_matched_as_whole_words(tmp_path):
    deny = tmp_path / "deny.txt"
    deny.write_text("# names of participants\nAvery Quill\nMorrow\n")
    names = read_deny_list(deny)
    assert names == ["Avery Quill", "Morrow"]
    assert [k for k, _ in scan_text("then avery quill said", names)] == ["name on the deny-list"]
    assert scan_text("tomorrow", names) == []


def test_scan_site_reports_page_location_and_data_files(tmp_path):
    (tmp_path / "page.html").write_text("<html><body><p>fine</p>\n<p>mail a.b@c.org</p>"
                                        "<script>var x='x@y.org'</script></body></html>")
    (tmp_path / "nb.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x = 1", "outputs": '
                                       '[{"output_type": "stream", "text": "NHS 943 476 5919"}]}]}')
    (tmp_path / "questionnaires.csv").write_text("a,b\n")
    (tmp_path / "figure.svg").write_text('<svg><path d="M 943 476 L 5919 0"/>\n<text x="1">SW1A 1AA</text></svg>')
    (tmp_path / "fig.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code", "source": "", "outputs": [
        {"output_type": "display_data", "data": {"image/svg+xml": '<svg><style>p {}</style><path d="M 0 1"/>'
                                                                   '<text>mail a.b@c.org</text></svg>'}}]}]}))
    found = {(f.file, f.location, f.kind) for f in scan_site(tmp_path, [])}
    assert found == {("page.html", "line 2", "e-mail address"), ("nb.ipynb", "cell 1 output", "NHS number"),
                     ("questionnaires.csv", "file", "data file in the published site"),
                     ("figure.svg", "line 2", "UK postcode"), ("fig.ipynb", "cell 1 figure", "e-mail address")}


def test_a_clean_record_skips_only_files_already_found_clean_under_the_same_rules(tmp_path):
    site, record = tmp_path / "site", tmp_path / "clean.json"
    site.mkdir()
    (site / "a.html").write_text("<p>Avery Quill visited</p>")
    (site / "b.html").write_text("<p>nothing here</p>")
    assert scan_site(site, [], record) == []  # no deny-list yet: both clean, both recorded
    (site / "b.html").write_text("<p>call 020 7946 0018</p>")  # changed bytes: scanned again
    assert [(f.file, f.kind) for f in scan_site(site, [], record)] == [("b.html", "UK phone number")]
    (site / "b.html").write_text("<p>nothing here</p>")
    assert scan_site(site, [], record) == []
    # a new deny-list is a new rule: the recorded clean files are read again
    assert [(f.file, f.kind) for f in scan_site(site, ["Avery Quill"], record)] == [
        ("a.html", "name on the deny-list")]


# --- disclosure policy at its boundaries ------------------------------------

@pytest.mark.parametrize("n,expected", [(0, 0), (1, SUPPRESSED), (4, SUPPRESSED), (5, 5), (6, 6), (41, 41)])
def test_counts_below_the_threshold_are_suppressed(n, expected):
    assert Policy(threshold=5, round_to=1).count(n) == expected


@pytest.mark.parametrize("n,expected", [(7, SUPPRESSED), (8, 10), (12, 10), (13, 15), (61, 60)])
def test_opensafely_style_policy_redacts_seven_or_fewer_and_rounds_to_five(n, expected):
    assert Policy(threshold=8, round_to=5).count(n) == expected


def test_statistics_resting_on_too_few_people_are_blanked():
    table = pd.DataFrame({"n_pairs": [4, 5], "mean_diff": [1.2, 0.4], "p_t": [0.3, 0.04]})
    out = protect_statistics(table, Policy(threshold=5), "n_pairs", ["mean_diff", "p_t"])
    assert out.loc[0].tolist() == [SUPPRESSED, SUPPRESSED, SUPPRESSED]
    assert out.loc[1].tolist() == [5, 0.4, 0.04]


def test_protect_counts_touches_only_count_columns():
    table = pd.DataFrame({"role": ["gp", "nurse"], "participants": [1, 6]})
    assert protect_counts(table, Policy(threshold=5)).values.tolist() == [["gp", SUPPRESSED], ["nurse", 6]]


def test_policy_is_read_from_the_book_configuration(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("disclosure:\n  threshold: 8\n  round_to: 5\n")
    assert load_policy(config, synthetic=True) == Policy(8, 5, True)
    assert load_policy(config, synthetic=False).individual_trajectories is False


# --- the build refuses to publish --------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data = write_dataset(tmp_path_factory.mktemp("data"), n_sites=2, seed=8)
    project = make_project(tmp_path_factory.mktemp("project"), data)
    completed = linkbook(project, "build")
    assert completed.returncode == 0, completed.stdout[-3000:]
    return project


def plant(project, source: str, text: str) -> None:
    """Add `text` to a segment of that source which the book quotes (one cited as CMOC evidence)."""
    path = project / "data" / "synthetic" / "segments.csv"
    segments = pd.read_csv(path, dtype=str, keep_default_na=False)
    cited = set(pd.read_csv(project / "data" / "synthetic" / "cmoc_evidence.csv", dtype=str)["segment_id"])
    row = segments.index[(segments["source"] == source) & segments["segment_id"].isin(cited)][0]
    segments.loc[row, "text"] = segments.loc[row, "text"] + " " + text
    segments.to_csv(path, index=False, lineterminator="\n")


@pytest.mark.parametrize("source,identifier,kind", [
    ("interview", "You can reach me on 07700 900781.", "UK phone number"),
    ("observation", "Field note: patient's NHS number 401 023 2137 seen on screen.", "NHS number"),
])
def test_a_planted_identifier_stops_the_build_and_the_previous_book_stays(built, source, identifier, kind):
    before = (built / "_build" / "html" / "book" / "index.html").read_bytes()
    segments = built / "data" / "synthetic" / "segments.csv"
    original = segments.read_bytes()
    plant(built, source, identifier)
    try:
        completed = linkbook(built, "build")
        assert completed.returncode == 2, completed.stdout[-3000:]
        assert "privacy guard refused" in completed.stdout and kind in completed.stdout
        assert (built / "_build" / "html" / "book" / "index.html").read_bytes() == before
    finally:
        segments.write_bytes(original)


def test_deny_list_inside_the_project_is_refused(built):
    inside = built / "deny.txt"
    inside.write_text("Somebody\n")
    completed = linkbook(built, "build", "--deny-list", str(inside))
    assert completed.returncode == 2 and "outside the repository" in completed.stderr


def test_release_checklist_lists_every_table_and_figure_with_its_status(built):
    from helpers.book.release import checklist

    text = checklist(built / "_build" / "html", "the rule")
    assert "Policy in force: the rule" in text
    assert "policy applied" in text  # tables made through the disclosure helper
    assert "| figure:" in text
    site = [line for line in text.splitlines() if line.startswith("| book/generated/sites/S1.html")]
    assert any("table" in line for line in site) and any("figure" in line for line in site)
