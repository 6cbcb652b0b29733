"""What each figure shows, in words and as a table: its alt text states the figure's result
(computed from the same data, so it differs from site to site), and its data table is what a
reader opens under the figure. One `*_alt_phrase` / `*_data_table` pair per kind of figure.

Shares are percentages everywhere. The disclosure policy applies as in the figure: what the
figure leaves out (too few patients) the phrase and the table leave out too.
"""

from __future__ import annotations

import io
import re
from html import escape

import pandas as pd

from helpers.analysis.embeddedness import LEVEL_NAMES
from helpers.analysis.scoring import LOWER_IS_BETTER, MEASURE_LABELS, MEASURES
from helpers.report.disclosure import Policy
from helpers.report.excerpts import dropdown
from helpers.report.table_html import reader_styler

DATA_TITLE = "The data behind this figure"


class DataDropdown(str):
    """HTML that a notebook displays as HTML (a collapsed dropdown holding a reader table)."""

    def _repr_html_(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle) -> None:  # the notebook's plain-text view: not the HTML again
        printer.text("(HTML: a figure or table for the book)")


def figure_data_table(table: pd.DataFrame, title: str = DATA_TITLE) -> DataDropdown:
    """`table` (a figure's `*_data_table`) as a reader table in a collapsed dropdown under the figure."""
    return collapsed_table(table, title)


def pasted_figure(fig, alt: str, caption: str, name: str, data: pd.DataFrame | None = None) -> DataDropdown:
    """`fig` as HTML to glue into a page that is not a notebook (the Summary): the SVG inline (its
    text stays text, for search and the privacy guard), named by `alt`, captioned, with its data
    table under it. Ids inside the SVG are prefixed with `name`, so two figures on a page never share one."""
    import matplotlib.pyplot as plt

    from helpers.report.figures import readable_text, stamped

    buffer = io.StringIO()
    readable_text(stamped(fig)).savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>|<style[^>]*>.*?</style>", "", svg, flags=re.S)  # a page-wide <style>
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', svg)
    svg = re.sub(r'(url\(#|href="#)([^")]+)', lambda m: f"{m.group(1)}{name}-{m.group(2)}", svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(alt, quote=True)}" ', 1)
    html = (f'<figure class="pasted-figure" id="{name}"><div class="pasted-figure-image">{svg}</div>'
            f"<figcaption><p>{escape(caption)}</p></figcaption></figure>")
    return DataDropdown(html + (figure_data_table(data) if data is not None else ""))


def pasted_table(table: pd.DataFrame, css_class: str = "statement-table") -> DataDropdown:
    """`table` as a reader table to glue into a page that is not a notebook, in a box that scrolls
    sideways when the table is wider than the column (never the page)."""
    return DataDropdown('<div class="pasted-table cell_output docutils container"><div class="output text_html">'
                        f"{reader_styler(table, css_class).to_html()}</div></div>")


def collapsed_table(table, title: str) -> DataDropdown:
    """A table (DataFrame, or a Styler from `reader_styler` / `disclosure.publish`) in a collapsed
    dropdown titled `title`: detail a reader opens when they want it, off the page's length (and
    out of the printed book)."""
    styler = table if hasattr(table, "to_html") and not isinstance(table, pd.DataFrame) else reader_styler(table)
    return DataDropdown(dropdown(title, styler.to_html(), detail=True))


def _pct(share: float) -> str:
    return "no data" if pd.isna(share) else f"{share * 100:.0f}%"


def _short(measure: str) -> str:
    """'Life satisfaction (0-10)' -> 'life satisfaction'."""
    return MEASURE_LABELS[measure].split(" (")[0].lower()


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else "none"


# --- the link worker's time use (site page) ---


def time_use_alt_phrase(time_use: pd.DataFrame, observed_days: int) -> str:
    """E.g. 'Bar chart of 2,340 observed minutes over 12 days: with patients 41%, admin 22%, ...'."""
    total = int(time_use["minutes"].sum())
    if total == 0:
        return "Bar chart of the link worker's observed time: no minutes were observed."
    ranked = time_use.sort_values("minutes", ascending=False, kind="stable")
    parts = [f"{a} {_pct(s)}" for a, s in zip(ranked["activity"], ranked["share"])]
    return (f"Bar chart of the link worker's {total:,} observed minutes over {observed_days} days, largest share "
            f"first: {', '.join(parts)}.")


def time_use_data_table(time_use: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"activity": time_use["activity"], "observed minutes": time_use["minutes"].astype(int),
                         "share of observed minutes": time_use["share"].map(_pct)}).set_index("activity")


# --- well-being and self-efficacy at the two interviews (site page) ---


def _paired_means(scores: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Per measure: patients with both waves and the two means, withheld where the figure withholds them."""
    rows = []
    for measure in MEASURES:
        wide = (scores[scores["measure"] == measure].pivot(index="participant_id", columns="wave", values="value")
                .reindex(columns=[1, 2]).dropna())
        shown = len(wide) > 0 and policy.allows(len(wide), f"pairs:{measure}")
        rows.append({"measure": measure, "n": len(wide), "shown": shown,
                     "wave1": wide[1].mean() if shown else float("nan"),
                     "wave2": wide[2].mean() if shown else float("nan")})
    return pd.DataFrame(rows)


def paired_alt_phrase(scores: pd.DataFrame, policy: Policy) -> str:
    """E.g. 'Mean scores at the first interview and at follow-up: life satisfaction 5.5 to 6.3 (4 patients), ...'."""
    parts = []
    for r in _paired_means(scores, policy).itertuples():
        label = _short(r.measure)
        if r.n == 0:
            parts.append(f"{label} not compared (no patient answered at both)")
        elif not r.shown:
            parts.append(f"{label} not shown (fewer than {policy.threshold} patients)")
        else:
            better = ", lower is better" if r.measure in LOWER_IS_BETTER else ""
            parts.append(f"{label} {r.wave1:.1f} to {r.wave2:.1f} ({policy.count(r.n)} patients{better})")
    return "Line charts of the mean score at the first interview and at follow-up: " + "; ".join(parts) + "."


def paired_data_table(scores: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    means = _paired_means(scores, policy)
    return pd.DataFrame({
        "measure": means["measure"].map(MEASURE_LABELS),
        "patients with both interviews": [policy.count(n) if s or n == 0 else f"fewer than {policy.threshold}"
                                          for n, s in zip(means["n"], means["shown"])],
        "mean at first interview": means["wave1"].round(2), "mean at follow-up": means["wave2"].round(2),
        "change": (means["wave2"] - means["wave1"]).round(2),
    }).set_index("measure")


# --- GP contacts month by month (site page, outcomes synthesis) ---


def _shown_trajectory(trajectory: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    return trajectory.assign(mean_contacts=trajectory["mean_contacts"].where(trajectory["n_patients"].map(policy.allows)))


def trajectory_alt_phrase(trajectory: pd.DataFrame, policy: Policy) -> str:
    """E.g. 'Line chart of mean GP contacts per patient: 0.42 a month before referral, highest (0.80) in month -1, ...'."""
    shown = _shown_trajectory(trajectory, policy).dropna(subset=["mean_contacts"])
    if shown.empty:
        return "Line chart of GP contacts around referral: no month rests on enough patients to be shown."
    before, after = shown[shown["month"] < 0], shown[shown["month"] > 0]
    text = "Line chart of mean GP contacts per patient in each month around referral"
    if len(before):
        peak = before.loc[before["mean_contacts"].idxmax()]
        text += (f": {before['mean_contacts'].mean():.2f} a month on average in the {len(before)} months before "
                 f"referral, highest ({peak['mean_contacts']:.2f}) in month {int(peak['month'])}")
    if len(after):
        text += (f"{';' if len(before) else ':'} {after['mean_contacts'].mean():.2f} a month on average in the "
                 f"{len(after)} months after")
    return text + "."


def trajectory_data_table(trajectory: pd.DataFrame, policy: Policy, fitted: pd.DataFrame | None = None) -> pd.DataFrame:
    shown = _shown_trajectory(trajectory, policy)
    table = pd.DataFrame({"month from referral": shown["month"].astype(int),
                          "patients": [policy.count(n) if policy.allows(n) else f"fewer than {policy.threshold}"
                                       for n in shown["n_patients"]],
                          "mean contacts per patient": shown["mean_contacts"].round(2)})
    if fitted is not None and len(fitted):
        model = fitted.set_index("month")["fitted"]
        table["segmented model"] = table["month from referral"].map(model).where(shown["mean_contacts"].notna()).round(2)
    return table.set_index("month from referral")


# --- the continuum of embeddedness (site page, realist synthesis) ---


def continuum_alt_phrase(rows: pd.DataFrame) -> str:
    """E.g. 'S1 scores +0.75 (95% interval +0.33 to +1.00, 32 segments), belonging.' for each site."""
    placed = rows.dropna(subset=["score"]).sort_values("score", kind="stable")
    parts = [f"{r.site_id} {r.score:+.2f} (95% interval {r.ci95_low:+.2f} to {r.ci95_high:+.2f}, "
             f"{int(r.n_segments)} segments), {LEVEL_NAMES[r.position]}{', split' if r.split else ''}"
             for r in placed.itertuples()]
    unplaced = sorted(set(rows["site_id"]) - set(placed["site_id"]))
    text = "Scale of embeddedness from -1 (bolted on) to +1 (belonging): "
    text += "; ".join(parts) if parts else "no site has segments coded with a level of embeddedness"
    if unplaced and parts:
        text += f"; not placed (no such segments): {_listed(unplaced)}"
    return text + "."


def continuum_data_table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "site": rows["site_id"], "segments": rows["n_segments"].astype(int),
        "score": rows["score"].round(2), "95% interval": [
            "" if pd.isna(lo) else f"{lo:+.2f} to {hi:+.2f}" for lo, hi in zip(rows["ci95_low"], rows["ci95_high"])],
        "position": rows["position"].map(lambda p: LEVEL_NAMES.get(p, p)),
    }).set_index("site")


# --- the forest plot (outcomes synthesis) ---


def forest_alt_phrase(by_site: pd.DataFrame, policy: Policy) -> str:
    """The pooled change per measure and the range of the sites' shown mean changes."""
    parts = []
    for measure in MEASURES:
        rows = by_site[by_site["measure"] == measure]
        pooled = rows[rows["site_id"] == "ALL"]
        sites = rows[(rows["site_id"] != "ALL") & rows["mean_diff"].notna()]
        sites = sites[[policy.allows(n, f"pairs:{measure}", s) for n, s in zip(sites["n_pairs"], sites["site_id"])]]
        label = _short(measure)
        if pooled.empty or pd.isna(pooled["ci95_low"].iloc[0]):
            text = f"{label}: pooled change not estimated"
        else:
            p = pooled.iloc[0]
            text = f"{label}: pooled change {p['mean_diff']:+.2f} (95% CI {p['ci95_low']:.2f} to {p['ci95_high']:.2f})"
        if len(sites):
            low, high = sites.loc[sites["mean_diff"].idxmin()], sites.loc[sites["mean_diff"].idxmax()]
            text += (f", site means from {low['mean_diff']:+.2f} ({low['site_id']}) to "
                     f"{high['mean_diff']:+.2f} ({high['site_id']})")
        parts.append(text + (", lower is better" if measure in LOWER_IS_BETTER else ""))
    return "Forest plot of the change from the first interview to follow-up: " + "; ".join(parts) + "."


def forest_data_table(by_site: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    rows = []
    for r in by_site.itertuples():
        shown = policy.allows(r.n_pairs, f"pairs:{r.measure}", r.site_id)
        rows.append({"measure": MEASURE_LABELS[r.measure], "site": "all sites" if r.site_id == "ALL" else r.site_id,
                     "patients": policy.count(r.n_pairs, f"pairs:{r.measure}", r.site_id) if shown
                     else f"fewer than {policy.threshold}",
                     "mean change": round(r.mean_diff, 2) if shown else float("nan"),
                     "95% CI": f"{r.ci95_low:.2f} to {r.ci95_high:.2f}" if shown and pd.notna(r.ci95_low) else ""})
    return pd.DataFrame(rows).set_index(["measure", "site"])


# --- the four concepts across sites (realist synthesis) ---


def concept_alt_phrase(shares: pd.DataFrame) -> str:
    """For each concept (its '(any)' row): the sites with the highest and lowest share of segments."""
    parts = []
    for label, row in shares[[str(i).endswith("(any)") for i in shares.index]].iterrows():
        row = row.dropna()
        if row.empty:
            continue
        parts.append(f"{str(label).removesuffix(' (any)')} from {_pct(row.min())} ({row.idxmin()}) to "
                     f"{_pct(row.max())} ({row.idxmax()})")
    return ("Heatmap of the percentage of each site's segments carrying each concept and code: "
            + ("; ".join(parts) if parts else "no segment carries a concept code") + ".")


def concept_data_table(shares: pd.DataFrame) -> pd.DataFrame:
    return shares.map(_pct).rename_axis("concept or code")


# --- CMOC verdicts (realist synthesis) ---


def verdict_alt_phrase(all_rows: pd.DataFrame) -> str:
    """E.g. 'Over all sites 8 of 13 CMOCs are confirmed (CMOC01, ...), 3 contested ...; 9 are refined.'"""
    parts = [f"{len(g)} {verdict} ({_listed(list(g['cmoc_id']))})"
             for verdict, g in all_rows.groupby("verdict", sort=False)]
    refined = int((all_rows["refined"] == "refined").sum())
    return (f"Grid of verdicts, one row per CMOC and one column per site. Over all sites, of {len(all_rows)} "
            f"CMOCs: {'; '.join(parts)}. The evidence refines {refined} of them.")


def verdict_data_table(site_rows: pd.DataFrame, all_rows: pd.DataFrame) -> pd.DataFrame:
    rows = pd.concat([site_rows, all_rows], ignore_index=True)
    cell = rows["verdict"] + " (" + rows["n_supports"].astype(str) + "/" + rows["n_refutes"].astype(str) + "/" \
        + rows["n_refines"].astype(str) + ")"
    table = rows.assign(cell=cell).pivot(index="cmoc_id", columns="site_id", values="cell")
    columns = [s for s in dict.fromkeys(site_rows["site_id"])] + ["ALL"]
    return table.reindex(columns=columns).rename(columns={"ALL": "all sites"}).rename_axis("CMOC")


# --- the summary's key findings (outcomes synthesis, pasted into the Summary) ---

GP_COMPARISONS = {"level_change": "the level change at referral (segmented model)",
                  "window_naive": "the naive before-and-after comparison"}


def key_findings_alt_phrase(pooled: pd.DataFrame, gp_change: pd.DataFrame, policy: Policy) -> str:
    """The pooled change of each measure and the two GP rate ratios, as the figure draws them."""
    parts = []
    for r in pooled.set_index("measure").reindex(MEASURES).reset_index().itertuples():
        label = _short(r.measure)
        if not policy.allows(r.n_pairs) or pd.isna(r.ci95_low):
            parts.append(f"{label} not shown")
        else:
            parts.append(f"{label} {r.mean_diff:+.2f} (95% CI {r.ci95_low:.2f} to {r.ci95_high:.2f})")
    gp = []
    for comparison, label in GP_COMPARISONS.items():
        part = gp_change[gp_change["comparison"] == comparison]
        if part.empty or not policy.allows(part["n_patients"].iloc[0]) or pd.isna(part["ci95_low"].iloc[0]):
            gp.append(f"{label} not estimated")
        else:
            r = part.iloc[0]
            gp.append(f"{label} {r['rate_ratio']:.2f} (95% CI {r['ci95_low']:.2f} to {r['ci95_high']:.2f})")
    return ("Two charts. Mean change from the first interview to follow-up, all sites: " + "; ".join(parts)
            + ". Rate ratio of GP contacts after and before referral: " + "; ".join(gp) + ".")


def key_findings_data_table(pooled: pd.DataFrame, gp_change: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    rows = []
    for r in pooled.set_index("measure").reindex(MEASURES).reset_index().itertuples():
        shown = policy.allows(r.n_pairs) and pd.notna(r.ci95_low)
        rows.append({"finding": MEASURE_LABELS[r.measure], "estimate": "mean change",
                     "value": round(r.mean_diff, 2) if shown else float("nan"),
                     "95% CI": f"{r.ci95_low:.2f} to {r.ci95_high:.2f}" if shown else "",
                     "patients": policy.count(r.n_pairs)})
    for comparison, label in GP_COMPARISONS.items():
        part = gp_change[gp_change["comparison"] == comparison]
        if part.empty:
            continue
        r = part.iloc[0]
        shown = policy.allows(r["n_patients"]) and pd.notna(r["ci95_low"])
        rows.append({"finding": f"GP contacts: {label}", "estimate": "rate ratio",
                     "value": round(r["rate_ratio"], 2) if shown else float("nan"),
                     "95% CI": f"{r['ci95_low']:.2f} to {r['ci95_high']:.2f}" if shown else "",
                     "patients": policy.count(r["n_patients"])})
    return pd.DataFrame(rows).set_index("finding")


# --- the stakeholder network (site page; the graph as helpers.report.network_disclosure publishes it) ---


def network_alt_phrase(graph, phrases: dict[str, str]) -> str:
    """The map's size and the link worker's place in it (`phrases`: network_tables.network_phrases)."""
    return (f"Network drawing of {phrases['nw_actors']} actors and {phrases['nw_ties']} ties (density "
            f"{phrases['nw_density']}), practice side on the left and voluntary sector on the right. Ties of the "
            f"link worker inside the practice: {phrases['nw_lw_inside']}; practice-to-voluntary pairs of its "
            f"contacts that only the link worker joins: {phrases['nw_lw_brokered']}.")


def network_data_table(graph) -> pd.DataFrame:
    """Every tie of the drawing, strongest first, with the labels the drawing shows."""
    ties = [(graph.nodes[a]["label"], graph.nodes[b]["label"], data.get("weight", 1))
            for a, b, data in graph.edges(data=True)]
    table = pd.DataFrame(ties, columns=["actor", "tied to", "weight"])
    return table.sort_values(["weight", "actor", "tied to"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)


# --- site characteristics against each other (realist synthesis) ---


def association_alt_phrase(rho: pd.DataFrame, panels: dict[str, str], x_label: str) -> str:
    """Spearman's rho of each panel, as the panel titles give it."""
    parts = []
    for column, title in panels.items():
        stat = rho.loc[column]
        value = f"rho {stat['rho']:.2f}" if pd.notna(stat["rho"]) else "rho not computed"
        parts.append(f"{title}: {value} over {int(stat['n_sites'])} sites")
    return f"Scatter plots, one dot per site, against {x_label}: " + "; ".join(parts) + "."


def association_data_table(table: pd.DataFrame, x: str, x_label: str, panels: dict[str, str],
                           percent=()) -> pd.DataFrame:
    """One row per site: the horizontal value and each panel's value (shares as percentages)."""
    out = pd.DataFrame({x_label: table[x].round(2)}, index=table.index.rename("site"))
    for column, title in panels.items():
        out[title] = table[column].map(_pct) if column in percent else table[column].round(2)
    return out


# --- the link workers side by side (network synthesis) ---


def link_workers_alt_phrase(link_workers: pd.DataFrame) -> str:
    """The spread of the link workers' practice ties and brokerage (network.compare_link_workers rows)."""
    if link_workers.empty:
        return "Dot plots of the link workers' networks: no link worker is listed."
    ties, share = link_workers["practice_ties"], link_workers["practice_share"]
    top = int((link_workers["betweenness_rank"] == 1).sum())
    return (f"Dot plots, one row per link worker ({len(link_workers)}): ties inside the practice from {int(ties.min())} "
            f"to {int(ties.max())}, {_pct(share.min())} to {_pct(share.max())} of each link worker's ties; "
            f"{top} of the {len(link_workers)} are the most between actor of their site.")


def pooled_network_alt_phrase(graph) -> str:
    """The pooled map's size and its strongest ties."""
    ties = sorted(((data.get("weight", 1), graph.nodes[a]["label"], graph.nodes[b]["label"])
                   for a, b, data in graph.edges(data=True)), key=lambda t: (-t[0], t[1], t[2]))
    strongest = "; ".join(f"{a} with {b} (summed weight {w:g})" for w, a, b in ties[:3])
    return (f"Pooled map of {graph.number_of_nodes()} actor types and {graph.number_of_edges()} pooled ties. "
            f"Strongest: {strongest or 'none'}.")
