"""Text measured once per process, not once per figure.

matplotlib caches a text's width, height and descent per renderer, and makes a new renderer for
every figure it lays out (Agg) and every figure it saves (SVG): the same tick labels, titles and
legend entries are measured again in every figure. A measurement depends only on the renderer's
kind, its resolution, the string, the font properties, the font lists their family is resolved
with and the hinting settings, so `remember_text_metrics` keeps it for the process, keyed by
exactly those (with a copy of the font properties: they are mutable, and hashed by their state).

Before measuring a text, matplotlib also looks its font up and reads the font's ascent, descent and
line gap from its tables, once per text per draw. `remember_text_metrics` gives the two renderers
the private hook matplotlib asks for those three figures first (`_get_font_height_metrics`, which
its PDF and PostScript renderers define), computed as matplotlib computes them and kept the same
way. If a matplotlib release stops calling the hook, it is only slower; if it changes the
computation, `tests/unit/report/test_text_metrics.py` sees figures that differ.
"""

from __future__ import annotations

import functools

import matplotlib as mpl
from matplotlib.font_manager import fontManager, get_font
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_svg import RendererSVG

CACHED_RENDERERS = (RendererAgg, RendererSVG)
MAX_REMEMBERED = 16384  # texts per process, about 2 MB
# the settings a measurement also depends on: hinting, and the font lists a family such as
# "sans-serif" is resolved with
RC_KEYS = ("text.hinting", "text.hinting_factor", "font.family", "font.sans-serif", "font.serif",
           "font.monospace", "font.cursive", "font.fantasy")


def remember_text_metrics() -> None:
    """Keep every text measurement of the Agg and SVG renderers for the process (idempotent)."""
    for renderer in CACHED_RENDERERS:
        measure = renderer.get_text_width_height_descent
        if not hasattr(measure, "remembered"):
            renderer.get_text_width_height_descent = _remembered(measure)
        if not hasattr(renderer, "_get_font_height_metrics"):
            renderer._get_font_height_metrics = _font_height_metrics()


def _dpi(renderer) -> float:
    """The resolution matplotlib measures at: the figure's, which the SVG renderer sets to 72."""
    return renderer.dpi if isinstance(renderer, RendererAgg) else 72


def _settings() -> tuple:
    return tuple(_as_key(mpl.rcParams[name]) for name in RC_KEYS)


def _remembered(measure):
    remembered: dict = {}

    @functools.wraps(measure)
    def get_text_width_height_descent(self, s, prop, ismath):
        # The SVG renderer measures at 72 units an inch whatever the figure's resolution.
        key = (type(self), _dpi(self), s, prop.copy(), ismath, *_settings())
        if key not in remembered:
            if len(remembered) >= MAX_REMEMBERED:
                remembered.clear()
            remembered[key] = measure(self, s, prop, ismath)
        return remembered[key]

    get_text_width_height_descent.remembered = remembered
    return get_text_width_height_descent


def _font_height_metrics():
    remembered: dict = {}

    def _get_font_height_metrics(self, prop):
        """A font's ascent, descent and line gap at this resolution, as `Text._get_layout` computes them."""
        dpi = _dpi(self)
        key = (type(self), dpi, prop.copy(), *_settings())
        if key not in remembered:
            if len(remembered) >= MAX_REMEMBERED:
                remembered.clear()
            remembered[key] = _read_font_height_metrics(prop, dpi)
        return remembered[key]

    _get_font_height_metrics.remembered = remembered
    return _get_font_height_metrics


def _read_font_height_metrics(prop, dpi):
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, gap_key, ascent_key, descent_key in (
            ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"), ("hhea", "lineGap", "ascent", "descent")):
        table = font.get_sfnt_table(table_name)
        if table is not None:  # the same operations in the same order: the same floats
            scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
            return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None  # matplotlib then measures "lp"


def _as_key(value):
    return tuple(value) if isinstance(value, list) else value
