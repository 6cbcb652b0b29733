"""Figures of the book: one function per kind of figure, colour-blind-safe palette."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from helpers.report.disclosure import Policy
from helpers.analysis.scoring import LOWER_IS_BETTER, MEASURES

PALETTE = sns.color_palette("colorblind")
BAND_SHADES = ("#f2f2f2", "#ffffff")


def use_book_style() -> None:
    """House style for every figure, and SVG output in notebooks.

    SVG keeps figures sharp at any zoom, with their text as text (found by the
    browser's find-in-page and read by the privacy guard); it is also quicker to
    draw than PNG and a quarter of the size. The SVG is made byte-stable: a fixed
    id salt and no creation date.

    Each figure is laid out once, by the `tight_layout()` of the function that makes
    it, and drawn once, by the inline backend: the saved figure is its `figsize`, with
    no tight bounding box (which drew every figure once more, unseen, to measure it).
    """
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update({"figure.dpi": 110, "savefig.bbox": "standard", "axes.titleweight": "bold",
                         "svg.fonttype": "none", "svg.hashsalt": "linkbook"})
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # outside Jupyter: nothing to configure
        return
    if get_ipython() is not None:
        set_matplotlib_formats("svg", bbox_inches=None, metadata={"Date": None})
        # The inline backend renders every figure at the end of its cell; pyplot's own
        # end-of-cell hook would first draw each one more time with Agg, unseen
        # (about 0.2 s a figure).
        plt.uninstall_repl_displayhook()


SHORT_LABELS = {
    "ons_life_satisfaction": "Life satisfaction (0-10)",
    "ons_worthwhile": "Things done are worthwhile (0-10)",
    "ons_happy": "Happiness yesterday (0-10)",
    "ons_anxious": "Anxiety yesterday (0-10)",
    "gse_total": "General self-efficacy (10-40)",
}


def paired_figure(scores: pd.DataFrame, uk_means: dict, bands: pd.DataFrame, policy: Policy):
    """One panel per measure: a line per patient from wave 1 to wave 2, the mean in bold.

    ONS panels shade the ONS bands and mark the UK mean; the anxiety axis is
    reversed so that up means better on every panel. Under the disclosure policy,
    a panel with fewer patients than its threshold shows no data, and individual
    lines are drawn only when the policy allows individual trajectories.
    """
    fig, grid = plt.subplots(2, 3, figsize=(11, 7.2))
    axes = grid.ravel()
    for ax, measure in zip(axes, MEASURES):
        wide = (scores[scores["measure"] == measure]
                .pivot(index="participant_id", columns="wave", values="value")
                .reindex(columns=[1, 2]).dropna())
        is_gse = measure == "gse_total"
        low, high = (10, 40) if is_gse else (0, 10)
        if not is_gse:
            for i, band in enumerate(bands[bands["item"] == measure].itertuples()):
                ax.axhspan(band.lower - 0.5, band.upper + 0.5, color=BAND_SHADES[i % 2], zorder=0)
                ax.text(2.08, (band.lower + band.upper) / 2, band.band, fontsize=8, va="center", color="#555555")
            if measure in uk_means:
                ax.axhline(uk_means[measure], color=PALETTE[3], linestyle="--", linewidth=1.4, label="UK mean")
        n_pairs = len(wide)
        if not policy.allows(n_pairs):
            ax.text(1.5, (low + high) / 2, "not shown\n(disclosure control)",
                    ha="center", va="center", fontsize=9, color="#333333")
            wide = wide.iloc[0:0]
        individual = wide if policy.individual_trajectories else wide.iloc[0:0]
        jitter = np.linspace(-0.03, 0.03, len(individual)) if len(individual) > 1 else np.zeros(len(individual))
        for offset, values in zip(jitter, individual.to_numpy()):
            ax.plot([1 + offset, 2 + offset], values, color="#8c8c8c", alpha=0.7, linewidth=0.9,
                    marker="o", markersize=3, label="one patient" if offset == jitter[0] else None)
        if len(wide):
            ax.plot([1, 2], wide.mean().to_numpy(), color=PALETTE[0], linewidth=3.2, marker="o",
                    markersize=7, label="mean", zorder=5)
        ax.set_xlim(0.8, 2.45)
        ax.set_xticks([1, 2], ["wave 1", "wave 2\n(9-12 months)"])
        ax.set_ylim(low - 0.5, high + 0.5)
        ax.grid(axis="x", visible=False)
        title = SHORT_LABELS[measure]
        if measure in LOWER_IS_BETTER:
            ax.invert_yaxis()
            title += "\nlower is better: axis reversed"
        shown_n = (f"{policy.count(n_pairs)} patients" if policy.allows(n_pairs) or n_pairs == 0
                   else f"fewer than {policy.threshold} patients")
        ax.set_title(f"{title}\n{shown_n} with both waves", fontsize=10)
    legend_ax = axes[-1]
    legend_ax.axis("off")
    handles, labels = [], []
    for ax in axes[:-1]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    if handles:
        legend_ax.legend(handles, labels, loc="center", frameon=False, fontsize=10,
                         title="Up is better on every panel", title_fontsize=10)
    fig.tight_layout()
    return fig


def trajectory_figure(trajectory: pd.DataFrame, policy: Policy, title: str = ""):
    """Mean GP contacts per patient by month around referral (referral between month -1 and 1).

    Months resting on fewer patients than the disclosure threshold are left out.
    """
    trajectory = trajectory.assign(mean_contacts=trajectory["mean_contacts"].where(
        trajectory["n_patients"].map(policy.allows)))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    before = trajectory[trajectory["month"] < 0]
    after = trajectory[trajectory["month"] > 0]
    ax.plot(before["month"], before["mean_contacts"], marker="o", color=PALETTE[0], label="before referral")
    ax.plot(after["month"], after["mean_contacts"], marker="s", color=PALETTE[2], label="after referral")
    ax.axvline(0, color="#444444", linestyle=":", linewidth=1.2)
    top = np.nanmax(trajectory["mean_contacts"].to_numpy()) if trajectory["mean_contacts"].notna().any() else 1
    ax.text(0.2, top * 1.02 if top > 0 else 1, "referral", fontsize=8, color="#444444")
    ax.set_xlabel("month relative to referral")
    ax.set_ylabel("mean GP contacts per patient")
    ax.set_xticks(range(-12, 13, 2))
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def time_use_figure(time_use: pd.DataFrame):
    """Horizontal bars: share of the link worker's observed time by activity."""
    fig, ax = plt.subplots(figsize=(7, 2.8))
    shares = time_use["share"].fillna(0) * 100
    ax.barh(time_use["activity"], shares, color=PALETTE[: len(time_use)])
    for y, value in enumerate(shares):
        ax.text(value + 0.5, y, f"{value:.0f}%", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("share of observed minutes (%)")
    ax.set_xlim(0, max(shares.max() * 1.2, 10))
    fig.tight_layout()
    return fig


def forest_figure(outcomes: pd.DataFrame, policy: Policy):
    """Mean change (wave 2 minus wave 1) with its 95% CI, one panel per measure, one row per site.

    Sites with too few pairs for an interval show a hollow point; rows resting on
    fewer patients than the disclosure threshold are not drawn. The pooled row
    ("ALL") is drawn as a diamond. An arrow under each panel points to "better".
    """
    sites = [s for s in outcomes["site_id"].unique() if s != "ALL"] + ["ALL"]
    fig, grid = plt.subplots(2, 3, figsize=(11, 2.2 + 0.55 * len(sites) * 2), sharey=True)
    axes = grid.ravel()
    for ax, measure in zip(axes, MEASURES):
        rows = outcomes[outcomes["measure"] == measure].set_index("site_id").reindex(sites)
        y = np.arange(len(sites))[::-1]
        for yi, (site, r) in zip(y, rows.iterrows()):
            if not policy.allows(r["n_pairs"]):
                continue
            pooled = site == "ALL"
            colour = PALETTE[1] if pooled else PALETTE[0]
            if pd.notna(r["ci95_low"]):
                ax.plot([r["ci95_low"], r["ci95_high"]], [yi, yi], color=colour, linewidth=2)
                ax.plot(r["mean_diff"], yi, marker="D" if pooled else "s", color=colour, markersize=8 if pooled else 6)
            elif pd.notna(r["mean_diff"]):
                ax.plot(r["mean_diff"], yi, marker="o", markerfacecolor="white", color=colour, markersize=6)
        ax.axvline(0, color="#444444", linewidth=1)
        ax.set_yticks(y, [f"{s} (n={policy.count(n)})" if pd.notna(n) else s
                          for s, n in zip(sites, rows["n_pairs"])])
        ax.set_title(SHORT_LABELS[measure], fontsize=10)
        better = "lower is better  <-" if measure in LOWER_IS_BETTER else "->  higher is better"
        ax.set_xlabel(f"change, wave 2 minus wave 1\n{better}", fontsize=9)
        ax.grid(axis="y", visible=False)
    axes[-1].axis("off")
    axes[-1].text(0.05, 0.5, "Squares: a site's mean change with its 95% CI.\n"
                             "Hollow circles: too few pairs for an interval.\n"
                             f"Rows with fewer than {policy.threshold} patients\n(disclosure control): not drawn.\n"
                             "Diamond: all sites pooled.", fontsize=9, va="center")
    fig.tight_layout()
    return fig
