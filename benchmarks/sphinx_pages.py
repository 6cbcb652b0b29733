"""The Sphinx stage alone at N sites: CPU seconds per page and HTML bytes per page.

Executing 500 site notebooks to time the book takes most of an hour on two cores, so
this builds books whose N site pages are copies of one executed site notebook (its
title changed to each site of a synthetic dataset of N sites), with the executed
overview and synthesis notebooks of SOURCE, a project on which `linkbook run` has run.
Each copy has the same content, so any growth of the cost per page with N comes from
what the pages share: the navigation, the Sites index pages and the search index.

Usage: nice -n 19 .venv/bin/python benchmarks/sphinx_pages.py SOURCE [--sizes 25 100 500] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from measure import become_subreaper, measure
from run_benchmarks import LINKBOOK, copy_project, machine

from helpers.book.build import write_generated_sources
from helpers.core.project import Project
from helpers.data.dataset import load_dataset


def site_copies(source: Path, project: Path, site_ids: list[str]) -> list[str]:
    """book/generated of `source` with its first site notebook copied once per site; the toc pages."""
    generated = project / "book" / "generated"
    shutil.copytree(source / "book" / "generated", generated, ignore=shutil.ignore_patterns("sites", "notices"))
    template = sorted((source / "book" / "generated" / "sites").glob("*.ipynb"))[0]
    notebook = nbformat.read(template, as_version=4)
    title = notebook.cells[0].source
    (generated / "sites").mkdir()
    for site_id in site_ids:
        notebook.cells[0].source = title.replace(template.stem, site_id)
        nbformat.write(notebook, generated / "sites" / f"{site_id}.ipynb")
    return [f"book/generated/sites/{site_id}" for site_id in site_ids]


def one_size(source: Path, tmp: Path, size: int, jobs: int) -> dict:
    data = tmp / f"data{size}"
    subprocess.run([*LINKBOOK, "synth", "--out", str(data), "--sites", str(size)], check=True, capture_output=True)
    project = copy_project(tmp / f"p{size}", data)
    dataset = load_dataset(project / "data" / "synthetic")
    pages = site_copies(source, project, dataset.site_ids)
    manifest = json.loads((source / "results" / "manifest.json").read_text(encoding="utf-8"))
    write_generated_sources(Project(project), dataset, pages, manifest)
    out = project / ".linkbook-cache" / "sphinx"
    argv = [sys.executable, "-m", "helpers.book.sphinx_build", str(project),
            "--config", str(project / "book/generated/_config.yml"), "--toc", str(project / "book/generated/_toc.yml"),
            "--out", str(out), "--jobs", str(jobs)]
    built = measure(argv, project, memory=True)
    html = out / "_build" / "html"
    files = [p for p in html.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts]
    site_bytes = [p.stat().st_size for p in (html / "book" / "generated" / "sites").glob("*.html")
                  if p.stem != "index" and not p.stem.startswith("region-")]
    figures = {"pages": len(files), "cpu_s": built["cpu_s"], "wall_s": built["wall_s"],
               "cpu_per_page": round(built["cpu_s"] / len(files), 3),
               "site_page_kb": round(statistics.median(site_bytes) / 1024, 1),
               "all_html_mb": round(sum(p.stat().st_size for p in files) / 2**20, 1),
               "peak_rss": built["peak_rss"], "measured": machine()}
    shutil.rmtree(project, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--sizes", type=int, nargs="*", default=[25, 100, 500])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, help="JSON file to write the figures to")
    args = parser.parse_args()
    become_subreaper()
    results = {}
    with tempfile.TemporaryDirectory(prefix="linkbook-sphinx-pages-") as tmp:
        for size in args.sizes:
            results[str(size)] = one_size(args.source.resolve(), Path(tmp), size, args.jobs)
            print(size, results[str(size)], flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
