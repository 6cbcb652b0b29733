"""Synthesis figures of many sites (a national evaluation) draw the sites as a distribution."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from helpers.analysis.scoring import MEASURES  # noqa: E402
from helpers.report.disclosure import Policy  # noqa: E402
from helpers.report.figures import forest_figure  # noqa: E402
from helpers.report.scale import SITES_IN_DETAIL  # noqa: E402


def outcome_rows(n_sites: int) -> pd.DataFrame:
    rng = np.random.default_rng(n_sites)
    rows = []
    for i in range(n_sites):
        for measure in MEASURES:
            mean, n = rng.normal(1, 1), 3 if i == 0 else 9  # the first site: too few pairs to show
            rows.append({"site_id": f"S{i + 1}", "measure": measure, "n_pairs": n, "mean_diff": mean,
                         "ci95_low": mean - 1, "ci95_high": mean + 1})
    rows += [{"site_id": "ALL", "measure": m, "n_pairs": 9 * n_sites, "mean_diff": 1.0, "ci95_low": 0.9,
              "ci95_high": 1.1} for m in MEASURES]
    return pd.DataFrame(rows)


def test_a_forest_of_many_sites_keeps_its_size_and_draws_each_shown_site_once():
    n = 4 * SITES_IN_DETAIL
    policy = Policy(threshold=5, withheld=(("pairs:gse_total", "S2"),))
    fig = forest_figure(outcome_rows(n), policy)
    assert tuple(fig.get_size_inches()) == (11, 8)
    points = {ax.get_title(): len(ax.collections[1].get_offsets()) for ax in fig.axes[:len(MEASURES)]}
    assert points["General self-efficacy (10-40)"] == n - 2  # S1 below the threshold, S2 withheld
    assert sorted(set(points.values())) == [n - 2, n - 1]
    assert all(not ax.get_yticklabels() for ax in fig.axes[:len(MEASURES)])  # no site names
    plt.close(fig)


def test_a_forest_of_few_sites_names_every_site():
    fig = forest_figure(outcome_rows(SITES_IN_DETAIL), Policy(threshold=5))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == SITES_IN_DETAIL + 1 and labels[-1].startswith("ALL")
    plt.close(fig)
