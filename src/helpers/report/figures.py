"""Figures of the book: one function per kind of figure, colour-blind-safe palette."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.text import Text
import numpy as np
import pandas as pd
import seaborn as sns

from helpers.report.figure_metadata import FIGURE_METADATA
from helpers.report.withheld import protect_trajectory
from helpers.report.disclosure import Policy
from helpers.report.scale import in_detail
from helpers.report.table_html import reset_table_numbers, show_frames_as_reader_tables
from helpers.report.text_metrics import remember_text_metrics
from helpers.analysis.scoring import LOWER_IS_BETTER, MEASURES

PALETTE = sns.color_palette("colorblind")
BAND_SHADES = ("#f2f2f2", "#ffffff")
SYNTHETIC_MARK = "SYNTHETIC DATA"
_marked = {"synthetic": False}


def mark_synthetic(synthetic: bool) -> None:
    """Stamp every figure shown from now on with SYNTHETIC DATA (a figure copied out of the
    book keeps the mark); `synthetic` is the dataset's flag, so real data are never stamped."""
    _marked["synthetic"] = bool(synthetic)


def stamped(fig: Figure) -> Figure:
    """`fig` with the synthetic mark in its bottom right corner, once, when figures are marked."""
    if _marked["synthetic"] and not getattr(fig, "_linkbook_stamped", False):
        fig.text(0.995, 0.005, SYNTHETIC_MARK, ha="right", va="bottom", fontsize=max(9, smallest_readable_pt(fig)),
                 fontweight="bold", color="#7a1f00", alpha=0.85)
        fig._linkbook_stamped = True
    return fig


def show_figure(fig: Figure, alt: str, name: str) -> None:
    """Display `fig` with `alt` (its result, from the data) as alt text and `name` for its number
    and caption: the cell's `mystnb: figure: caption:` gives the caption, helpers.book.sphinx_ext
    the rest. One figure per cell, so that each output is one numbered figure."""
    from IPython.display import display

    display(fig, metadata={FIGURE_METADATA: {"alt": alt, "name": name}})
    plt.close(fig)


def use_book_style() -> None:
    """House style for every figure, and SVG output in notebooks (not yet marked synthetic:
    `mark_synthetic` once the dataset is read).

    SVG keeps figures sharp at any zoom, with their text as text (found by the
    browser's find-in-page and read by the privacy guard); it is also quicker to
    draw than PNG and a quarter of the size. The SVG is made byte-stable: a fixed
    id salt and no creation date. Text is drawn as it is (no mathtext): labels are data,
    and a `$` in one is a dollar.

    Each figure is laid out once, when it is shown (`lay_out`, after `readable_text` has
    set its final text sizes), and drawn once, by the inline backend: the saved figure is
    its `figsize`, with no tight bounding box (which drew every figure once more, unseen,
    to measure it).
    """
    _marked["synthetic"] = False
    reset_table_numbers()
    remember_text_metrics()  # the same labels are measured once, not in every figure
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update({"figure.dpi": 110, "savefig.bbox": "standard", "axes.titleweight": "bold",
                         "svg.fonttype": "none", "svg.hashsalt": "linkbook", "text.parse_math": False,
                         # titles sit on the axes' top edge: placing them automatically measures
                         # every y tick label again for each title, at layout and at draw, and only
                         # moves a title above tick labels at the top (no book figure with a title
                         # has those)
                         "axes.titley": 1.0})
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # outside Jupyter: nothing to configure
        return
    if get_ipython() is not None:
        show_frames_as_reader_tables()  # tables shown beside the figures read the same way
        set_matplotlib_formats("svg", bbox_inches=None, metadata={"Date": None})
        svg = get_ipython().display_formatter.formatters["image/svg+xml"]
        draw = svg.lookup_by_type(Figure)
        svg.for_type(Figure, lambda fig: draw(readable_text(stamped(fig))))
        # The inline backend renders every figure at the end of its cell; pyplot's own
        # end-of-cell hook would first draw each one more time with Agg, unseen
        # (about 0.2 s a figure).
        plt.uninstall_repl_displayhook()


COLUMN_PX = 688  # the book's text column in a 1280 px wide window: wider figures are scaled down to it
MIN_TEXT_PX = 10  # the smallest text a figure may show at that width


def lay_out(fig: Figure, rect: tuple | None = None) -> Figure:
    """Mark `fig` to be laid out (tight layout, within `rect` if given) when it is shown, by
    `readable_text`: after any text too small to read has been enlarged, so that the layout is
    computed once, with the final sizes. Returns `fig`."""
    fig._linkbook_layout = {"rect": rect}
    return fig


def smallest_readable_pt(fig: Figure, column_px: float = COLUMN_PX, min_px: float = MIN_TEXT_PX) -> float:
    """The smallest font size (points) that `fig`, saved at its `figsize`, shows at `min_px` CSS pixels
    or more once scaled to fit a `column_px` column, with a 4% margin: the page shows a figure a few
    pixels narrower than the column."""
    return 1.04 * min_px * 0.75 / min(1.0, column_px / (fig.get_figwidth() * 96))


def _texts(artist):
    """Every text under `artist` except tick labels, without making the ticks an axis has not
    made yet (`findobj` does, at a cost of about 0.02 s a figure); `readable_text` sizes tick
    labels through their axis."""
    for child in artist.get_children():
        if isinstance(child, Axis):
            yield from (child.label, child.offsetText)
            continue
        if isinstance(child, Text):
            yield child
        yield from _texts(child)


def readable_text(fig: Figure, column_px: float = COLUMN_PX, min_px: float = MIN_TEXT_PX) -> Figure:
    """Enlarge every text of `fig` that would be shown smaller than `min_px` CSS pixels once the
    figure, saved at its `figsize` (no tight bounding box), is scaled to fit a `column_px` column
    (SVG: 72 units an inch, a CSS pixel is 0.75 of one); then lay the figure out: the layout
    `lay_out` deferred, or, for a figure laid out already whose text grew, again. Nothing is drawn
    or measured to decide. Returns `fig`."""
    smallest = smallest_readable_pt(fig, column_px, min_px)
    grew = False
    for ax in fig.axes:  # tick labels, including those the axis makes when it is drawn
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_major_ticks(1)[0].label1.get_fontsize() < smallest - 0.01:
                axis.set_tick_params(which="both", labelsize=smallest)
                grew = True
    small = [text for text in _texts(fig) if text.get_text() and text.get_fontsize() < smallest - 0.01]
    for text in small:
        text.set_fontsize(smallest)
    deferred = getattr(fig, "_linkbook_layout", None)
    if deferred is not None or ((grew or small) and fig.get_layout_engine() is None):
        with warnings.catch_warnings():  # a figure that cannot be laid out tighter keeps its layout
            warnings.simplefilter("ignore")
            fig.tight_layout(**(deferred or {}))  # a rect costs a second pass: only where given
        # tight_layout leaves a placeholder layout engine on the figure, and savefig draws a
        # figure that has any engine once more, unseen, before drawing it (about 0.1 s a
        # figure): the layout is done, so the figure keeps none
        fig.set_layout_engine(None)
        fig._linkbook_layout = None
    return fig


SHORT_LABELS = {
    "ons_life_satisfaction": "Life satisfaction (0-10)",
    "ons_worthwhile": "Things done are worthwhile (0-10)",
    "ons_happy": "Happiness yesterday (0-10)",
    "ons_anxious": "Anxiety yesterday (0-10)",
    "gse_total": "General self-efficacy (10-40)",
}


def paired_figure(scores: pd.DataFrame, uk_means: dict, bands: pd.DataFrame, policy: Policy):
    """One panel per measure: a line per patient from wave 1 to wave 2, the mean in bold.

    ONS panels shade the ONS bands and mark the UK mean; every axis runs upwards,
    as in the forest plot, and the anxiety panel says that lower is better. Under the disclosure policy,
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
        if not policy.allows(n_pairs, f"pairs:{measure}"):  # this page's site (policy.at)
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
            title += " - lower is better"
        shown_n = (f"{policy.count(n_pairs)} patients" if policy.allows(n_pairs, f"pairs:{measure}") or n_pairs == 0
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
                         title="Higher is better, except for anxiety", title_fontsize=10)
    return lay_out(fig)


def trajectory_figure(trajectory: pd.DataFrame, policy: Policy, title: str = "", fitted: pd.DataFrame | None = None):
    """Mean GP contacts per patient by month around referral (referral between month -1 and 1).

    Months resting on fewer patients than the disclosure threshold, or withheld for the page's site
    (`withheld.protect_trajectory`), are left out.
    ``fitted`` (``gp_change.fitted_trajectory``) adds the segmented model's
    fitted segments and, dashed, what its trend projects without the run-up and
    the level change.
    """
    trajectory = protect_trajectory(trajectory, policy)  # small months, and a withheld site's months
    fig, ax = plt.subplots(figsize=(8, 3.6))
    if trajectory["mean_contacts"].isna().all():
        ax.text(0, 0.5, "Not shown: too few patients, or withheld by disclosure control", ha="center",
                fontsize=9, color="#444444")
    before = trajectory[trajectory["month"] < 0]
    after = trajectory[trajectory["month"] > 0]
    ax.plot(before["month"], before["mean_contacts"], marker="o", color=PALETTE[0], label="before referral")
    ax.plot(after["month"], after["mean_contacts"], marker="s", color=PALETTE[2], label="after referral")
    if fitted is not None and len(fitted):
        shown = trajectory.loc[trajectory["mean_contacts"].notna(), "month"]
        fitted = fitted[fitted["month"].isin(shown)]
        label = "segmented model"
        for part in (fitted[fitted["month"] < 0], fitted[fitted["month"] > 0]):
            ax.plot(part["month"], part["fitted"], color="#222222", linewidth=1.4, label=label)
            label = None
        ax.plot(fitted["month"], fitted["counterfactual"], color="#222222", linestyle="--", linewidth=1,
                label="model without run-up or level change")
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
    return lay_out(fig)


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
    return lay_out(fig)


def forest_figure(outcomes: pd.DataFrame, policy: Policy):
    """Mean change (wave 2 minus wave 1) with its 95% CI, one panel per measure, one row per site.

    Sites with too few pairs for an interval show a hollow point; rows resting on
    fewer patients than the disclosure threshold are not drawn. The pooled row
    ("ALL") is drawn as a diamond. An arrow under each panel points to "better".
    """
    sites = [s for s in outcomes["site_id"].unique() if s != "ALL"] + ["ALL"]
    if not in_detail(len(sites) - 1):
        return _caterpillar_figure(outcomes, sites[:-1], policy)
    fig, grid = plt.subplots(2, 3, figsize=(11, 2.2 + 0.55 * len(sites) * 2), sharey=True)
    axes = grid.ravel()
    for ax, measure in zip(axes, MEASURES):
        rows = outcomes[outcomes["measure"] == measure].set_index("site_id").reindex(sites)
        y = np.arange(len(sites))[::-1]
        for yi, (site, r) in zip(y, rows.iterrows()):
            if not policy.allows(r["n_pairs"], f"pairs:{measure}", site):
                continue
            pooled = site == "ALL"
            colour = PALETTE[1] if pooled else PALETTE[0]
            if pd.notna(r["ci95_low"]):
                ax.plot([r["ci95_low"], r["ci95_high"]], [yi, yi], color=colour, linewidth=2)
                ax.plot(r["mean_diff"], yi, marker="D" if pooled else "s", color=colour, markersize=8 if pooled else 6)
            elif pd.notna(r["mean_diff"]):
                ax.plot(r["mean_diff"], yi, marker="o", markerfacecolor="white", color=colour, markersize=6)
        ax.axvline(0, color="#444444", linewidth=1)
        ax.set_yticks(y, [f"{s} (n={policy.count(n, f'pairs:{measure}', s)})" if pd.notna(n) else s
                          for s, n in zip(sites, rows["n_pairs"])])
        ax.set_title(SHORT_LABELS[measure], fontsize=10)
        better = "lower is better  <-" if measure in LOWER_IS_BETTER else "->  higher is better"
        ax.set_xlabel(f"change, wave 2 minus wave 1\n{better}", fontsize=9)
        ax.grid(axis="y", visible=False)
    axes[-1].axis("off")
    axes[-1].text(0.05, 0.5, "Squares: a site's mean change with its 95% CI.\n"
                             "Hollow circles: too few pairs for an interval.\n"
                             f"Rows with fewer than {policy.threshold} patients,\nor withheld so that none can be\n"
                             "recovered from the others\n(disclosure control): not drawn.\n"
                             "Diamond: all sites pooled.", fontsize=9, va="center")
    return lay_out(fig)


def interval_lines(ax, low, high, y, **style) -> None:
    """One horizontal line from `low` to `high` at each `y`, drawn as one collection (many sites'
    intervals: a line each would be an artist each)."""
    from matplotlib.collections import LineCollection

    ax.add_collection(LineCollection([[(lo, yi), (hi, yi)] for lo, hi, yi in zip(low, high, y)], **style))


def _caterpillar_figure(outcomes: pd.DataFrame, sites: list[str], policy: Policy):
    """The forest plot of many sites: in each panel the sites' intervals ordered by their mean
    change (one thin line each, unlabelled), the pooled change and its interval across them."""
    fig, grid = plt.subplots(2, 3, figsize=(11, 8))
    axes = grid.ravel()
    for ax, measure in zip(axes, MEASURES):
        rows = outcomes[outcomes["measure"] == measure].set_index("site_id")
        mine = rows.reindex(sites)
        shown = mine[[policy.allows(n, f"pairs:{measure}", s) for s, n in zip(mine.index, mine["n_pairs"])]]
        shown = shown[shown["mean_diff"].notna()].sort_values("mean_diff", kind="stable")
        y = np.arange(len(shown))
        has_ci = shown["ci95_low"].notna().to_numpy()
        interval_lines(ax, shown["ci95_low"][has_ci], shown["ci95_high"][has_ci], y[has_ci],
                       colors=[PALETTE[0]], linewidths=0.6, alpha=0.5)
        ax.scatter(shown["mean_diff"], y, s=4, color=PALETTE[0], zorder=3, label="a site's mean change")
        if "ALL" in rows.index and policy.allows(rows.at["ALL", "n_pairs"], f"pairs:{measure}", "ALL"):
            pooled = rows.loc["ALL"]
            ax.axvspan(pooled["ci95_low"], pooled["ci95_high"], color=PALETTE[1], alpha=0.25, zorder=0)
            ax.axvline(pooled["mean_diff"], color=PALETTE[1], linewidth=2, label="all sites pooled, 95% CI")
        ax.axvline(0, color="#444444", linewidth=1)
        ax.set_ylim(-1, max(len(shown), 1))
        ax.set_yticks([])
        ax.set_ylabel(f"{len(shown):,} sites, ordered by their change", fontsize=9)
        ax.set_title(SHORT_LABELS[measure], fontsize=10)
        better = "lower is better  <-" if measure in LOWER_IS_BETTER else "->  higher is better"
        ax.set_xlabel(f"change, wave 2 minus wave 1\n{better}", fontsize=9)
        ax.grid(axis="y", visible=False)
        ax.autoscale_view(scalex=True, scaley=False)
    axes[-1].axis("off")
    handles, labels = axes[0].get_legend_handles_labels()
    axes[-1].legend(handles, labels, loc="upper left", frameon=False, fontsize=9)
    axes[-1].text(0.05, 0.45, "Each site's interval is a thin line\nthrough its mean change.\n"
                              f"Sites with fewer than {policy.threshold} patients,\nor withheld so that none "
                              "can be\nrecovered from the others\n(disclosure control): not drawn.\n"
                              "Each site's own figures are on its chapter.", fontsize=9, va="top")
    return lay_out(fig)


def key_findings_figure(pooled: pd.DataFrame, gp_change: pd.DataFrame, policy: Policy):
    """The summary's headlines in one figure: the pooled change of each measure with its 95% CI
    (primary outcomes first, in bold), and the GP rate ratios, the level change at referral
    (the headline) beside the naive before-and-after comparison, on a log scale."""
    from helpers.analysis.rules import PRIMARY_OUTCOMES

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2), gridspec_kw={"width_ratios": [1.3, 1]})
    order = list(PRIMARY_OUTCOMES) + [m for m in MEASURES if m not in PRIMARY_OUTCOMES]
    rows = pooled.set_index("measure").reindex(order)
    y = np.arange(len(order))[::-1]
    for yi, (measure, r) in zip(y, rows.iterrows()):
        if not policy.allows(r["n_pairs"]) or pd.isna(r["ci95_low"]):
            left.text(0, yi, "not shown", ha="center", va="center", fontsize=9)
            continue
        primary = measure in PRIMARY_OUTCOMES
        colour = PALETTE[0] if primary else "#555555"
        left.plot([r["ci95_low"], r["ci95_high"]], [yi, yi], color=colour, linewidth=2.5 if primary else 1.6)
        left.plot(r["mean_diff"], yi, marker="D" if primary else "o", color=colour, markersize=8 if primary else 6)
    left.axvline(0, color="#444444", linewidth=1)
    labels = [SHORT_LABELS[m].replace(" (", "\n(") + (", primary" if m in PRIMARY_OUTCOMES else "") for m in order]
    left.set_yticks(y, labels, fontsize=10)
    for tick, measure in zip(left.get_yticklabels(), order):
        tick.set_fontweight("bold" if measure in PRIMARY_OUTCOMES else "normal")
    left.set_xlabel("mean change in points (95% CI), follow-up minus first\n"
                    "anxiety: lower is better; others: higher is better", fontsize=10)
    left.set_title("Well-being and self-efficacy, all sites", fontsize=11)
    left.grid(axis="y", visible=False)
    comparisons = [("level_change", "level change\nat referral\n(headline)"),
                   ("window_naive", "naive before\nand after\n(overstates\nany fall)")]
    for yi, (comparison, label) in zip([1, 0], comparisons):
        part = gp_change[gp_change["comparison"] == comparison]
        if part.empty or not policy.allows(part["n_patients"].iloc[0]) or pd.isna(part["ci95_low"].iloc[0]):
            right.text(1, yi, "not estimated", ha="center", va="center", fontsize=9)
            continue
        r = part.iloc[0]
        colour = PALETTE[0] if comparison == "level_change" else "#777777"
        right.plot([r["ci95_low"], r["ci95_high"]], [yi, yi], color=colour, linewidth=2.5)
        right.plot(r["rate_ratio"], yi, marker="D", color=colour, markersize=8)
    right.axvline(1, color="#444444", linewidth=1)
    right.set_xscale("log")
    right.set_yticks([1, 0], [label for _, label in comparisons], fontsize=10)
    right.set_ylim(-0.6, 1.6)
    right.set_xlabel("rate ratio after / before (95% CI)\nlog scale; below 1: fewer contacts",
                     fontsize=10)
    right.set_title("GP contacts, all sites", fontsize=11)
    right.grid(axis="y", visible=False)
    right.set_xticks([0.25, 0.5, 1, 2, 4])
    right.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    right.xaxis.set_minor_formatter(plt.NullFormatter())
    return lay_out(fig)
