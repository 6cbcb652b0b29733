"""The generated table of contents and configuration: sites in the sidebar, or an index page for many."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers.book.build import SITES_IN_SIDEBAR, SITES_INDEX, write_generated_sources
from helpers.data.dataset import load_dataset
from helpers.core.project import Project
from helpers.report.provenance import run_context
from helpers.synth import write_dataset

from support import EMBEDDED, ROOT


def project_copy(tmp_path) -> Project:
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "book", tmp_path / "book", ignore=shutil.ignore_patterns("generated"))
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    return Project(tmp_path)


def generate(project: Project, dataset) -> tuple[dict, dict]:
    pages = [f"book/generated/sites/{s}" for s in dataset.site_ids]
    context = run_context(project.root, dataset)
    manifest = {**context, "dataset": {**context["dataset"], "path": "data/synthetic"}, "jobs": []}
    write_generated_sources(project, dataset, pages, manifest)
    toc = yaml.safe_load((project.generated / "_toc.yml").read_text())
    config = yaml.safe_load((project.generated / "_config.yml").read_text())
    return toc, config


def sites_part(toc: dict) -> list[dict]:
    return next(p["chapters"] for p in toc["parts"] if p["caption"] == "Sites")


@pytest.fixture(scope="module")
def many_sites(tmp_path_factory):
    return load_dataset(write_dataset(tmp_path_factory.mktemp("many"), n_sites=SITES_IN_SIDEBAR + 1, seed=5))


def test_a_few_sites_are_chapters_in_the_sidebar(tmp_path):
    dataset = load_dataset(EMBEDDED)
    toc, config = generate(project_copy(tmp_path), dataset)
    assert sites_part(toc) == [{"file": f"book/generated/sites/{s}"} for s in dataset.site_ids]
    assert "max_navbar_depth" not in config["sphinx"]["config"]["html_theme_options"]
    assert not (tmp_path / f"{SITES_INDEX}.md").exists()


def test_many_sites_get_an_index_chapter_of_region_pages_that_link_every_site(tmp_path, many_sites):
    project = project_copy(tmp_path)
    toc, config = generate(project, many_sites)
    chapters = sites_part(toc)
    assert len(chapters) == 1 and chapters[0]["file"] == SITES_INDEX
    regions = chapters[0]["sections"]
    by_region = many_sites.sites.groupby("region", sort=True)["site_id"].apply(list)
    assert len(regions) == len(by_region)
    index = (tmp_path / f"{SITES_INDEX}.md").read_text()
    for entry, (region, site_ids) in zip(regions, by_region.items()):
        # each region's sites, in sites.csv order, under its page, which links every one
        assert [s["file"] for s in entry["sections"]] == [f"book/generated/sites/{s}" for s in site_ids]
        page = (tmp_path / f"{entry['file']}.md").read_text()
        assert page.startswith(f"# {region}\n")
        for site_id in site_ids:
            assert f"{{doc}}`Site {site_id} </book/generated/sites/{site_id}>`" in page
        assert f"{{doc}}`/{entry['file']}`" in index
    # the sidebar shows the index and the regions, not the sites
    assert config["sphinx"]["config"]["html_theme_options"]["max_navbar_depth"] == 2
    # fewer sites again: the index and region pages go, so no stale page lingers
    generate(project, load_dataset(EMBEDDED))
    assert not (tmp_path / f"{SITES_INDEX}.md").exists()
    assert not list((tmp_path / "book" / "generated" / "sites").glob("region-*"))


def test_a_large_region_is_split_into_parts_and_a_hostile_region_name_stays_text(tmp_path, many_sites, monkeypatch):
    import helpers.book.pages as pages

    monkeypatch.setattr(pages, "REGION_PAGE_SITES", 4)
    hostile = "North `{eval}` <b>*East*</b>"
    sites = many_sites.sites.assign(region=[hostile] * 9 + ["Wessex"] * (len(many_sites.sites) - 9))
    dataset = type(many_sites)(many_sites.path, many_sites.metadata, {**many_sites.tables, "sites": sites})
    toc, _ = generate(project_copy(tmp_path), dataset)
    regions = sites_part(toc)[0]["sections"]
    sizes = [len(r["sections"]) for r in regions]
    assert sizes[:3] == [4, 4, 1] and sum(sizes) == len(sites)
    first = (tmp_path / f"{regions[0]['file']}.md").read_text().splitlines()[0]
    assert "part 1 of 3" in first and "`{eval}`" not in first and "<b>" not in first
    listed = [s["file"].rsplit("/", 1)[1] for r in regions for s in r["sections"]]
    assert sorted(listed) == sorted(dataset.site_ids)
