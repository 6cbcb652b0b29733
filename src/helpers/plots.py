"""Figures of the book: one function per kind of figure, colour-blind-safe palette."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # figures are rendered to files and notebooks, never to a screen

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from helpers.scoring import LOWER_IS_BETTER, MEASURE_LABELS, MEASURES  # noqa: E402

PALETTE = sns.color_palette("colorblind")
BAND_SHADES = ("#f2f2f2", "#ffffff")


def setup() -> None:
    """House style for every figure."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update({"figure.dpi": 110, "savefig.bbox": "tight", "axes.titleweight": "bold"})


def paired_plot(scores: pd.DataFrame, uk_means: dict, bands: pd.DataFrame):
    """One panel per measure: a line per patient from wave 1 to wave 2, the mean in bold.

    ONS panels shade the ONS bands and mark the UK mean; the anxiety axis is
    reversed so that up means better on every panel.
    """
    fig, axes = plt.subplots(1, len(MEASURES), figsize=(13, 3.8), sharey=False)
    for ax, measure in zip(axes, MEASURES):
        wide = (scores[scores["measure"] == measure]
                .pivot(index="participant_id", columns="wave", values="value")
                .reindex(columns=[1, 2]).dropna())
        is_gse = measure == "gse_total"
        low, high = (10, 40) if is_gse else (0, 10)
        if not is_gse:
            for i, band in enumerate(bands[bands["item"] == measure].itertuples()):
                ax.axhspan(band.lower - 0.5, band.upper + 0.5, color=BAND_SHADES[i % 2], zorder=0)
                ax.text(1.55, (band.lower + band.upper) / 2, band.band, fontsize=7, va="center", color="#555555")
            if measure in uk_means:
                ax.axhline(uk_means[measure], color=PALETTE[3], linestyle="--", linewidth=1.2, label="UK mean")
        for values in wide.to_numpy():
            ax.plot([1, 2], values, color="#9a9a9a", alpha=0.6, linewidth=0.8, marker="o", markersize=2.5)
        if len(wide):
            ax.plot([1, 2], wide.mean().to_numpy(), color=PALETTE[0], linewidth=3, marker="o", label="mean")
        ax.set_xlim(0.8, 1.75 if not is_gse else 2.2)
        ax.set_xticks([1, 2], ["wave 1", "wave 2"])
        ax.set_ylim(low - 0.5, high + 0.5)
        title = MEASURE_LABELS[measure]
        if measure in LOWER_IS_BETTER:
            ax.invert_yaxis()
            title += "\n(lower is better: axis reversed)"
        ax.set_title(f"{title}\n{len(wide)} patients with both waves", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, -0.06))
    fig.tight_layout()
    return fig


def trajectory_plot(trajectory: pd.DataFrame, title: str = ""):
    """Mean GP contacts per patient by month around referral (referral between month -1 and 1)."""
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


def time_use_plot(time_use: pd.DataFrame):
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
