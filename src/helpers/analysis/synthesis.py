"""Pooling the sites: patient-level change, site covariates, a model across sites, attrition."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from helpers.data.dataset import Dataset
from helpers.analysis.embeddedness import LEVELS, embeddedness
from helpers.analysis.scoring import MEASURES

COVARIATES = {
    "employer": "link worker employed by a VCSE organisation (vs primary care)",
    "imd_quintile": "deprivation quintile (per step towards less deprived)",
    "embeddedness": "embeddedness position (per step along bolted on, fitting in, belonging)",
}


def patient_changes(scores: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """One row per patient and measure with both waves: wave1, wave2, change (wave 2 minus wave 1)."""
    wide = scores.pivot_table(index=["participant_id", "measure"], columns="wave", values="value")
    wide = wide.reindex(columns=[1, 2]).dropna().reset_index()
    wide.columns = ["participant_id", "measure", "wave1", "wave2"]
    wide["change"] = wide["wave2"] - wide["wave1"]
    site = participants.set_index("participant_id")["site_id"]
    return wide.assign(site_id=wide["participant_id"].map(site))


def site_covariates(dataset: Dataset) -> pd.DataFrame:
    """Per site: employer (1 = VCSE), IMD quintile, and embeddedness position as 0/1/2."""
    sites = dataset.sites.set_index("site_id")
    position = embeddedness(dataset).set_index("site_id")["position"]
    return pd.DataFrame({
        "employer": (sites["employer"] == "vcse").astype(int),
        "imd_quintile": sites["imd_quintile"].astype(int),
        "embeddedness": position.map({level: i for i, level in enumerate(LEVELS)}),
        "position": position,
    })


def change_by_site_characteristic(changes: pd.DataFrame, covariates: pd.DataFrame) -> pd.DataFrame:
    """ANCOVA mixed models: follow-up score by a site characteristic, adjusted for baseline, per site intercept.

    Each row is a separate model `wave2 ~ wave1 + covariate + (1 | site)`
    (statsmodels MixedLM, REML): with a handful of sites a model with every
    covariate together cannot separate them. Adjusting for the baseline score
    rather than modelling the change score removes the regression to the mean
    that a change score carries when sites start at different levels. The
    covariate varies only between sites, so its 95% CI and p use t on
    K - 2 degrees of freedom (K sites; df column), not a normal reference,
    which with 7 sites rejects too often. Assumes normal site effects and
    residuals and a common baseline slope. site_variance is reported; when it
    is estimated at zero (the boundary, common with few sites) the note says
    so: the fit is then ordinary regression, treating patients as independent.
    Rows whose model did not converge say so rather than report an estimate.
    """
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    data = changes.join(covariates, on="site_id")
    rows = []
    for measure in MEASURES:
        subset = data[data["measure"] == measure].dropna(subset=["wave1", "wave2"])
        for covariate, meaning in COVARIATES.items():
            usable = subset.dropna(subset=[covariate])
            row = {"measure": measure, "covariate": covariate, "meaning": meaning,
                   "n_patients": len(usable), "n_sites": usable["site_id"].nunique()}
            if usable[covariate].nunique() < 2 or row["n_sites"] < 3:
                rows.append({**row, "note": "covariate does not vary across sites"})
                continue
            with warnings.catch_warnings():
                # boundary fits (site variance 0) are expected with few sites and are reported in `note`
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                warnings.filterwarnings("ignore", "Random effects covariance is singular")
                warnings.filterwarnings("ignore", "The random effects covariance matrix is singular")
                fit = smf.mixedlm(f"wave2 ~ wave1 + {covariate}", usable, groups=usable["site_id"]).fit(
                    reml=True, method="powell")
            df = row["n_sites"] - 2
            estimate, se = float(fit.params[covariate]), float(fit.bse[covariate])
            half = stats.t.ppf(0.975, df) * se
            site_variance = float(fit.cov_re.iloc[0, 0])
            note = ("did not converge; do not interpret" if not fit.converged else
                    "site variance estimated as zero (the boundary): same as ordinary regression, "
                    "patients treated as independent" if site_variance < 1e-6 else "")
            rows.append({**row, "estimate": estimate, "ci95_low": estimate - half, "ci95_high": estimate + half,
                         "p": float(2 * stats.t.sf(abs(estimate / se), df)), "df": df,
                         "site_variance": site_variance, "note": note})
    return pd.DataFrame(rows)


def attrition(scores: pd.DataFrame, interviews: pd.DataFrame, patients: pd.Series) -> pd.DataFrame:
    """Baseline scores of patients followed up at wave 2 against those who were not (Welch t-test)."""
    followed = set(interviews.loc[interviews["wave"] == 2, "participant_id"])
    baseline = scores[(scores["wave"] == 1) & scores["participant_id"].isin(set(patients))]
    rows = []
    for measure in MEASURES:
        values = baseline[baseline["measure"] == measure]
        kept = values.loc[values["participant_id"].isin(followed), "value"].to_numpy(float)
        lost = values.loc[~values["participant_id"].isin(followed), "value"].to_numpy(float)
        p = stats.ttest_ind(kept, lost, equal_var=False).pvalue if min(len(kept), len(lost)) >= 2 else np.nan
        rows.append({"measure": measure, "n_followed_up": len(kept), "n_lost": len(lost),
                     "mean_followed_up": kept.mean() if len(kept) else np.nan,
                     "mean_lost": lost.mean() if len(lost) else np.nan,
                     "difference": (kept.mean() - lost.mean()) if len(kept) and len(lost) else np.nan,
                     "p_welch": p})
    return pd.DataFrame(rows)


def trajectory_phases(trajectory: pd.DataFrame, window: int = 6) -> pd.DataFrame:
    """Mean monthly contacts in three phases: early baseline, the window before referral, the window after."""
    phases = {
        f"months -12 to -{window + 1} (earlier baseline)": trajectory["month"].between(-12, -(window + 1)),
        f"months -{window} to -1 (just before referral)": trajectory["month"].between(-window, -1),
        f"months 1 to {window} (after referral)": trajectory["month"].between(1, window),
    }
    return pd.DataFrame(
        [(name, trajectory.loc[mask, "mean_contacts"].mean()) for name, mask in phases.items()],
        columns=["period", "mean contacts per patient per month"],
    ).set_index("period")
