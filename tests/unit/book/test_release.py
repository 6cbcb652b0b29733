"""The release checklist lists every results file with its declared sensitivity, and the
publishing step finds a per-person results file copied into the book."""

from __future__ import annotations

from helpers.book.build import per_person_files
from helpers.book.release import checklist

DECLARED = {"outcomes.csv": "aggregate", "network_metrics.csv": "per_person", "missing.csv": "aggregate"}


def _html(tmp_path):
    html = tmp_path / "html"
    html.mkdir(exist_ok=True)
    (html / "index.html").write_text("<html><body><table class='x'><tr><td>1</td></tr></table></body></html>")
    return html


def test_every_results_file_is_listed_with_its_sensitivity_rows_and_whether_it_may_leave(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "outcomes.csv").write_text("site_id,n_pairs\nS1,3\nS2,9\n")
    (results / "network_metrics.csv").write_text("site_id,node_id\nS1,P1\n")
    text = checklist(_html(tmp_path), "policy X", results, DECLARED, threshold=5)
    assert ("| outcomes.csv | aggregate | 2 | 1 | only with its 1 small-cell row(s) removed, then once an output "
            "checker has passed it |") in text
    assert "| network_metrics.csv | per_person | 1 | 0 | **must not leave the environment**" in text
    assert "| missing.csv | aggregate | not written |" in text
    unchecked = checklist(_html(tmp_path), "policy X", results, DECLARED)
    assert "| outcomes.csv | aggregate | 2 | not counted | may leave the environment once" in unchecked
    assert text.index("## Results files") < text.index("| index.html |")


def test_without_declarations_the_checklist_lists_pages_only(tmp_path):
    text = checklist(_html(tmp_path), "policy X")
    assert "Results files" not in text and "| index.html |" in text


def test_a_per_person_file_anywhere_in_the_book_is_found_and_an_aggregate_one_is_not(tmp_path):
    html = _html(tmp_path)
    (html / "_downloads" / "a1").mkdir(parents=True)
    (html / "_downloads" / "a1" / "network_metrics.csv").write_text("x\n")
    (html / "outcomes.csv").write_text("x\n")
    assert per_person_files(html, DECLARED) == ["_downloads/a1/network_metrics.csv"]
