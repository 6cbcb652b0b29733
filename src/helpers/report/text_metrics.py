"""Text measured once per process, not once per figure.

matplotlib caches a text's width, height and descent per renderer, and makes a new renderer for
every figure it lays out (Agg) and every figure it saves (SVG): the same tick labels, titles and
legend entries are measured again in every figure. A measurement depends only on the renderer's
kind, its resolution, the string, the font properties, the font lists their family is resolved
with and the hinting settings, so `remember_text_metrics` keeps it for the process, keyed by
exactly those (with a copy of the font properties: they are mutable, and hashed by their state).
"""

from __future__ import annotations

import functools

import matplotlib as mpl
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


def _remembered(measure):
    remembered: dict = {}

    @functools.wraps(measure)
    def get_text_width_height_descent(self, s, prop, ismath):
        # The SVG renderer measures at 72 units an inch whatever the figure's resolution.
        dpi = self.dpi if isinstance(self, RendererAgg) else None
        key = (type(self), dpi, s, prop.copy(), ismath, *(_as_key(mpl.rcParams[name]) for name in RC_KEYS))
        if key not in remembered:
            if len(remembered) >= MAX_REMEMBERED:
                remembered.clear()
            remembered[key] = measure(self, s, prop, ismath)
        return remembered[key]

    get_text_width_height_descent.remembered = remembered
    return get_text_width_height_descent


def _as_key(value):
    return tuple(value) if isinstance(value, list) else value
