"""A book figure is laid out once and drawn once when it is saved."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers.report.figures import lay_out, readable_text, use_book_style  # noqa: E402


def laid_out_figure(rect=None) -> Figure:
    use_book_style()
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    for ax in axes:
        ax.plot([0, 1], [0, 10])
        ax.set_title("a title\non two lines")
        ax.set_ylabel("a long y axis label")
    return readable_text(lay_out(fig, rect=rect))


def count_draws(monkeypatch) -> list:
    draws = []
    draw = Figure.draw

    def counted(self, renderer):
        draws.append(renderer)
        return draw(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    return draws


def test_a_laid_out_figure_is_drawn_once_when_saved_as_svg(monkeypatch):
    fig = laid_out_figure()
    draws = count_draws(monkeypatch)
    fig.savefig(io.StringIO(), format="svg")
    assert len(draws) == 1  # not a first, unseen, draw with drawing disabled
    plt.close(fig)


def test_the_layout_is_kept_from_one_save_to_the_next():
    for rect in (None, (0, 0.1, 1, 1)):
        fig = laid_out_figure(rect)
        laid_out = fig.subplotpars.left, fig.subplotpars.bottom, fig.subplotpars.wspace
        first, second = io.StringIO(), io.StringIO()
        fig.savefig(first, format="svg", metadata={"Date": None})
        fig.savefig(second, format="svg", metadata={"Date": None})
        assert (fig.subplotpars.left, fig.subplotpars.bottom, fig.subplotpars.wspace) == laid_out
        assert first.getvalue() == second.getvalue()
        assert laid_out[0] > 0.08  # the y label was made room for, not left at matplotlib's default
        plt.close(fig)
