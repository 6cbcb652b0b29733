"""A small Sphinx extension for the book.

No live-code (thebe) scripts or style sheet on any page, and no tab script on a page
without tabs: the book is read offline and its code
is run by papermill, never in the browser. sphinx-thebe (loaded by jupyter-book)
adds its configuration script to every page, and with incremental builds it can
add it twice, which throws "THEBE_JS_URL has already been declared" in the
browser console.

Parallel reading for HTML builds: two extensions that jupyter-book always loads do
not declare whether they are safe to read in parallel, so Sphinx reads every page
serially. Neither keeps state gathered while reading: sphinx_multitoc_numbering
replaces how section numbers are assigned after reading (in the main process),
and sphinx_jupyterbook_latex acts only for LaTeX builders.

Entry-point lookups cached for pybtex: sphinxcontrib-bibtex asks pybtex for its
style plugins at every citation, and each lookup scans every installed package's
metadata (about 20 ms each; 2.5 s for a 100-site book). Installed packages do not
change during a build.

Compiled page templates kept on disk: Sphinx compiles the theme's Jinja templates
afresh in every build (about 0.1 s of a small rebuild); Jinja's bytecode cache,
keyed by each template's source, keeps them in the Sphinx work folder.

One stemmer cache for the search index: Sphinx memoises word stems per page, but
the site pages share most of their words, and stemming was about a fifth of the
book's build time.

Numbered figures with alt text from the data: a figure shown with
`helpers.report.figures.show_figure` carries its alt text (its result, computed) and a
short name in its output's metadata; before myst-nb reads an executed notebook, they are
moved to where myst-nb looks (the cell's `mystnb: image: alt`, and `figure: name`, made
unique with the page's name, so Sphinx numbers the figure and the caption written in the
template). The alt text reaches the page as an attribute, escaped by Sphinx. Sphinx numbers
figures through the whole book when its chapters are not numbered (a site page's second figure
would be "Figure 12"); the numbers start again at 1 on every page.

The sidebar's table of contents resolved once per build, not once per page
(`helpers.book.navigation`): Sphinx resolves the whole tree, every site's headings
included, for every page, which made a national book's cost grow with the square
of its number of sites.

Readers (WCAG 2.2 AA, print, weight): theme template overrides in `templates/` (no
Font Awesome JavaScript, whose 1.49 MB drew icons that the theme's style sheet already
draws from its web fonts; search and colour-mode buttons named by what they show; the
title link inside a landmark); page bodies without the labels and roles axe-core
rejects (code toggles' "Toggle hidden content", the references' deprecated
doc-biblioentry list); and, for a synthetic build, a print style sheet whose page
margin repeats the synthetic banner on every printed page.
"""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path

from helpers.book import navigation
from helpers.report.figure_metadata import FIGURE_METADATA

TEMPLATES = Path(__file__).parent / "templates"
PRINT_BANNER_CSS = "linkbook-print-banner.css"
UNUSED_ASSETS = ("scripts/fontawesome.js", "scripts/fontawesome.js.map", "scripts/fontawesome.js.LICENSE.txt")


def _drop_thebe(app, pagename, templatename, context, doctree):
    def is_thebe(script) -> bool:
        name = getattr(script, "filename", None) or ""
        body = getattr(script, "attributes", {}).get("body", "")
        return "thebe" in name or "THEBE_JS_URL" in body

    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not is_thebe(s)
                                   and not _unused_here(s, context)]
    if "css_files" in context:
        context["css_files"] = [c for c in context["css_files"] if "sphinx-thebe" not in str(c)]


def _unused_here(asset, context) -> bool:
    """sphinx-design's tab script on a page without tabs (the book has none)."""
    name = getattr(asset, "filename", None) or str(asset)
    return "design-tabs.js" in name and "sd-tab-set" not in (context.get("body") or "")


# What axe-core rejects in the bodies that myst-nb and sphinxcontrib-bibtex write: an
# aria-label on code toggles that differs from their visible text, and a role="list"
# whose items carry the deprecated doc-biblioentry role.
BODY_FIXES = (
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
    (re.compile(r'<div role="list" class="citation-list">'), '<div class="citation-list">'),
    (re.compile(r'(<div class="citation" id="[^"]*") role="doc-biblioentry"'), r"\1"),
)


def figure_options(notebook_json: str, docname: str) -> str:
    """The executed notebook with each `show_figure` output's alt text and name in its cell's
    myst-nb options (unchanged text when no cell has one)."""
    if FIGURE_METADATA not in notebook_json:
        return notebook_json
    notebook = json.loads(notebook_json)
    page = re.sub(r"[^a-z0-9]+", "-", docname.lower()).strip("-")
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            shown = output.get("metadata", {}).get(FIGURE_METADATA)
            if shown:
                options = cell.setdefault("metadata", {}).setdefault("mystnb", {})
                options.setdefault("image", {})["alt"] = str(shown["alt"])
                options.setdefault("figure", {})["name"] = f"fig-{page}-{shown['name']}"
    return json.dumps(notebook)


def _figure_options(app, docname, source):
    if str(app.env.doc2path(docname)).endswith(".ipynb"):
        source[0] = figure_options(source[0], docname)


def per_page_numbers(fignumbers: dict) -> dict:
    """Sphinx's figure numbers (docname -> figure type -> id -> number) counted from 1 on each page,
    in the order Sphinx found them."""
    return {doc: {kind: {fid: (i,) for i, fid in enumerate(sorted(ids, key=ids.get), start=1)}
                  for kind, ids in kinds.items()} for doc, kinds in fignumbers.items()}


def _number_figures_per_page() -> None:
    from sphinx.environment.collectors.toctree import TocTreeCollector

    book_wide = TocTreeCollector.assign_figure_numbers
    if getattr(book_wide, "per_page", False):
        return

    def assign_figure_numbers(self, env):
        old = env.toc_fignumbers
        book_wide(self, env)
        env.toc_fignumbers = per_page_numbers(env.toc_fignumbers)
        return [doc for doc, numbers in env.toc_fignumbers.items() if numbers != old.get(doc)]

    assign_figure_numbers.per_page = True
    TocTreeCollector.assign_figure_numbers = assign_figure_numbers


def _escape_theme_titles(app, pagename, templatename, context, doctree):
    """sphinx-book-theme puts the page title as plain text (`title.astext()`) into its print-only
    heading, `<h1>{{ pagetitle }}</h1>`, and the root title into the sidebar, unescaped: a title
    made from data (a region's name heads its page) would run as HTML. Escape both."""
    for key in ("pagetitle", "root_title"):
        if isinstance(context.get(key), str):
            context[key] = html.escape(context[key], quote=False)


def _accessible_body(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body:
        for pattern, replacement in BODY_FIXES:
            body = pattern.sub(replacement, body)
        context["body"] = body


def css_string(text: str) -> str:
    """`text` as a CSS string literal: every character other than letters, digits and spaces escaped."""
    return '"' + "".join(c if c.isalnum() and c.isascii() or c == " " else f"\\{ord(c):x} " for c in text) + '"'


def print_banner_css(banner: str) -> str:
    """A print style sheet that writes `banner` in the top margin of every printed page."""
    return ("/* Written by helpers.book.sphinx_ext for a synthetic build: the banner on every printed page. */\n"
            "@media print {\n  @page { margin: 22mm 14mm 16mm;\n"
            f"    @top-center {{ content: {css_string(banner)}; font: 600 8.5pt sans-serif; color: #3d2c00;\n"
            "      background: #fff3cd; border-bottom: 2px solid #b58100; padding: 1mm 3mm; } }\n}\n")


def _theme_overrides(app, config):
    config.templates_path.insert(0, str(TEMPLATES))
    banner = (config.html_theme_options or {}).get("announcement")
    if banner:
        app.add_css_file(PRINT_BANNER_CSS)


def _write_print_banner(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    banner = (app.config.html_theme_options or {}).get("announcement")
    if banner:
        static.mkdir(parents=True, exist_ok=True)
        (static / PRINT_BANNER_CSS).write_text(print_banner_css(banner), encoding="utf-8")
    for name in UNUSED_ASSETS:
        (static / name).unlink(missing_ok=True)


READ_SAFE_FOR_HTML = ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex")


def _allow_parallel_read(app):
    if app.builder.format == "html":
        for name in READ_SAFE_FOR_HTML:
            if name in app.extensions and app.extensions[name].parallel_read_safe is None:
                app.extensions[name].parallel_read_safe = True


def _share_stems() -> None:
    """Memoise the English stemmer across pages (in the Sphinx process only; the book is in English)."""
    from sphinx.search.en import SearchEnglish

    if not hasattr(SearchEnglish.stem, "cache_info"):
        SearchEnglish.stem = functools.lru_cache(maxsize=200_000)(SearchEnglish.stem)


def _cache_plugin_lookups() -> None:
    import pybtex.plugin

    if not hasattr(pybtex.plugin.entry_points, "cache_info"):
        lookup = pybtex.plugin.entry_points

        @functools.cache
        def entry_points(group: str, name: str):
            return tuple(lookup(group=group, name=name))

        pybtex.plugin.entry_points = entry_points


def _cache_compiled_templates(app):
    templates = getattr(app.builder, "templates", None)
    environment = getattr(templates, "environment", None)
    if environment is not None and environment.bytecode_cache is None:
        from jinja2 import FileSystemBytecodeCache

        folder = Path(app.doctreedir).parent / "jinja-bytecode"
        folder.mkdir(parents=True, exist_ok=True)
        environment.bytecode_cache = FileSystemBytecodeCache(str(folder))


def setup(app):
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("html-page-context", _accessible_body)
    app.connect("html-page-context", _escape_theme_titles, priority=999)  # after the theme sets them
    app.connect("source-read", _figure_options)
    app.connect("config-inited", _theme_overrides)
    app.connect("build-finished", _write_print_banner)
    app.connect("builder-inited", _cache_compiled_templates)
    _share_stems()
    _cache_plugin_lookups()
    _number_figures_per_page()
    app.connect("builder-inited", _allow_parallel_read)
    app.connect("builder-inited", navigation.install)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
