"""A small Sphinx extension for the book: no live-code (thebe) scripts on any page.

The book is read offline and its code is run by papermill, never in the browser.
sphinx-thebe (loaded by jupyter-book) adds its configuration script to every page,
and with incremental builds it can add it twice, which throws "THEBE_JS_URL has
already been declared" in the browser console.
"""

from __future__ import annotations


def _drop_thebe(app, pagename, templatename, context, doctree):
    def is_thebe(script) -> bool:
        name = getattr(script, "filename", None) or ""
        body = getattr(script, "attributes", {}).get("body", "")
        return "thebe" in name or "THEBE_JS_URL" in body

    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not is_thebe(s)]


def setup(app):
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
