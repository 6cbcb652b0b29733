"""Statistical disclosure control: one policy, applied by one helper to every published count.

The policy lives in `_config.yml` under `disclosure:` (see that file for the
rationale). Counts of people from 1 to `threshold - 1` are suppressed, the rest
are rounded to the nearest `round_to`; a statistic computed from fewer than
`threshold` people is not shown. Zero is shown as zero: a count of nobody does
not identify anybody. Suppressed cells read `SUPPRESSED` so that a reader can
tell them from missing data.

Secondary (complementary) suppression: a count per site whose total is also
published (patients, patients with both waves of a measure, patients in the GP
window, ...) forms a *line*. When one site's cell of a line is suppressed, the
total minus the other sites would give it back, on whichever page each number
appears. `complementary_cells` therefore withholds further sites' cells of that
line, smallest first, until at least two cells are withheld and together they
hold at least 2 x threshold - 1 people, so that subtraction leaves a sum no
single suppressed cell can be read from. The run computes these cells once for
the whole dataset (`helpers.report.withheld.withheld_cells`) and gives them to
every page in the policy (`Policy.withheld`), so that every page of one build
withholds the same cells, with their statistics.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from helpers.report.table_html import reader_styler

SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Policy:
    threshold: int = 5  # smallest number of people a published cell or statistic may rest on
    round_to: int = 1  # round published counts to a multiple of this (1 = no rounding)
    individual_trajectories: bool = True  # may figures draw one line per patient?
    withheld: tuple = ()  # (line, site_id) cells withheld by complementary suppression, for every page
    site_id: str | None = None  # the site a site page shows (`at`), for cells asked without a site

    def __post_init__(self):  # job parameters arrive as lists
        object.__setattr__(self, "withheld", tuple(sorted({(str(a), str(b)) for a, b in self.withheld})))

    def parameters(self) -> dict:
        """The policy as a notebook parameter (lists, not tuples: papermill writes lists literally)."""
        return {**asdict(self), "withheld": [list(cell) for cell in self.withheld]}

    def at(self, site_id: str) -> Policy:
        """The policy of one site's page."""
        return replace(self, site_id=str(site_id))

    def of_site_job(self, site_id: str) -> Policy:
        """`at(site_id)` carrying only that site's withheld cells: all a site's page asks about.
        A site job's parameters then stay the same size whatever the number of sites (every
        site's notebook, provenance box and job key held the whole country's list), and a cell
        withheld at another site does not re-run this one."""
        site = str(site_id)
        return replace(self, site_id=site, withheld=tuple(cell for cell in self.withheld if cell[1] == site))

    def statement(self) -> str:
        """The rule in force, in two sentences for the page."""
        rounding = f" and other counts are rounded to the nearest {self.round_to}" if self.round_to > 1 else ""
        lines = ("" if self.individual_trajectories else
                 " Figures show distributions, not individual patients' lines.")
        return (f"Disclosure control: counts of 1 to {self.threshold - 1} people are suppressed{rounding}; "
                f"statistics resting on fewer than {self.threshold} people are not shown. Where a site's count is "
                "suppressed and a total is published, further sites' counts (the smallest) and their statistics are "
                f"suppressed too, on every page, until the suppressed counts hold at least {2 * self.threshold - 1} "
                f"people together, so that no suppressed number can be recovered by subtraction. Each month of a "
                "GP trajectory is such a count, and a site withheld for GP contacts is withheld in every month; "
                "a model's site characteristic, a count over only some sites, and a group that differs from a "
                "published one by a few people are checked the same way. Network maps "
                "draw a role person by person only where its count is published; the people of the other roles "
                f"are merged into one node per side (at least {self.threshold} people of two or more roles, else "
                f"one node for both sides, else left out), and no participant identifier is shown.{lines}")

    def hides(self, line: str | None, site_id: str | None = None) -> bool:
        """Whether the cell of `line` for `site_id` (default: this page's site) is withheld."""
        site = site_id if site_id is not None else self.site_id
        return line is not None and site is not None and (line, str(site)) in self.withheld

    def count(self, n, line: str | None = None, site_id: str | None = None) -> int | str:
        """A publishable count of people (of `line` at `site_id`, when it belongs to a line)."""
        if isinstance(n, str) or pd.isna(n):  # already suppressed, or missing
            return n
        n = int(n)
        if 0 < n < self.threshold or (n > 0 and self.hides(line, site_id)):
            return SUPPRESSED
        return int(self.round_to * round(n / self.round_to)) if self.round_to > 1 else n

    def allows(self, n_people, line: str | None = None, site_id: str | None = None) -> bool:
        """Whether a statistic computed from `n_people` people (of `line` at `site_id`) may be shown."""
        if isinstance(n_people, str) or pd.isna(n_people):  # already suppressed, or missing
            return False
        return int(n_people) >= self.threshold and not self.hides(line, site_id)


def complementary_cells(counts: dict, policy: Policy, forced=()) -> set:
    """The keys of one line's cells (counts of people whose total is published) to withhold: the
    cells below the threshold and the `forced` ones (withheld for another reason), then the smallest
    others until at least two are withheld holding at least 2 x threshold - 1 people (or all are).
    Empty when no cell is below the threshold or forced."""
    withheld = {key for key, n in counts.items() if 0 < n < policy.threshold or (n > 0 and key in set(forced))}
    if not withheld:
        return set()
    others = sorted(((n, str(key), key) for key, n in counts.items() if key not in withheld and n > 0),
                    key=lambda item: item[:2])
    while others and (len(withheld) < 2 or sum(counts[k] for k in withheld) < 2 * policy.threshold - 1):
        withheld.add(others.pop(0)[2])
    return withheld


DRAWN_ALONE = "link_worker"  # the role whose people published networks always draw one by one


def withheld_roles(counts: dict, policy: Policy) -> set:
    """Roles (of professionals; `counts`: role -> people at the site) whose count the site's participants
    table withholds: below the threshold, or hidden by complementary suppression among the roles, which add
    up to the site's published number of professionals. The link worker's cell is known from the network
    drawing, so it gives no protection and is not counted among the others."""
    others = {role: int(n) for role, n in counts.items() if role != DRAWN_ALONE}
    hidden = complementary_cells(others, policy)
    return hidden | {role for role, n in counts.items() if role == DRAWN_ALONE and 0 < n < policy.threshold}


def load_policy(config_path: Path, synthetic: bool) -> Policy:
    """The policy of `_config.yml`; `individual_trajectories` defaults to on only for synthetic data."""
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    section = config.get("disclosure") or {}
    trajectories = section.get("individual_trajectories", "synthetic_only")
    return Policy(
        threshold=int(section.get("threshold", Policy.threshold)),
        round_to=int(section.get("round_to", Policy.round_to)),
        individual_trajectories=synthetic if trajectories == "synthetic_only" else bool(trajectories),
    )


def protect_counts(table: pd.DataFrame, policy: Policy, columns: list[str] | None = None) -> pd.DataFrame:
    """Apply the policy to columns holding counts of people (all numeric columns by default)."""
    out = table.copy()
    for column in columns or list(out.select_dtypes("number").columns):
        out[column] = out[column].map(policy.count).astype(object)
    return out


def protect_statistics(table: pd.DataFrame, policy: Policy, n_column: str, statistic_columns: list[str],
                       lines: list | None = None) -> pd.DataFrame:
    """Blank the statistics of rows resting on fewer people than the threshold, or whose cell
    (`lines`: one (line, site_id) per row, or None) is withheld; protect the count itself."""
    out = table.copy().astype({c: object for c in statistic_columns})
    cells = lines if lines is not None else [(None, None)] * len(out)
    shown = [policy.allows(n, line, site) for n, (line, site) in zip(out[n_column], cells)]
    out.loc[[not s for s in shown], statistic_columns] = SUPPRESSED
    out[n_column] = pd.Series([policy.count(n, line, site) for n, (line, site) in zip(out[n_column], cells)],
                              index=out.index, dtype=object)
    return out


def suppressed_cells(table: pd.DataFrame) -> int:
    return int(np.sum(table.to_numpy() == SUPPRESSED))


CHECKED_CLASS = "disclosure-checked"


def publish(table: pd.DataFrame, policy: Policy, counts: list[str] = (), n_column: str | None = None,
            statistics: list[str] = (), complement: list[str] = (), lines: dict[str, str] | None = None):
    """The one way a table about people reaches the book: apply the policy, mark it as checked.

    `counts` are columns of people counts; `statistics` are columns computed from
    the `n_column` people of each row. Returns a Styler for readers (`reader_styler`:
    labels, notes under the table, every value and label HTML-escaped) whose HTML
    carries the class `disclosure-checked`, which the release checklist looks for.
    `complement` columns add up to a total published elsewhere: their cells get
    complementary suppression within the column. `lines` maps a count column to
    its line when the rows are sites (index: site_id), for the withheld cells.
    """
    out = table
    if n_column is not None:
        out = protect_statistics(out, policy, n_column, list(statistics))
    out = out.copy()
    for column in complement:
        hidden = complementary_cells(dict(enumerate(out[column])), policy)
        out[column] = [SUPPRESSED if i in hidden else v for i, v in enumerate(out[column])]
    for column, line in (lines or {}).items():
        out[column] = [policy.count(v, line, site) if not isinstance(v, str) else v
                       for site, v in zip(out.index, out[column])]
    if counts:
        out = protect_counts(out, policy, list(counts))
    return reader_styler(out, css_class=CHECKED_CLASS)
