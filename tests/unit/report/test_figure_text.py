"""Figure text at least 10 CSS px once a figure is scaled into the book's 688 px column at 1280 px."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from helpers.report.disclosure import Policy  # noqa: E402
from helpers.report.figures import COLUMN_PX, forest_figure, readable_text, use_book_style  # noqa: E402


def smallest_text_px(fig) -> float:
    """From the SVG itself: its width in user units and its font sizes, scaled as the browser shows it."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")  # as the book saves it: its figsize, no tight bounding box
    svg = buffer.getvalue()
    width_units = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))
    shown_px = min(width_units * 4 / 3, COLUMN_PX)
    sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg)]
    sizes += [float(s) for s in re.findall(r"font: (?:\w+ )*([\d.]+)px", svg)]
    return min(sizes) * shown_px / width_units


def test_small_text_on_a_wide_figure_is_enlarged_to_10_px():
    use_book_style()
    plt.rcParams["svg.fonttype"] = "none"
    fig, ax = plt.subplots(figsize=(11, 4))
    ax.plot([0, 1], [0, 1])
    ax.set_title("tiny", fontsize=6)
    ax.tick_params(labelsize=5)
    assert smallest_text_px(fig) < 8
    readable_text(fig)
    assert smallest_text_px(fig) >= 9.9
    plt.close(fig)


def test_the_forest_plot_is_readable_at_1280_px():
    use_book_style()
    rows = [{"site_id": s, "measure": m, "n_pairs": 9, "mean_diff": 0.4, "ci95_low": -0.1, "ci95_high": 0.9}
            for s in ("S1", "S2", "S3", "ALL") for m in
            ("ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious", "gse_total")]
    fig = readable_text(forest_figure(pd.DataFrame(rows), Policy()))
    assert smallest_text_px(fig) >= 9.9
    plt.close(fig)


def test_every_kind_of_text_is_enlarged_not_only_titles_and_ticks():
    """Legends, their titles, axis labels, the axis offset text, annotations and figure text:
    the texts readable_text finds without making an axis's ticks."""
    use_book_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot([0, 1], [1e6, 1e6 + 1], label="a line")  # an offset text (+1e6) on the y axis
    left.legend(fontsize=5, title="legend title", title_fontsize=5)
    left.set_xlabel("x label", fontsize=5)
    left.yaxis.get_offset_text().set_fontsize(5)
    right.annotate("an annotation", (0.5, 0.5), fontsize=5)
    right.text(0.1, 0.1, "a text", fontsize=5)
    fig.suptitle("a figure title", fontsize=5)
    fig.text(0.01, 0.01, "figure text", fontsize=5)
    assert smallest_text_px(fig) < 6
    readable_text(fig)
    assert smallest_text_px(fig) >= 9.9
    plt.close(fig)
