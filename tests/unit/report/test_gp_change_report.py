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


def test_robustness_table_sets_each_headline_beside_its_alternatives():
    from helpers.analysis.outcomes import COLUMNS as OUTCOME_COLUMNS
    from helpers.report.tables import robustness_table

    pooled = []
    for measure in ("ons_life_satisfaction", "gse_total"):
        row = dict.fromkeys(OUTCOME_COLUMNS, np.nan)
        row.update(site_id="ALL", measure=measure, n_pairs=40, mean_diff=0.37, ci95_low=0.01, ci95_high=0.75,
                   site_estimate=0.38, site_ci95_low=-0.07, site_ci95_high=0.82, hl_estimate=0.5,
                   hl_ci95_low=0.0, hl_ci95_high=1.0, p_wilcoxon=0.049, p_wilcoxon_pratt=0.068)
        pooled.append(row)
    missing = pd.DataFrame({"measure": "gse_total", "method": ["complete_case", "ipw", "delta_0.5", "delta_2"],
                            "estimate": [2.7, 3.0, 2.8, 2.3], "ci95_low": [1.7, 1.9, 1.9, 1.4],
                            "ci95_high": [3.7, 4.0, 3.8, 3.3], "n_baseline": 59, "n_followed_up": 40,
                            "tipping_shift": 6.3})
    windows = pd.DataFrame({"window_months": [3, 12], "n_patients": [61, 3], "rate_ratio": [0.53, 0.8],
                            "rr_ci95_low": [0.37, 0.6], "rr_ci95_high": [0.76, 1.0]})
    html = robustness_table(pd.DataFrame(pooled), missing, _change(), windows, Policy(threshold=5)).to_html()
    assert "0.38 (-0.07 to 0.82)" in html and "0.049 / 0.068" in html
    assert "3.00 (1.90 to 4.00)" in html and "2.80 (1.90 to 3.80)" in html and "2.30" not in html
    assert "naive, 3-month windows" in html and "0.53 (0.37 to 0.76)" in html
    assert "naive, 12-month windows" in html and "0.80 (0.60 to 1.00)" not in html  # 3 patients: suppressed
