"""Which page the book shows for each site: its executed notebook, or a notice."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers.data.dataset import Dataset
from helpers.core.files import write_atomic
from helpers.core.project import Project
from helpers.report.escape import markdown_text


def site_pages(project: Project, dataset: Dataset, report) -> list[str]:
    """Table-of-contents entries (paths without suffix) for every site, in sites.csv order."""
    failed = {r.name: r for r in report.failed}
    jobs = {j.site_id: j for j in report.jobs if j.site_id is not None}
    pages = []
    for site_id in dataset.site_ids:
        job = jobs.get(site_id)
        notice = project.generated / "notices" / f"site-{site_id}.md"
        if job is not None and job.name in failed:
            error = failed[job.name].error or {}
            write_atomic(notice, _failed_page(site_id, job.name, error))
        elif job is not None and (project.generated / job.output).is_file():
            pages.append(str(Path("book/generated") / Path(job.output).with_suffix("")))
            continue
        else:
            write_atomic(notice, f"# Site {markdown_text(site_id)}: not run\n\nThis site's notebook has not been run for this build "
                                 "(the run was limited with `--site`).\n")
        pages.append(str(Path("book/generated/notices") / f"site-{site_id}"))
    return pages


def _failed_page(site_id: str, job_name: str, error: dict) -> str:
    """The notice for a failed site; the error message may quote data, so it is escaped."""
    message = markdown_text(f"{error.get('ename')}: {error.get('evalue')}")
    return (
        f"# Site {markdown_text(site_id)}: analysis failed\n\n"
        ":::{error}\n"
        f"The notebook for this site failed in cell {error.get('cell')} with {message}. "
        "Its results are not in this book. "
        f"The full traceback is in `.linkbook-cache/failures/{job_name}.txt`.\n"
        ":::\n"
    )


REGION_PAGE_SITES = 200  # most sites listed on one region page; a larger region is split into parts
REGION_PAGES = "book/generated/sites/region-"


@dataclass(frozen=True)
class SiteGroup:
    """One index page of the Sites chapter: a region's sites (or one part of a large region)."""

    page: str  # toc entry of the group's page
    title: str  # plain text: escape it for where it goes
    site_ids: tuple[str, ...]
    pages: tuple[str, ...]  # toc entries of its sites' pages


def site_groups(dataset: Dataset, site_pages: list[str]) -> list[SiteGroup]:
    """The sites by region (regions in alphabetical order, sites in sites.csv order within one), so
    that the Sites chapter of a national study lists a dozen regions, not a thousand sites."""
    regions: dict[str, list[tuple[str, str]]] = {}
    for site_id, region, page in zip(dataset.site_ids, dataset.sites["region"], site_pages):
        name = region.strip() if isinstance(region, str) and region.strip() else "Region not recorded"
        regions.setdefault(name, []).append((site_id, page))
    groups = []
    for name in sorted(regions):
        members = regions[name]
        parts = [members[i:i + REGION_PAGE_SITES] for i in range(0, len(members), REGION_PAGE_SITES)]
        for n, part in enumerate(parts, start=1):
            title = name if len(parts) == 1 else f"{name}, part {n} of {len(parts)}"
            groups.append(SiteGroup(f"{REGION_PAGES}{len(groups) + 1:02d}", title,
                                    tuple(s for s, _ in part), tuple(p for _, p in part)))
    return groups
