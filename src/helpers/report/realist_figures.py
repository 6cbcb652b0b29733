"""Figures of the realist analysis: the embeddedness continuum, concept heatmap, site
associations and the CMOC verdict grid. Style from helpers.report.figures; sized for the book's
text column (about 7 inches), with fonts of 9 points or more."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from helpers.analysis.cmoc import ALL_SITES, VERDICTS
from helpers.analysis.embeddedness import LEVEL_NAMES, LEVELS, THRESHOLDS
from helpers.report.figures import PALETTE, interval_lines, lay_out
from helpers.report.scale import in_detail

POSITION_COLOURS = {"bolted_on": PALETTE[3], "fitting_in": PALETTE[8], "belonging": PALETTE[2],
                    "no evidence": PALETTE[7]}
VERDICT_COLOURS = {"confirmed": PALETTE[2], "contested": PALETTE[8], "refuted": PALETTE[3],
                   "insufficient evidence": PALETTE[0], "no evidence": PALETTE[7]}


def lighten(colour, amount: float = 0.45):
    """`colour` mixed with white, light enough for dark text on it."""
    return tuple(c + (1 - c) * amount for c in colour[:3])


def continuum_figure(rows: pd.DataFrame):
    """Each site (a row of embeddedness.csv) on the -1..+1 continuum with its 95% interval.

    Sites are sorted by score; a site without evidence is drawn hollow at the centre.
    """
    rows = rows.sort_values("score", na_position="first", kind="stable").reset_index(drop=True)
    if not in_detail(len(rows)):
        return _many_sites_continuum(rows)
    fig, ax = plt.subplots(figsize=(7, 1.5 + 0.34 * len(rows)))
    _continuum_bands(ax)
    for y, row in rows.iterrows():
        if pd.isna(row["score"]):
            ax.plot(0, y, marker="o", markersize=8, markerfacecolor="white", markeredgecolor="#777777")
            ax.text(0.06, y, "no embeddedness segments", va="center", fontsize=9, color="#444444")
            continue
        ax.plot([row["ci95_low"], row["ci95_high"]], [y, y], color="#333333", linewidth=2, zorder=2)
        ax.plot(row["score"], y, marker="o", markersize=10, color=POSITION_COLOURS[row["position"]],
                markeredgecolor="#222222", zorder=3)
    ax.set_yticks(range(len(rows)), [f"{s} ({n} segments)" for s, n in zip(rows["site_id"], rows["n_segments"])],
                  fontsize=10)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    return lay_out(fig)


def _continuum_bands(ax) -> None:
    edges = (-1.05, THRESHOLDS[0], THRESHOLDS[1], 1.05)
    for level, low, high in zip(LEVELS, edges, edges[1:]):
        ax.axvspan(low, high, color=POSITION_COLOURS[level], alpha=0.15, zorder=0, linewidth=0)
        ax.text((low + high) / 2, 1.02, LEVEL_NAMES[level], transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=11, fontweight="bold")
    for threshold in THRESHOLDS:
        ax.axvline(threshold, color="#777777", linestyle=":", linewidth=1)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xticks([-1, THRESHOLDS[0], 0, THRESHOLDS[1], 1], ["-1", "-1/3", "0", "+1/3", "+1"], fontsize=10)
    ax.set_xlabel("score: bolted on -1, fitting in 0, belonging +1 (line: 95% bootstrap interval)", fontsize=10)
    ax.grid(axis="y", visible=False)


def _many_sites_continuum(rows: pd.DataFrame):
    """The continuum of many sites (sorted rows): each site's interval a thin line, unlabelled."""
    scored = rows[rows["score"].notna()].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7, 6))
    _continuum_bands(ax)
    y = np.arange(len(scored))
    interval_lines(ax, scored["ci95_low"], scored["ci95_high"], y, colors="#333333", linewidths=0.5, alpha=0.4)
    ax.scatter(scored["score"], y, s=5, c=[POSITION_COLOURS[p] for p in scored["position"]], zorder=3)
    ax.set_ylim(len(scored), -1)
    ax.set_yticks([])
    unscored = len(rows) - len(scored)
    ax.set_ylabel(f"{len(scored):,} sites, ordered by score" + (f"\n({unscored:,} without embeddedness segments)"
                                                            if unscored else ""), fontsize=10)
    return lay_out(fig)


def concept_figure(shares: pd.DataFrame):
    """Rows: concepts and their codes; columns: sites; cells: share of the site's segments (%)."""
    n_sites = shares.shape[1]
    if not in_detail(n_sites):
        return _many_sites_concepts(shares)
    per_site = 0.5 if n_sites <= 12 else 0.28
    fig, ax = plt.subplots(figsize=(max(7, 4.2 + per_site * n_sites), 0.34 * len(shares) + 1.2))
    sns.heatmap(shares * 100, ax=ax, cmap="Blues", vmin=0, annot=n_sites <= 12, fmt=".0f",
                annot_kws={"fontsize": 9}, linewidths=0.5, linecolor="white",
                cbar_kws={"label": "% of the site's segments", "shrink": 0.6})
    ax.tick_params(axis="x", rotation=0 if n_sites <= 12 else 90, labelsize=10)
    ax.set_xlabel("")
    ax.set_ylabel("")
    for tick in ax.get_yticklabels():
        tick.set_fontweight("bold" if tick.get_text().endswith("(any)") else "normal")
        tick.set_fontsize(9.5)
    ax.tick_params(length=0)
    return lay_out(fig)


def _many_sites_concepts(shares: pd.DataFrame):
    """The concept shares of many sites: for each concept and code, the spread of the sites'
    percentages (box: the middle half of the sites; whiskers: 1.5 times its width; dots beyond)."""
    fig, ax = plt.subplots(figsize=(9, 0.34 * len(shares) + 1.4))
    values = [row.dropna().to_numpy() * 100 for _, row in shares.iterrows()]
    ax.boxplot(values, orientation="horizontal", widths=0.6, patch_artist=True,
               boxprops={"facecolor": lighten(PALETTE[0]), "edgecolor": "#333333"},
               medianprops={"color": "#222222"}, flierprops={"markersize": 2, "alpha": 0.4})
    ax.set_yticks(range(1, len(shares) + 1), [str(label) for label in shares.index])
    for tick in ax.get_yticklabels():
        tick.set_fontweight("bold" if tick.get_text().endswith("(any)") else "normal")
    ax.set_ylim(len(shares) + 0.5, 0.5)
    ax.set_xlabel(f"% of the site's segments, over {shares.shape[1]:,} sites", fontsize=10)
    ax.grid(axis="y", visible=False)
    return lay_out(fig)


def _label_groups(data: pd.DataFrame, x: str, y: str) -> list[tuple[float, float, str]]:
    """Site labels, joined for sites that sit (almost) on the same spot so labels do not overprint."""
    span_x = max(np.ptp(data[x].to_numpy()), 1e-9)
    span_y = max(np.ptp(data[y].to_numpy()), 1e-9)
    groups: list[list] = []
    for site, row in data.iterrows():
        for group in groups:
            if abs(group[0] - row[x]) < 0.04 * span_x and abs(group[1] - row[y]) < 0.05 * span_y:
                group[2].append(str(site))
                break
        else:
            groups.append([row[x], row[y], [str(site)]])
    return [(gx, gy, ", ".join(names)) for gx, gy, names in groups]


def association_figure(table: pd.DataFrame, x: str, panels: dict[str, str], rho: pd.DataFrame, x_label: str,
                     reversed_panels=(), x_lim: tuple[float, float] | None = None, percent_panels=()):
    """One scatter per column in `panels` (column -> title) against column `x`, one dot per site
    (labelled when there are at most 12 sites), Spearman's rho (from `rho`, indexed by column)
    under the title. Panels listed in `reversed_panels` are measures where lower is better: their axis runs
    upwards like every other figure's, and their title says that lower is better. Panels listed in
    `percent_panels` hold shares (0-1) and are labelled as percentages, the book's one unit for shares."""
    n = len(panels)
    cols = min(2, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.3 * rows), squeeze=False)
    for ax, (column, title) in zip(axes.ravel(), panels.items()):
        data = table[[x, column]].dropna()
        ax.scatter(data[x], data[column], s=45, color=PALETTE[0], edgecolor="#222222", zorder=3)
        if len(table) <= 12 and len(data):  # more sites would bury the dots under their labels; none: no label
            for gx, gy, names in _label_groups(data, x, column):
                ax.annotate(names, (gx, gy), xytext=(5, 3), textcoords="offset points", fontsize=9)
        stat = rho.loc[column]
        detail = (f"rho = {stat['rho']:.2f}, {int(stat['n_sites'])} sites" if pd.notna(stat["rho"])
                  else f"{int(stat['n_sites'])} sites: rho not computed")
        better = " - lower is better" if column in reversed_panels else ""
        ax.set_title(f"{title}{better}\n{detail}", fontsize=10)
        ax.set_xlabel(x_label, fontsize=10)
        if x_lim:
            ax.set_xlim(*x_lim)
        ax.margins(y=0.15)
        if column in percent_panels:
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    return lay_out(fig)


def verdict_figure(site_rows: pd.DataFrame, all_rows: pd.DataFrame):
    """CMOCs (rows) by site and over all sites (columns), coloured by verdict; with few sites each
    cell reads supporting/refuting/refining segments, with "R" when the CMOC is refined there."""
    if not in_detail(site_rows["site_id"].nunique()):
        return _many_sites_verdicts(site_rows, all_rows)
    rows = pd.concat([site_rows, all_rows], ignore_index=True)
    sites = list(dict.fromkeys(rows["site_id"]))
    cmocs = list(dict.fromkeys(rows["cmoc_id"]))
    annotate = len(sites) <= 12
    code = {v: i for i, v in enumerate(VERDICTS)}
    grid = rows.pivot(index="cmoc_id", columns="site_id", values="verdict").reindex(index=cmocs, columns=sites)
    colours = [lighten(VERDICT_COLOURS[v]) for v in VERDICTS]
    fig, ax = plt.subplots(figsize=(7 if annotate else max(7, 1.5 + 0.22 * len(sites)), 0.4 * len(cmocs) + 1.6))
    ax.imshow(grid.map(code.get).to_numpy(dtype=float), cmap=ListedColormap(colours),
              vmin=-0.5, vmax=len(VERDICTS) - 0.5, aspect="auto")
    if annotate:
        for r in rows.itertuples():
            mark = " R" if r.refined == "refined" else ""
            ax.text(sites.index(r.site_id), cmocs.index(r.cmoc_id), f"{r.n_supports}/{r.n_refutes}/{r.n_refines}{mark}",
                    ha="center", va="center", fontsize=9, fontweight="bold" if r.site_id == ALL_SITES else "normal")
    ax.axvline(len(sites) - 1.5, color="white", linewidth=4)
    ax.set_xticks(range(len(sites)), ["all" if s == ALL_SITES else s for s in sites],
                  rotation=0 if annotate else 90, fontsize=10)
    ax.set_yticks(range(len(cmocs)), cmocs, fontsize=10)
    ax.tick_params(length=0)
    ax.grid(False)
    ax.xaxis.tick_top()
    handles = [Patch(facecolor=c, edgecolor="#999999", label=v) for v, c in zip(VERDICTS, colours)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, frameon=False,
              fontsize=10, title="cell: supporting / refuting / refining segments; R: refined" if annotate else None,
              title_fontsize=10)
    return lay_out(fig)


def _many_sites_verdicts(site_rows: pd.DataFrame, all_rows: pd.DataFrame):
    """The verdicts of many sites: for each CMOC (rows), the share of sites with each verdict,
    and its verdict over all sites at the right."""
    cmocs = list(dict.fromkeys(site_rows["cmoc_id"]))
    shares = (site_rows.groupby("cmoc_id")["verdict"].value_counts(normalize=True).unstack(fill_value=0)
              .reindex(index=cmocs, columns=list(VERDICTS), fill_value=0))
    overall = all_rows.set_index("cmoc_id")["verdict"]
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(cmocs) + 1.9))
    left = np.zeros(len(cmocs))
    for verdict in VERDICTS:
        ax.barh(range(len(cmocs)), shares[verdict], left=left, color=lighten(VERDICT_COLOURS[verdict]),
                edgecolor="white", label=verdict)
        left += shares[verdict].to_numpy()
    for y, cmoc in enumerate(cmocs):
        ax.text(1.02, y, f"all: {overall.get(cmoc, 'no evidence')}", va="center", fontsize=9)
    ax.set_yticks(range(len(cmocs)), cmocs, fontsize=10)
    ax.set_ylim(len(cmocs) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    ax.set_xlabel(f"share of the {site_rows['site_id'].nunique():,} sites with each verdict", fontsize=10)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False, fontsize=10)
    return lay_out(fig)
