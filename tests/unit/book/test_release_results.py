"""The release checklist says, for each results file, its sensitivity, how many of its rows rest
on fewer people than the threshold, and whether and how it may leave the environment."""

from __future__ import annotations

import pandas as pd

from helpers.book.release import results_section


def test_small_cell_rows_are_counted_and_hold_back_an_aggregate_file(tmp_path):
    pd.DataFrame({"site_id": ["S1", "S2", "S3", "ALL"], "measure": ["m"] * 4, "n_pairs": [1, 0, 7, 8],
                  "mean_diff": [1.0, None, 0.2, 0.3]}).to_csv(tmp_path / "outcomes.csv", index=False)
    pd.DataFrame({"site_id": ["S1"], "n_patients": [12]}).to_csv(tmp_path / "gp_contacts.csv", index=False)
    pd.DataFrame({"node_id": ["S1-HP01"]}).to_csv(tmp_path / "network_metrics.csv", index=False)
    rows = {line.split(" | ")[0].strip("| "): line for line in results_section(
        tmp_path, {"outcomes.csv": "aggregate", "gp_contacts.csv": "aggregate", "network_metrics.csv": "per_person",
                   "missing.csv": "aggregate"}, threshold=5) if line.startswith("| ") and "---" not in line}
    assert rows["outcomes.csv"] == ("| outcomes.csv | aggregate | 4 | 1 | only with its 1 small-cell row(s) removed, "
                                    "then once an output checker has passed it |")
    assert rows["gp_contacts.csv"].endswith("| 1 | 0 | may leave the environment once an output checker has passed it |")
    assert "**must not leave the environment**" in rows["network_metrics.csv"]
    assert "not written" in rows["missing.csv"]
