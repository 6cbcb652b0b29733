"""What the code part of a job's cache key notices: the notebook layers' source and reference tables."""

from __future__ import annotations

import shutil

from helpers.core.hashing import PACKAGE, tree_digest
from helpers.pipeline.fingerprint import code_roots, package_fingerprint

from support import ROOT


def _copy(tmp_path):
    package, reference = tmp_path / "helpers", tmp_path / "reference"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "sub" / "b.py").write_text("B = 2\n")
    shutil.copytree(ROOT / "data" / "reference", reference)
    return package, reference


def test_editing_a_module_or_a_reference_table_changes_the_fingerprint(tmp_path):
    package, reference = _copy(tmp_path)
    before = tree_digest([package, reference])
    (package / "sub" / "b.py").write_text("B = 3\n")
    after_code = tree_digest([package, reference])
    means = reference / "ons4_uk_means.csv"
    means.write_text(means.read_text().replace("7.", "6.", 1))
    after_reference = tree_digest([package, reference])
    assert len({before, after_code, after_reference}) == 3


def test_moving_a_module_changes_the_fingerprint_but_other_files_do_not(tmp_path):
    package, reference = _copy(tmp_path)
    before = tree_digest([package, reference])
    (package / "notes.txt").write_text("not code\n")
    (reference / "README").write_text("not a table\n")
    assert tree_digest([package, reference]) == before
    (package / "sub" / "b.py").rename(package / "b.py")
    assert tree_digest([package, reference]) != before


def test_the_package_fingerprint_covers_the_shipped_reference_tables(tmp_path):
    empty = tmp_path / "reference"
    empty.mkdir()
    assert package_fingerprint() != tree_digest([ROOT / "src" / "helpers", empty])


def test_the_code_roots_are_what_a_notebook_can_import_and_nothing_else():
    roots = {p.relative_to(PACKAGE).parts[0] for p in code_roots() if p.is_relative_to(PACKAGE)}
    assert roots == {"__init__.py", "core", "data", "analysis", "report"}
    for other in ("importers", "synth", "cli", "pipeline", "book"):
        assert not any(p.is_relative_to(PACKAGE / other) for p in code_roots()), other


def test_editing_an_importer_keeps_every_job_key_and_editing_an_analysis_module_changes_it(tmp_path, monkeypatch):
    from helpers.core import hashing
    from helpers.pipeline import fingerprint

    copy = tmp_path / "helpers"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(hashing, "PACKAGE", copy)
    monkeypatch.setattr(fingerprint, "PACKAGE", copy)
    before = tree_digest(code_roots())
    for other in ("importers/refi.py", "synth/design.py", "cli/main.py", "pipeline/run.py", "book/build.py"):
        (copy / other).write_text((copy / other).read_text() + "\n# a typo fixed\n")
    assert tree_digest(code_roots()) == before
    (copy / "analysis" / "outcomes.py").write_text((copy / "analysis" / "outcomes.py").read_text() + "\n# edit\n")
    assert tree_digest(code_roots()) != before


def test_a_site_key_notices_another_sites_row_in_the_sites_table():
    # A site job reads the whole sites table (excerpt labels number a site among all sites),
    # so renaming or editing another site must re-run it; its other tables stay its own.
    from dataclasses import replace

    from helpers.data.dataset import load_dataset
    from helpers.pipeline.fingerprint import site_fingerprints

    from support import EMBEDDED

    dataset = load_dataset(EMBEDDED)
    before = site_fingerprints(dataset)
    sites = dataset.tables["sites"].copy()
    sites.loc[sites["site_id"] == "S7", "region"] = "Elsewhere"
    edited = replace(dataset, tables={**dataset.tables, "sites": sites})
    after = site_fingerprints(edited)
    assert all(after[s] != before[s] for s in before)
    gp = dataset.tables["gp_contacts"]
    s7 = set(dataset.tables["participants"].query("site_id == 'S7'")["participant_id"])
    fewer = replace(dataset, tables={**dataset.tables, "gp_contacts": gp[~gp["participant_id"].isin(s7)]})
    changed = {s for s, key in site_fingerprints(fewer).items() if key != before[s]}
    assert changed == {"S7"}  # another site's GP contacts are not this site's input


def test_one_changed_answer_changes_its_site_key_and_the_dataset_key_only():
    """Row digests are computed per table in one pass and grouped by site: one edited value must
    still reach exactly its own site's key (and every dataset-wide key that reads the table)."""
    from dataclasses import replace

    from helpers.data.dataset import load_dataset
    from helpers.pipeline.fingerprint import dataset_fingerprint, site_fingerprints

    from support import EMBEDDED

    dataset = load_dataset(EMBEDDED)
    people = dataset.tables["participants"]
    s2 = set(people.loc[people["site_id"] == "S2", "participant_id"])
    answers = dataset.tables["questionnaires"].copy()
    row = answers.index[answers["participant_id"].isin(s2)][3]
    column = next(c for c in answers.columns if c.startswith("gse_"))
    answers.loc[row, column] = 5 - answers.loc[row, column]  # another valid answer (1-4)
    edited = replace(dataset, tables={**dataset.tables, "questionnaires": answers})
    before, after = site_fingerprints(dataset), site_fingerprints(edited)
    assert {s for s in before if before[s] != after[s]} == {"S2"}
    assert dataset_fingerprint(edited) != dataset_fingerprint(dataset)
    assert dataset_fingerprint(edited, ["gp_contacts"]) == dataset_fingerprint(dataset, ["gp_contacts"])
    reversed_rows = dataset.tables["questionnaires"].iloc[::-1]
    swapped = replace(dataset, tables={**dataset.tables, "questionnaires": reversed_rows})
    assert site_fingerprints(swapped)["S2"] != before["S2"]  # row order is part of what a site reads
    assert site_fingerprints(dataset) == before  # deterministic
