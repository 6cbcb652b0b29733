"""Statistical disclosure control: one policy, applied by one helper to every published count.

The policy lives in `_config.yml` under `disclosure:` (see that file for the
rationale). Counts of people from 1 to `threshold - 1` are suppressed, the rest
are rounded to the nearest `round_to`; a statistic computed from fewer than
`threshold` people is not shown. Zero is shown as zero: a count of nobody does
not identify anybody. Suppressed cells read `SUPPRESSED` so that a reader can
tell them from missing data.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def statement(self) -> str:
        """The rule in force, in one sentence for the page."""
        rounding = f" and other counts are rounded to the nearest {self.round_to}" if self.round_to > 1 else ""
        lines = ("" if self.individual_trajectories else
                 " Figures show distributions, not individual patients' lines.")
        return (f"Disclosure control: counts of 1 to {self.threshold - 1} people are suppressed{rounding}; "
                f"statistics resting on fewer than {self.threshold} people are not shown.{lines}")

    def count(self, n) -> int | str:
        """A publishable count of people."""
        if pd.isna(n):
            return n
        n = int(n)
        if 0 < n < self.threshold:
            return SUPPRESSED
        return int(self.round_to * round(n / self.round_to)) if self.round_to > 1 else n

    def allows(self, n_people) -> bool:
        """Whether a statistic computed from `n_people` people may be shown."""
        return not pd.isna(n_people) and int(n_people) >= self.threshold


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


def protect_statistics(table: pd.DataFrame, policy: Policy, n_column: str, statistic_columns: list[str]) -> pd.DataFrame:
    """Blank the statistics of rows resting on fewer people than the threshold; protect the count itself."""
    out = table.copy().astype({c: object for c in statistic_columns})
    small = ~out[n_column].map(policy.allows)
    out.loc[small, statistic_columns] = SUPPRESSED
    out[n_column] = out[n_column].map(policy.count).astype(object)
    return out


def suppressed_cells(table: pd.DataFrame) -> int:
    return int(np.sum(table.to_numpy() == SUPPRESSED))


CHECKED_CLASS = "disclosure-checked"


def publish(table: pd.DataFrame, policy: Policy, counts: list[str] = (), n_column: str | None = None,
            statistics: list[str] = ()):
    """The one way a table about people reaches the book: apply the policy, mark it as checked.

    `counts` are columns of people counts; `statistics` are columns computed from
    the `n_column` people of each row. Returns a Styler for readers (`reader_styler`:
    labels, notes under the table) whose HTML carries the class `disclosure-checked`,
    which the release checklist looks for.
    """
    out = table
    if n_column is not None:
        out = protect_statistics(out, policy, n_column, list(statistics))
    if counts:
        out = protect_counts(out, policy, list(counts))
    return reader_styler(out, css_class=CHECKED_CLASS)
