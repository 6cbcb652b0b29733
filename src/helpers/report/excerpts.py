"""Excerpts as HTML: labelled quotations inside collapsible sections.

The collapsible sections are plain HTML ``<details>`` elements (no script,
no network), given the classes of sphinx-design's dropdowns so that they look
like the book's other dropdowns; they still open and close without that style.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from helpers.analysis.cmoc import VERDICTS
from helpers.report.scale import in_detail

# The open/close marker of sphinx-design dropdowns (octicon chevron-right).
_CHEVRON = ('<span class="sd-summary-state-marker sd-summary-chevron-right"><svg version="1.1" width="1.5em" '
            'height="1.5em" class="sd-octicon" viewBox="0 0 24 24" aria-hidden="true"><path d="M8.72 18.78a.75.75 '
            '0 0 1 0-1.06L14.44 12 8.72 6.28a.751.751 0 0 1 .018-1.042.751.751 0 0 1 1.042-.018l6.25 6.25a.75.75 0 '
            '0 1 0 1.06l-6.25 6.25a.75.75 0 0 1-1.06 0Z"></path></svg></span>')


def excerpt_list(rows: pd.DataFrame) -> str:
    """A list of excerpts; `rows` has columns text, label and segment_id."""
    if rows.empty:
        return "<p><em>No excerpt.</em></p>"
    items = "".join(
        f'<li><span class="excerpt-text">{escape(str(r.text))}</span><br>'
        f'<small>&mdash; {escape(str(r.label))}, segment <code>{escape(str(r.segment_id))}</code></small></li>'
        for r in rows.itertuples(index=False))
    return f'<ul class="excerpts">{items}</ul>'


def dropdown(title: str, body_html: str, opened: bool = False, detail: bool = False) -> str:
    """A collapsible section with a plain-text `title` and an HTML body.

    A `detail` section (a figure's data, a secondary table) is left out of the printed book."""
    state = " open" if opened else ""
    kind = " reader-detail" if detail else ""
    return (f'<details class="sd-sphinx-override sd-dropdown sd-card sd-mb-3{kind}"{state}>'
            f'<summary class="sd-summary-title sd-card-header"><span class="sd-summary-text">{escape(title)}'
            f'</span>{_CHEVRON}</summary><div class="sd-summary-content sd-card-body">{body_html}</div></details>')


EXCERPTS_BEYOND = 10  # beyond SITES_IN_DETAIL sites, this many excerpts of each stance, spread over the sites


def cmoc_dropdowns(cited: pd.DataFrame, cmocs: pd.DataFrame, summary: pd.DataFrame, theory_labels: dict[str, str],
                   scope: str = "overall", by_site: pd.DataFrame | None = None) -> str:
    """One collapsible section per CMOC: its statement, its verdict (from `summary`, cmoc_verdicts
    rows with one row per CMOC, described by `scope`), optionally its verdict at each site (`by_site`),
    and its excerpts by stance. `cited` is ``helpers.analysis.cmoc.evidence`` with a ``label`` column.

    With `by_site` of more than SITES_IN_DETAIL sites (a national evaluation), the section counts
    the sites of each verdict and shows EXCERPTS_BEYOND excerpts of each stance, taking each site's
    first before any site's second: every site's chapter shows all of its own, and a page of every
    excerpt of 1,250 sites would weigh tens of megabytes."""
    detail = by_site is None or in_detail(by_site["site_id"].nunique())
    parts = []
    verdicts = summary.set_index("cmoc_id")
    for c in cmocs.itertuples(index=False):
        v = verdicts.loc[c.cmoc_id]
        title = (f"{c.cmoc_id}: {v['verdict']}, {v['refined']} {scope} ({v['n_supports']} supporting, "
                 f"{v['n_refutes']} refuting, {v['n_refines']} refining segments; {v['n_sources']} "
                 f"{'kind' if v['n_sources'] == 1 else 'kinds'} of source, {v['n_sites']} site{'s' if v['n_sites'] != 1 else ''})")
        body = (f"<p><strong>Context:</strong> {escape(c.context)}<br><strong>Mechanism:</strong> "
                f"{escape(c.mechanism)}<br><strong>Outcome:</strong> {escape(c.outcome)}<br>"
                f"<strong>Tests:</strong> {escape(theory_labels.get(c.proposition_id, c.proposition_id))} "
                f"({'initial theory, from the review' if c.origin == 'review' else 'added by the evaluation'})</p>")
        refined = [(part, getattr(c, f"refined_{part}", None)) for part in ("context", "mechanism", "outcome")]
        refined = [(part, text) for part, text in refined if isinstance(text, str) and text.strip()]
        if refined:
            body += ("<p><strong>As refined by the evidence:</strong> "
                     + "<br>".join(f"<em>{part}</em>: {escape(text)}" for part, text in refined) + "</p>")
        if by_site is not None:
            body += _by_site(by_site[by_site["cmoc_id"] == c.cmoc_id], detail)
        mine = cited[cited["cmoc_id"] == c.cmoc_id]
        for stance, heading in (("supports", "Supporting"), ("refutes", "Refuting"), ("refines", "Refining")):
            rows = mine[mine["stance"] == stance]
            shown = rows if detail else _spread_over_sites(rows, EXCERPTS_BEYOND)
            count = f"{len(rows)}" if len(shown) == len(rows) else f"{len(shown)} of {len(rows)}, across sites"
            body += f"<p><strong>{heading} excerpts ({count})</strong></p>{excerpt_list(shown)}"
        parts.append(dropdown(title, body))
    return "".join(parts)


def _by_site(rows: pd.DataFrame, detail: bool) -> str:
    """A CMOC's verdict at each site, or, for many sites, how many sites have each verdict."""
    if detail:
        sites = "; ".join(f"{r.site_id} {r.verdict}{', refined' if r.refined == 'refined' else ''} "
                          f"({r.n_supports}/{r.n_refutes}/{r.n_refines})" for r in rows.itertuples())
        return f"<p><strong>By site</strong> (supporting/refuting/refining): {escape(sites)}</p>"
    counts = rows["verdict"].value_counts()
    said = "; ".join(f"{verdict} at {counts[verdict]:,} site{'s' if counts[verdict] != 1 else ''}"
                     for verdict in VERDICTS if verdict in counts)
    return (f"<p><strong>By site</strong>: {escape(said)}. Each site's verdict is on its chapter and in "
            "<code>cmoc_verdicts.csv</code>.</p>")


def _spread_over_sites(rows: pd.DataFrame, most: int) -> pd.DataFrame:
    """At most `most` of `rows`, each site's first excerpt before any site's second, in their order."""
    rank = rows.groupby("site_id", sort=False).cumcount()
    chosen = rank.sort_values(kind="stable").index[:most]
    return rows.loc[rows.index.isin(chosen)]
