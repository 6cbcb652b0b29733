"""No data value runs as code or markup: one build with a hostile value planted in every
free-text field of the data contract at once (21 sites, so that the sites index page is made),
then every page opened in headless Chromium."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from helpers.data.contract import TABLES
from helpers.synth import write_dataset
from support.pipeline import linkbook, make_project

SCRIPT = "<img src=x onerror=alert({n})>"
FIELDS = [  # (file, column, rows chosen by) -- every free-text column of the contract
    ("sites.csv", "region", None), ("participants.csv", "role", "health_professional"),
    ("organisations.csv", "label", None), ("codebook.csv", "label", None), ("segments.csv", "text", "cited"),
    ("cmocs.csv", "context", None), ("cmocs.csv", "mechanism", None), ("cmocs.csv", "outcome", None),
    ("cmocs.csv", "refined_context", "filled"), ("cmocs.csv", "refined_mechanism", "filled"),
    ("cmocs.csv", "refined_outcome", "filled"),
    ("programme_theory_nodes.csv", "label", None), ("programme_theory_edges.csv", "relation", None),
]


def test_every_free_text_column_of_the_contract_is_planted():
    """A text column with no pattern and no allowed values is free text: a new one must join FIELDS."""
    free = {(t.file, c.name) for t in TABLES for c in t.columns
            if c.kind == "text" and not c.allowed and not c.pattern}
    assert free == {(file, column) for file, column, _ in FIELDS}


def jinja(marker) -> str:
    return f"x {{{{ lipsum.__globals__['os'].system('touch {marker}') }}}}"


def plant(data, marker) -> dict[str, str]:
    """Hostile values in the dataset name and in each free-text field; returns what was planted."""
    planted = {}
    meta = yaml.safe_load((data / "dataset.yml").read_text(encoding="utf-8"))
    meta["name"] = planted["dataset name"] = f"{jinja(marker)} {SCRIPT.format(n=0)}"
    meta["description"] = f"{jinja(marker)} {SCRIPT.format(n=99)}"  # not on the pages today: it must never run either
    (data / "dataset.yml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    cited = set(pd.read_csv(data / "cmoc_evidence.csv", dtype=str)["segment_id"])
    for n, (file, column, which) in enumerate(FIELDS, start=1):
        frame = pd.read_csv(data / file, dtype=str, keep_default_na=False)
        if which == "health_professional":
            rows = frame.index[(frame["group"] == which) & (frame["site_id"] == frame["site_id"].iloc[0])][:5]
        elif file == "codebook.csv":  # a code the tables show (a top-level code is only a heading)
            rows = frame.index[frame["code_id"] == "holding.waiting"]
        elif which == "filled":  # a CMOC whose refined wording the book shows
            rows = frame.index[frame[column].fillna("") != ""][:1]
        elif which == "cited":
            rows = frame.index[frame["segment_id"].isin(cited) & (frame["site_id"] == frame["site_id"].iloc[0])][:1]
        else:
            rows = frame.index[:1]
        value = f"{SCRIPT.format(n=n)} {jinja(marker)}" if column in ("region", "label", "relation") else SCRIPT.format(n=n)
        frame.loc[rows, column] = value
        planted[f"{file} {column}"] = value
        frame.to_csv(data / file, index=False, lineterminator="\n")
    return planted


@pytest.fixture(scope="module")
def hostile_book(tmp_path_factory):
    marker = tmp_path_factory.mktemp("marker") / "marker"
    data = write_dataset(tmp_path_factory.mktemp("data"), n_sites=21, seed=14)
    planted = plant(data, marker)
    project = make_project(tmp_path_factory.mktemp("project"), data)
    first = pd.read_csv(data / "sites.csv", dtype=str)["site_id"].iloc[0]
    completed = linkbook(project, "build", "--site", first, "--jobs", "2", timeout=1500)
    return project, marker, planted, completed


def test_the_build_succeeds_and_no_template_ran(hostile_book):
    project, marker, _, completed = hostile_book
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    assert not marker.exists()
    assert (project / "_build" / "html" / "book" / "generated" / "sites" / "index.html").is_file()


def test_every_page_shows_the_values_literally_and_runs_no_script(hostile_book, page):
    project, marker, planted, completed = hostile_book
    assert completed.returncode == 0
    html = project / "_build" / "html"
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append((page.url, d.message)), d.dismiss()))
    shown, injected = "", []
    for path in sorted(html.rglob("*.html")):
        if "_static" in path.parts or path.name in ("genindex.html", "search.html"):
            continue
        if 'http-equiv="Refresh"' in path.read_text(encoding="utf-8")[:2000]:
            continue  # jupyter-book's redirect to the root page: it navigates away as it loads
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        shown += page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true), "
                               "document.body.innerText")
        injected += [(path.name, n) for n in page.evaluate(
            "[...document.querySelectorAll('img[src=\"x\"], [onerror]')].map(e => e.outerHTML)")]
    assert dialogs == [] and injected == []
    missing = [field for field, value in planted.items() if " ".join(value.split()) not in " ".join(shown.split())]
    assert missing == []
    assert not marker.exists()
