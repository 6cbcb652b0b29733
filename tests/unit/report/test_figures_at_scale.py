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


def test_realist_figures_of_many_sites_keep_their_size(tmp_path):
    """Concept shares, the continuum and the verdict grid of more than SITES_IN_DETAIL sites: a
    figure of fixed size (a column or row per site made them hundreds of inches across)."""
    from helpers.analysis import qualitative as Q
    from helpers.analysis.cmoc import VERDICTS, verdicts
    from helpers.analysis.embeddedness import embeddedness
    from helpers.data.dataset import load_dataset
    from helpers.report import realist_figures as R
    from helpers.synth import write_dataset

    data = load_dataset(write_dataset(tmp_path / "d", n_sites=SITES_IN_DETAIL + 5, seed=5))
    shares = Q.concept_shares(data)
    concepts = R.concept_figure(shares)
    assert tuple(concepts.get_size_inches()) == (9, round(0.34 * len(shares) + 1.4, 10))
    assert [t.get_text() for t in concepts.axes[0].get_yticklabels()] == [str(i) for i in shares.index]
    continuum = R.continuum_figure(embeddedness(data))
    assert tuple(continuum.get_size_inches()) == (7, 6)
    assert len(continuum.axes[0].collections[-1].get_offsets()) == embeddedness(data)["score"].notna().sum()
    site_rows = verdicts(data)
    grid = R.verdict_figure(site_rows, verdicts(data, overall=True))
    bars = grid.axes[0].containers
    assert len(bars) == len(VERDICTS)
    widths = np.sum([[bar.get_width() for bar in container] for container in bars], axis=0)
    assert np.allclose(widths, 1)  # each CMOC's shares of sites add up to all of them
    first = site_rows[site_rows["cmoc_id"] == data.cmocs["cmoc_id"].iloc[0]]
    assert bars[0][0].get_width() == (first["verdict"] == VERDICTS[0]).mean()
    for fig in (concepts, continuum, grid):
        plt.close(fig)


def test_link_worker_dot_plots_of_many_sites_keep_their_size_and_every_worker():
    from helpers.report.network_figures import link_worker_figure

    n = SITES_IN_DETAIL + 10
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"site_id": [f"S{i}" for i in range(n)], "label": "link worker",
                          "practice_ties": rng.integers(0, 9, n), "practice_share": rng.random(n),
                          "practice_voluntary": rng.integers(0, 5, n), "betweenness": rng.random(n),
                          "position": rng.choice(["bolted_on", "fitting_in", "belonging"], n),
                          "employer": rng.choice(["primary_care", "vcse"], n)})
    fig = link_worker_figure(table)
    assert tuple(fig.get_size_inches()) == (10, 8)
    for ax in fig.axes:
        assert sum(len(c.get_offsets()) for c in ax.collections) == n
        assert not ax.get_yticklabels()
    plt.close(fig)
