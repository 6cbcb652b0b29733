"""Text measured once per process gives the measurements, and the figures, that measuring each time gives."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import RendererAgg  # noqa: E402
from matplotlib.backends.backend_svg import RendererSVG  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

from helpers.report import text_metrics  # noqa: E402
from helpers.report.text_metrics import remember_text_metrics  # noqa: E402

TEXTS = ["0", "(9-12 months)", "Life satisfaction (0-10)", "ŁÓDŹ café", ""]
FONTS = [FontProperties(size=9), FontProperties(size=12, weight="bold"), FontProperties(family="serif", size=10)]


def renderers():
    yield RendererAgg(400, 300, 110)
    yield RendererAgg(400, 300, 72)
    yield RendererSVG(400, 300, io.StringIO())


def fresh(renderer, s, prop):
    return type(renderer).get_text_width_height_descent.__wrapped__(renderer, s, prop, False)


@pytest.fixture(autouse=True)
def remembered():
    remember_text_metrics()
    for kind in text_metrics.CACHED_RENDERERS:
        kind.get_text_width_height_descent.remembered.clear()


def test_a_remembered_measurement_is_the_measurement():
    for renderer in renderers():
        for s in TEXTS:
            for prop in FONTS:
                first = renderer.get_text_width_height_descent(s, prop, False)
                again = renderer.get_text_width_height_descent(s, prop, False)
                assert first == again == fresh(renderer, s, prop)


def test_each_resolution_and_renderer_kind_is_measured_on_its_own():
    prop = FontProperties(size=10)
    at_110, at_72, svg = (r.get_text_width_height_descent("a label", prop, False) for r in renderers())
    assert at_110[0] == pytest.approx(at_72[0] * 110 / 72, rel=0.05)
    assert at_110 != at_72
    assert svg == fresh(RendererSVG(1, 1, io.StringIO()), "a label", prop)


def test_a_font_changed_after_it_was_measured_is_measured_again():
    renderer = RendererAgg(400, 300, 110)
    prop = FontProperties(size=10)
    before = renderer.get_text_width_height_descent("a label", prop, False)
    prop.set_size(14)  # the same object, mutated
    assert renderer.get_text_width_height_descent("a label", prop, False) == fresh(renderer, "a label", prop) != before
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans Mono"]}):  # what "sans-serif" resolves to
        mono = renderer.get_text_width_height_descent("iiii", FontProperties(size=10), False)
        assert mono == fresh(renderer, "iiii", FontProperties(size=10))
    assert renderer.get_text_width_height_descent("iiii", FontProperties(size=10), False) != mono


def test_the_store_is_bounded(monkeypatch):
    monkeypatch.setattr(text_metrics, "MAX_REMEMBERED", 10)
    renderer = RendererAgg(400, 300, 110)
    for number in range(35):
        renderer.get_text_width_height_descent(str(number), FONTS[0], False)
    assert len(RendererAgg.get_text_width_height_descent.remembered) <= 10


def test_installing_twice_wraps_once():
    measure = RendererSVG.get_text_width_height_descent
    remember_text_metrics()
    assert RendererSVG.get_text_width_height_descent is measure


def figure_files() -> list[bytes]:
    """One figure laid out at 110 dpi, saved as SVG and as PNG at 150 dpi: multi-line, bold and serif text."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3), dpi=110)
    for ax, title in zip(axes, ("first panel\nof two", "second")):
        ax.plot([0, 1], [0, 10], label="a line\nof two rows")
        ax.set_title(title, fontweight="bold")
        ax.set_xlabel("months (9-12)", family="serif", fontsize=13)
        ax.legend()
    fig.tight_layout()
    files = []
    for fmt, dpi in (("svg", None), ("png", 150)):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else {"Software": None})
        files.append(buffer.getvalue())
    plt.close(fig)
    return files


def test_figures_are_byte_identical_with_and_without_remembered_text(monkeypatch):
    with matplotlib.rc_context({"svg.hashsalt": "test"}):
        remembered = [figure_files(), figure_files()]  # the second one measured nothing
        for kind in text_metrics.CACHED_RENDERERS:
            monkeypatch.setattr(kind, "get_text_width_height_descent", kind.get_text_width_height_descent.__wrapped__)
            monkeypatch.delattr(kind, "_get_font_height_metrics")  # matplotlib reads the font's tables itself
        assert remembered == [figure_files(), figure_files()]


def test_font_heights_are_read_once_per_font_and_resolution():
    renderer = RendererAgg(400, 300, 110)
    first = renderer._get_font_height_metrics(FontProperties(size=10))
    assert renderer._get_font_height_metrics(FontProperties(size=10)) is first  # an equal font: remembered
    larger = renderer._get_font_height_metrics(FontProperties(size=20))
    assert larger == pytest.approx([2 * value for value in first])
    at_72 = RendererAgg(400, 300, 72)._get_font_height_metrics(FontProperties(size=10))
    assert at_72 == pytest.approx([value * 72 / 110 for value in first])
    svg = RendererSVG(400, 300, io.StringIO())._get_font_height_metrics(FontProperties(size=10))
    assert svg == at_72  # an SVG is measured at 72 dpi
    ascent, descent, gap = first
    assert ascent > descent > 0 and gap >= 0
