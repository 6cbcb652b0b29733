"""Data values pasted into generated MyST are read back as exactly their text: rendered by
MyST-Parser's own docutils parser with the substitution (Jinja2) extension on, no template
runs, no role, directive, HTML or math is made, and the reader sees the value unchanged."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest
from docutils import nodes
from docutils.core import publish_doctree
from myst_parser.parsers.docutils_ import Parser

from helpers.book.pages import _failed_page
from helpers.report.escape import html_text, markdown_text, table_cell
from helpers.report.programme_theory import theory_changes_phrase
from helpers.report.provenance import provenance_markdown


def hostile(marker) -> list[str]:
    return [
        f"x {{{{ lipsum.__globals__['os'].system('touch {marker}') }}}}",
        f"{{% for _ in range(1) %}}{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}{{% endfor %}}",
        "<img src=x onerror=alert(1)>",
        "`code` and {eval-rst}`x` and {sub-ref}`today`",
        "[click](javascript:alert(1)) *em* __strong__ $x^2$ ~~s~~ a | b \\ c",
        "# not a heading & &amp; &#60;",
        "Site one\n:::{warning}\nfenced\n:::",
    ]


def render(source: str) -> nodes.document:
    return publish_doctree(source, parser=Parser(), settings_overrides={
        "myst_enable_extensions": ["substitution", "colon_fence", "deflist", "dollarmath", "strikethrough"],
        "report_level": 5, "halt_level": 5})


def assert_literal(doctree: nodes.document, *values: str) -> None:
    text = doctree.astext()
    for value in values:
        assert " ".join(value.split("\n")) in text
    made = [type(n).__name__ for n in doctree.findall()
            if isinstance(n, (nodes.raw, nodes.literal, nodes.emphasis, nodes.strong, nodes.reference,
                              nodes.system_message, nodes.math, nodes.title, nodes.Admonition, nodes.image))]
    assert made == []


@pytest.mark.parametrize("index", range(7))
def test_a_value_as_markdown_text_renders_as_itself_and_runs_nothing(tmp_path, index):
    marker = tmp_path / "marker"
    value = hostile(marker)[index]
    assert_literal(render(f"Dataset: {markdown_text(value)}.\n"), value)
    assert not marker.exists()


def test_a_value_as_a_table_cell_stays_in_its_cell(tmp_path):
    values = hostile(tmp_path / "marker")
    doctree = render("| a | b |\n|---|---|\n" + "".join(f"| {table_cell(v)} | end |\n" for v in values))
    rows = list(doctree.findall(nodes.row))[1:]
    assert [len(list(r.findall(nodes.entry))) for r in rows] == [2] * len(values)
    assert [r.astext().split("\n\n")[0] for r in rows] == [" ".join(v.split("\n")) for v in values]
    assert not (tmp_path / "marker").exists()


def test_html_text_escapes_tags_and_quotes():
    assert html_text('<img src=x onerror="alert(1)">') == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"


def test_figures_draw_a_label_with_dollars_as_it_is():
    import matplotlib.pyplot as plt

    from helpers.report.figures import use_book_style

    use_book_style()
    fig, ax = plt.subplots()
    label = r"$\frac{a}{b}$ costs $5"  # mathtext would typeset the first part as a fraction
    text = ax.text(0, 0, label)
    fig.canvas.draw()
    assert text._preprocess_math(text.get_text()) == (label, False)
    plt.close(fig)


def test_the_provenance_box_shows_a_hostile_dataset_name_and_parameter_literally(tmp_path):
    marker = tmp_path / "marker"
    name, site = hostile(marker)[0], "<img src=x onerror=alert(1)>"
    context = {"git": {"commit": "a" * 40, "dirty": False}, "dataset": {"name": name, "synthetic": True},
               "environment": {"python": "3.12", "platform": "Linux", "packages": {"pandas": "3"}}}
    box = provenance_markdown(context, {"site_id": site}, {"sites": "b" * 64}, "today", 1.0, "../p.md")
    body = "\n".join(box.splitlines()[3:-1])  # inside the dropdown directive (a sphinx-design one)
    doctree = render(body.replace("`", ""))
    assert name in doctree.astext() and f"site_id = {site!r}" in doctree.astext()
    assert not list(doctree.findall(nodes.raw)) and not marker.exists()


def test_theory_labels_and_relations_are_listed_literally(tmp_path):
    marker = tmp_path / "marker"
    label, relation = hostile(marker)[0], "<img src=x onerror=alert(1)> *fosters*"
    graph = nx.DiGraph()
    graph.add_node("a", label=label, category="actor")
    graph.add_node("b", label="[x](javascript:alert(1))", category="new_outcome")
    graph.add_edge("a", "b", relation=relation, origin="evaluation")
    cmocs = pd.DataFrame({"cmoc_id": ["C1"], "origin": ["review"]})
    overall = pd.DataFrame({"cmoc_id": ["C1"], "verdict": ["confirmed"]})
    doctree = render(theory_changes_phrase(graph, overall, cmocs))
    text = doctree.astext()
    assert label in text and "[x](javascript:alert(1))" in text and "<img src=x onerror=alert(1)> *fosters*" in text
    assert not list(doctree.findall(nodes.raw)) and not list(doctree.findall(nodes.reference))
    assert not marker.exists()


def test_a_failure_notice_quotes_the_error_literally(tmp_path):
    marker = tmp_path / "marker"
    error = {"cell": 3, "ename": "KeyError", "evalue": hostile(marker)[0] + " `x` <b>"}
    page = _failed_page("S1", "site-S1", error)
    body = "\n".join(line for line in page.splitlines() if not line.startswith(":::"))
    doctree = render(body.replace("`.linkbook-cache/failures/site-S1.txt`", "the cache"))
    assert f"KeyError: {error['evalue']}" in doctree.astext() and not marker.exists()
