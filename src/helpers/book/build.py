"""Compile the book: generated pages, the full table of contents, then jupyter-book.

The HTML is built in a scratch directory and swapped into `_build/html` only
when the whole build has succeeded, so a failed build leaves the previous book.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

import json

import yaml

from helpers.book.citation import citation_markdown
from helpers.book.pages import REGION_PAGES, SiteGroup, site_groups, site_pages
from helpers.book.privacy import read_deny_list, scan_site
from helpers.book.release import checklist
from helpers.book.sphinx_build import SphinxServer
from helpers.book.substitutions import substitutions
from helpers.core.exits import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from helpers.core.files import check_writable, replace_dir, restore_interrupted, write_atomic
from helpers.core.project import Project
from helpers.data.dataset import Dataset, load_dataset
from helpers.data.dictionary import dictionary_markdown, tables_markdown
from helpers.data.problems import InvalidDataset
from helpers.pipeline.options import BuildOptions
from helpers.pipeline.run import RunReport, run_pipeline
from helpers.report.disclosure import load_policy
from helpers.report.escape import html_text, markdown_text, table_cell
from helpers.report.provenance import provenance_page

SITES_CAPTION = "Sites"
SITES_IN_SIDEBAR = 20  # more sites than this get an index page, and the sidebar lists chapters only
SITES_INDEX = "book/generated/sites/index"
SYNTHETIC_BANNER = (
    "SYNTHETIC DATA: every number, chart and excerpt in this build comes from generated data "
    "(dataset '{name}'). None of it is a finding of the real study."
)


def run_notebooks(project: Project, options: BuildOptions, pool=None, out=print) -> tuple[RunReport | None, int]:
    """`linkbook run`: the pipeline's report and exit code (invalid data: its problems printed, exit 2).
    A results or cache folder that cannot be written stops it at once (OSError, one line from the CLI)."""
    for folder in (project.root / options.results, project.cache):
        check_writable(folder)
    try:
        report = run_pipeline(project, options, pool=pool, out=out)
    except InvalidDataset as err:
        out(err.report())
        return None, EXIT_INVALID
    return report, EXIT_FAILED if report.failed else EXIT_OK


def build_book(project: Project, options: BuildOptions, sphinx: SphinxServer, pool=None, out=print) -> int:
    """`linkbook build`: run the notebooks, then compile the book in the `sphinx` server
    (`linkbook watch` keeps it and the worker `pool` between builds). Returns the exit code."""
    report, code = run_notebooks(project, options, pool, out)
    if report is None:
        return code
    if report.failed and not options.keep_going:
        out("Not building the book: fix the failing notebook(s) or use --keep-going.")
        return EXIT_FAILED
    dataset = load_dataset(project.root / options.data)
    manifest = json.loads((project.root / options.results / "manifest.json").read_text(encoding="utf-8"))
    write_generated_sources(project, dataset, site_pages(project, dataset, report), manifest)
    policy = load_policy(project.root / "_config.yml", dataset.metadata.synthetic)
    code = build_html(project, sphinx, deny_list=options.deny_list,
                      release_policy=None if dataset.metadata.synthetic else policy.statement(),
                      release_threshold=policy.threshold, results=manifest.get("results", {}),
                      results_dir=project.root / options.results, jobs=options.jobs, out=out)
    if code != 0:
        return code
    return EXIT_FAILED if report.failed else EXIT_OK


def write_generated_sources(project: Project, dataset: Dataset, site_pages: list[str], manifest: dict) -> None:
    """Data dictionary, provenance appendix, citation, table of contents and configuration for this dataset."""
    generated = project.generated
    write_atomic(generated / "data_dictionary.md", dictionary_markdown(heading_level=2))
    write_atomic(generated / "data_tables.md", tables_markdown())
    write_atomic(generated / "provenance.md", provenance_page(manifest))
    write_atomic(generated / "rameses.md", rameses_page(project))
    write_atomic(generated / "citation.md", citation_markdown(project.root))  # see helpers.book.citation
    groups = site_groups(dataset, site_pages) if len(site_pages) > SITES_IN_SIDEBAR else None
    index = project.root / f"{SITES_INDEX}.md"
    written = set()
    if groups:
        write_atomic(index, sites_index_page(dataset, groups))
        for group in groups:
            written.add(project.root / f"{group.page}.md")
            write_atomic(project.root / f"{group.page}.md", region_page(dataset, group))
    else:
        index.unlink(missing_ok=True)
    for stale in set(project.root.glob(f"{REGION_PAGES}*.md")) - written:  # no page of an old grouping lingers
        stale.unlink()
    write_atomic(generated / "_toc.yml", yaml.safe_dump(_toc(project, site_pages, groups), sort_keys=False))
    write_atomic(generated / "_config.yml", yaml.safe_dump(_config(project, dataset, bool(groups)), sort_keys=False))


def _toc(project: Project, site_pages: list[str], groups: list[SiteGroup] | None) -> dict:
    """The static table of contents with the site chapters filled in: one chapter per
    site, or, for many sites, one index chapter whose sections are the region pages,
    each with its sites as sections."""
    toc = yaml.safe_load((project.root / "_toc.yml").read_text(encoding="utf-8"))
    for part in toc.get("parts", []):
        if part.get("caption") == SITES_CAPTION:
            if groups:
                regions = [{"file": g.page, "sections": [{"file": page} for page in g.pages]} for g in groups]
                part["chapters"] = [{"file": SITES_INDEX, "sections": regions}]
            else:
                part["chapters"] = [{"file": page} for page in site_pages]
    toc["parts"] = [p for p in toc.get("parts", []) if p.get("chapters")]
    return toc


def _config(project: Project, dataset: Dataset, indexed: bool) -> dict:
    config = yaml.safe_load((project.root / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("parse", {})["myst_substitutions"] = substitutions()
    theme = config.setdefault("sphinx", {}).setdefault("config", {}).setdefault("html_theme_options", {})
    if dataset.metadata.synthetic:
        theme["announcement"] = SYNTHETIC_BANNER.format(name=html_text(dataset.metadata.name))  # raw HTML in the theme
    if indexed:
        # The sidebar lists the Sites index and its region pages, not the sites: a
        # thousand site links would bury it, and every page would carry the whole list.
        theme["max_navbar_depth"] = 2
    return config


def sites_index_page(dataset: Dataset, groups: list[SiteGroup]) -> str:
    """The Sites chapter of a study with many sites: one row per region, linked to its page."""
    n_sites = sum(len(g.site_ids) for g in groups)
    lines = [
        "# All sites", "",
        f"This study has {n_sites} sites, too many to list in the sidebar. They are grouped by region: "
        "each row links to a region's page, which lists its sites with their setting and links to each "
        "site's chapter. The previous and next buttons at the foot of a chapter step through the sites "
        "region by region. The search box finds a site by its identifier.", "",
        "| region | sites | first site | last site |",
        "|---|---|---|---|",
    ]
    for group in groups:  # the {doc} role without a title shows the page's own (escaped) heading
        lines.append(f"| {{doc}}`/{group.page}` | {len(group.site_ids)} | "
                     f"{table_cell(group.site_ids[0])} | {table_cell(group.site_ids[-1])} |")
    return "\n".join(lines) + "\n"


def region_page(dataset: Dataset, group: SiteGroup) -> str:
    """One region's sites: one row per site, linked to its chapter."""
    sites = dataset.sites.set_index("site_id")
    lines = [
        f"# {markdown_text(group.title)}", "",
        f"{len(group.site_ids)} sites, in the order of the study's sites table. Each row links to the site's chapter.", "",
        "| site | rurality | IMD quintile | link worker employed by | team model |",
        "|---|---|---|---|---|",
    ]
    for site_id, page in zip(group.site_ids, group.pages):
        row = sites.loc[site_id]
        employer = "primary care" if row["employer"] == "primary_care" else "VCSE organisation"
        cells = (row["rurality"], row["imd_quintile"], employer, row["team_model"])
        # site ids match the contract's identifier pattern (letters, digits, . _ -): safe in a role
        lines.append(f"| {{doc}}`Site {site_id} </{page}>` | " + " | ".join(table_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _sources_digest(project: Project, deny_list: Path | None) -> str:
    """Hash of everything the HTML is compiled from, and of the deny-list it was checked against."""
    digest = hashlib.sha256(deny_list.read_bytes() if deny_list else b"")
    files = [project.root / "_config.yml", project.root / "_toc.yml"]
    files += sorted(p for folder in ("book", "_static") for p in (project.root / folder).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(project.root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_html(project: Project, sphinx: SphinxServer, deny_list: Path | None = None,
               release_policy: str | None = None, results: dict[str, str] | None = None,
               jobs: int | None = None, out=print, release_threshold: int | None = None,
               results_dir: Path | None = None) -> int:
    """Run jupyter-book's Sphinx build, in `sphinx`, on `jobs` processes (default: the CPU
    count; warnings are errors, references checked), then the privacy guard.

    Returns 0 on success, 1 if the build failed, 2 if the guard found identifiers or a
    per-person results file (`results`: file -> sensitivity, as pipeline.yml declares)
    was copied into the book; in every failure case the previous book in _build/html is
    left untouched. With `release_policy` (real data), also writes
    _build/release_checklist.md, listing the results files with their sensitivity.
    """
    restore_interrupted_swap(project)
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
    argv = [
        str(project.root), "--config", str(project.generated / "_config.yml"),
        "--toc", str(project.generated / "_toc.yml"), "--out", str(work), "--jobs", str(jobs or os.cpu_count() or 1),
    ]
    log = project.cache / "sphinx.log"
    if sphinx.build(argv, log) != 0:
        out("The book build failed; the previous book in _build/html is unchanged.\n")
        out(log.read_text(encoding="utf-8", errors="replace")[-6000:] if log.is_file() else "")
        return 1
    findings = scan_site(work / "_build" / "html", read_deny_list(deny_list), project.cache / "privacy-clean.json")
    if findings:
        out(f"The privacy guard refused to publish: {len(findings)} possible identifier(s) found. "
            "The previous book in _build/html is unchanged.\n")
        for finding in findings:
            out(f"  {finding}")
        return 2
    leaked = per_person_files(work / "_build" / "html", results or {})
    if leaked:
        out("Refused to publish: per-person results files (notebooks/pipeline.yml) were copied into the book: "
            + ", ".join(leaked) + ". The previous book in _build/html is unchanged.")
        return 2
    new = project.build / f".html-new-{uuid.uuid4().hex[:6]}"
    try:
        shutil.copytree(work / "_build" / "html", new)
    except BaseException:  # a full disk, Ctrl-C: no half copy is left behind
        shutil.rmtree(new, ignore_errors=True)
        raise
    replace_dir(new, html)
    write_atomic(stamp, digest)
    write_atomic(toc_stamp, toc_digest)
    out(f"Book written to {html.relative_to(project.root)}/index.html")
    if release_policy is not None:
        write_atomic(project.build / "release_checklist.md",
                     checklist(html, release_policy, results_dir or project.root / "results", results or {},
                               release_threshold))
        out("Real data: release checklist for the output checker written to _build/release_checklist.md")
    return 0


def per_person_files(html: Path, results: dict[str, str]) -> list[str]:
    """Files of the built book named like a per-person results file, by path."""
    names = {name for name, level in results.items() if level == "per_person"}
    return sorted(str(p.relative_to(html)) for p in html.rglob("*") if p.name in names)


def restore_interrupted_swap(project: Project) -> None:
    """If a previous build was killed between its two renames, put the old book back; remove the
    copies a killed build left (a half-copied new book, an old book not yet deleted)."""
    restore_interrupted(project.build / "html")
    leftovers = [*project.build.glob(".html-new-*")]
    if (project.build / "html").exists():
        leftovers += project.build.glob(".html.old-*")
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)


def rameses_page(project: Project) -> str:
    """The RAMESES II appendix: each reporting item linked to where the book addresses it."""
    spec = yaml.safe_load((project.root / "book" / "rameses.yml").read_text(encoding="utf-8"))
    lines = [
        "(rameses)=", "# RAMESES II checklist", "",
        "The RAMESES II reporting standards list what a realist evaluation report should contain "
        "{cite:p}`wong2016rameses`. Each item links to the part of this book that addresses it, and its "
        "status says how fully the book reports it.", "",
        "| item | reporting standard | status | where in this book | note |", "|---|---|---|---|---|",
    ]
    for item in spec["items"]:
        target = f"{{ref}}`{item['ref']}`" if "ref" in item else f"{{doc}}`../{item['doc']}`"
        lines.append(f"| {item['number']} | {item['item']} | {item['status']} | {target} | {item.get('note', '')} |")
    return "\n".join(lines) + "\n"
