import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd

from helpers.analysis.gp_change import COLUMNS
from helpers.report.disclosure import Policy
from helpers.report.figures import trajectory_figure
from helpers.report.phrases import gp_change_phrase, gp_coverage_phrase
from helpers.report.tables import gp_change_table


def _change(n_patients=12):
    return pd.DataFrame([
        ["S1", "window_naive", 0.7, 0.5, 0.95, n_patients - 1, n_patients, "m", np.nan, np.nan],
        ["ALL", "level_change", 0.9, 0.6, 1.3, 6, 61, "m", 0.4, 2.0],
    ], columns=list(COLUMNS))


def test_phrases_quote_the_row_and_respect_the_threshold():
    policy = Policy(threshold=5)
    text = gp_change_phrase(_change(), "level_change", policy)
    assert "0.90 (95% CI 0.60 to 1.30, t with 6 df; 61 patients" in text and "new site 0.40 to 2.00" in text
    assert "not shown" in gp_change_phrase(_change(3), "window_naive", policy)
    coverage = pd.DataFrame({"site_id": ["S1", "S2"], "n_referred": [9, 8], "n_before_truncated": [1, 0],
                             "n_after_truncated": [0, 2], "n_included": [8, 6], "referral_day_patients": [3, 4],
                             "referral_day_contacts": [3, 5]})
    text = gp_coverage_phrase(coverage, policy)
    assert text.startswith("Of 17 referred patients, ") and "7 patients had 8 contacts on the referral day" in text


def test_table_suppresses_statistics_of_small_sites():
    html = gp_change_table(_change(3), Policy(threshold=5), 6).to_html()
    assert "0.70" not in html and "0.90" in html and "0.40 to 2.00" in html


def test_trajectory_figure_draws_the_fitted_segments():
    months = [*range(-12, 0), *range(1, 13)]
    trajectory = pd.DataFrame({"month": months, "n_patients": 10, "n_contacts": 5, "mean_contacts": 0.5})
    fitted = pd.DataFrame({"month": months, "fitted": 0.5, "counterfactual": 0.45})
    plain = trajectory_figure(trajectory, Policy())
    with_fit = trajectory_figure(trajectory, Policy(), fitted=fitted)
    assert len(with_fit.axes[0].lines) == len(plain.axes[0].lines) + 3
    assert "segmented model" in [t.get_text() for t in with_fit.axes[0].get_legend().get_texts()]


def test_test_phrase_names_the_family_and_its_adjustment():
    from helpers.report.phrases import test_phrase

    primary = {"measure": "ons_life_satisfaction", "n_pairs": 40, "p_t": 0.0495, "p_holm": 0.099, "q_bh": np.nan}
    secondary = {"measure": "ons_happy", "n_pairs": 40, "p_t": 0.02, "p_holm": np.nan, "q_bh": 0.05}
    assert test_phrase(primary, Policy()) == ("primary outcome: paired t-test p 0.050, Holm-adjusted over the 2 "
                                              "primary outcomes 0.099")
    assert test_phrase(secondary, Policy()).endswith("Benjamini-Hochberg q over the secondary outcomes 0.050")
    assert test_phrase({**primary, "n_pairs": 3}, Policy(threshold=5)) == "primary outcome: not tested"


def test_outcomes_table_names_a_boundary_site_variance():
    from helpers.analysis.outcomes import COLUMNS as OUTCOME_COLUMNS
    from helpers.report.tables import outcomes_table

    row = dict.fromkeys(OUTCOME_COLUMNS, np.nan)
    row.update(site_id="ALL", measure="ons_happy", n_pairs=40, mean_wave1=5.0, mean_wave2=5.5, mean_diff=0.5,
               ci95_low=0.1, ci95_high=0.9, site_estimate=0.5, site_ci95_low=0.0, site_ci95_high=1.0,
               site_boundary=True)
    html = outcomes_table(pd.DataFrame([row]), Policy()).to_html()
    assert "0.00 to 1.00 (site variance estimated as 0)" in html
    row.update(site_boundary=False)
    assert "estimated as 0" not in outcomes_table(pd.DataFrame([row]), Policy()).to_html()
