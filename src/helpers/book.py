"""Compile the book: generated pages, the full table of contents, then jupyter-book.

The HTML is built in a scratch directory and swapped into `_build/html` only
when the whole build has succeeded, so a failed build leaves the previous book.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import yaml

from helpers.dataset import Dataset
from helpers.dictionary import dictionary_markdown, tables_markdown
from helpers.method_constants import substitutions
from helpers.pipeline.cache import replace_dir, restore_interrupted, write_atomic
from helpers.privacy import read_deny_list, scan_site
from helpers.release import checklist
from helpers.project import Project
from helpers.provenance import provenance_page

SITES_CAPTION = "Sites"
SYNTHETIC_BANNER = (
    "SYNTHETIC DATA: every number, chart and excerpt in this build comes from generated data "
    "(dataset '{name}'). None of it is a finding of the real study."
)


def write_generated_sources(project: Project, dataset: Dataset, site_pages: list[str], manifest: dict) -> None:
    """Data dictionary, provenance appendix, table of contents and configuration for this dataset."""
    generated = project.generated
    write_atomic(generated / "data_dictionary.md", dictionary_markdown(heading_level=2))
    write_atomic(generated / "data_tables.md", tables_markdown())
    write_atomic(generated / "provenance.md", provenance_page(manifest))
    write_atomic(generated / "rameses.md", rameses_page(project))
    write_atomic(generated / "_toc.yml", yaml.safe_dump(_toc(project, site_pages), sort_keys=False))
    write_atomic(generated / "_config.yml", yaml.safe_dump(_config(project, dataset), sort_keys=False))


def _toc(project: Project, site_pages: list[str]) -> dict:
    toc = yaml.safe_load((project.root / "_toc.yml").read_text(encoding="utf-8"))
    for part in toc.get("parts", []):
        if part.get("caption") == SITES_CAPTION:
            part["chapters"] = [{"file": page} for page in site_pages]
    toc["parts"] = [p for p in toc.get("parts", []) if p.get("chapters")]
    return toc


def _config(project: Project, dataset: Dataset) -> dict:
    config = yaml.safe_load((project.root / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("parse", {})["myst_substitutions"] = substitutions(project.notebooks)
    if dataset.metadata.synthetic:
        theme = config.setdefault("sphinx", {}).setdefault("config", {}).setdefault("html_theme_options", {})
        theme["announcement"] = SYNTHETIC_BANNER.format(name=dataset.metadata.name)
    return config


def _sources_digest(project: Project, deny_list: Path | None) -> str:
    """Hash of everything the HTML is compiled from, and of the deny-list it was checked against."""
    digest = hashlib.sha256(deny_list.read_bytes() if deny_list else b"")
    files = [project.root / "_config.yml", project.root / "_toc.yml"]
    files += sorted(p for folder in ("book", "_static") for p in (project.root / folder).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(project.root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_html(project: Project, deny_list: Path | None = None, release_policy: str | None = None,
               jobs: int | None = None, out=print) -> int:
    """Run jupyter-book's Sphinx build on `jobs` processes (default: the CPU count; warnings
    are errors, references checked), then the privacy guard.

    Returns 0 on success, 1 if the build failed, 2 if the guard found identifiers;
    in both failure cases the previous book in _build/html is left untouched. With
    `release_policy` (real data), also writes _build/release_checklist.md.
    """
    digest = _sources_digest(project, deny_list)
    html = project.build / "html"
    stamp = project.cache / "book.sha256"
    if html.joinpath("index.html").is_file() and stamp.is_file() and stamp.read_text() == digest:
        out("Book sources unchanged: _build/html is up to date.")
        return 0
    work = project.cache / "sphinx"  # jupyter-book's own incremental state
    # When the table of contents changes (sites added or removed), every page is
    # rewritten from the cached doctrees, so no page keeps an old navigation bar
    # and no page of a removed site lingers; otherwise Sphinx rewrites only the
    # pages whose sources changed.
    toc_digest = hashlib.sha256((project.generated / "_toc.yml").read_bytes()).hexdigest()
    toc_stamp = project.cache / "book-toc.sha256"
    if not toc_stamp.is_file() or toc_stamp.read_text() != toc_digest:
        shutil.rmtree(work / "_build" / "html", ignore_errors=True)
    command = [
        sys.executable, "-m", "helpers.sphinx_build", str(project.root),
        "--config", str(project.generated / "_config.yml"), "--toc", str(project.generated / "_toc.yml"),
        "--out", str(work), "--jobs", str(jobs or os.cpu_count() or 1),
    ]
    completed = subprocess.run(command, cwd=project.root, capture_output=True, text=True)
    if completed.returncode != 0:
        out("The book build failed; the previous book in _build/html is unchanged.\n")
        out((completed.stdout + completed.stderr)[-6000:])
        return 1
    findings = scan_site(work / "_build" / "html", read_deny_list(deny_list), project.cache / "privacy-clean.json")
    if findings:
        out(f"The privacy guard refused to publish: {len(findings)} possible identifier(s) found. "
            "The previous book in _build/html is unchanged.\n")
        for finding in findings:
            out(f"  {finding}")
        return 2
    new = project.build / f".html-new-{uuid.uuid4().hex[:6]}"
    shutil.copytree(work / "_build" / "html", new)
    replace_dir(new, html)
    write_atomic(stamp, digest)
    write_atomic(toc_stamp, toc_digest)
    out(f"Book written to {html.relative_to(project.root)}/index.html")
    if release_policy is not None:
        write_atomic(project.build / "release_checklist.md", checklist(html, release_policy))
        out("Real data: release checklist for the output checker written to _build/release_checklist.md")
    return 0


def restore_interrupted_swap(project: Project) -> None:
    """If a previous build was killed between its two renames, put the old book back."""
    restore_interrupted(project.build / "html")


def rameses_page(project: Project) -> str:
    """The RAMESES II appendix: each reporting item linked to where the book addresses it."""
    spec = yaml.safe_load((project.root / "book" / "rameses.yml").read_text(encoding="utf-8"))
    lines = [
        "(rameses)=", "# RAMESES II checklist", "",
        "The RAMESES II reporting standards list what a realist evaluation report should contain "
        "{cite:p}`wong2016rameses`. Each item links to the part of this book that addresses it.", "",
        "| item | reporting standard | where in this book | note |", "|---|---|---|---|",
    ]
    for item in spec["items"]:
        target = f"{{ref}}`{item['ref']}`" if "ref" in item else f"{{doc}}`../{item['doc']}`"
        lines.append(f"| {item['number']} | {item['item']} | {target} | {item.get('note', '')} |")
    return "\n".join(lines) + "\n"
