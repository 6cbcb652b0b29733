"""What the code part of a job's cache key notices: helpers source and reference tables."""

from __future__ import annotations

import shutil

from helpers.pipeline.fingerprint import code_fingerprint, package_fingerprint

from conftest import ROOT


def _copy(tmp_path):
    package, reference = tmp_path / "helpers", tmp_path / "reference"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "sub" / "b.py").write_text("B = 2\n")
    shutil.copytree(ROOT / "data" / "reference", reference)
    return package, reference


def test_editing_a_module_or_a_reference_table_changes_the_fingerprint(tmp_path):
    package, reference = _copy(tmp_path)
    before = code_fingerprint(package, reference)
    (package / "sub" / "b.py").write_text("B = 3\n")
    after_code = code_fingerprint(package, reference)
    means = reference / "ons4_uk_means.csv"
    means.write_text(means.read_text().replace("7.", "6.", 1))
    after_reference = code_fingerprint(package, reference)
    assert len({before, after_code, after_reference}) == 3


def test_moving_a_module_changes_the_fingerprint_but_other_files_do_not(tmp_path):
    package, reference = _copy(tmp_path)
    before = code_fingerprint(package, reference)
    (package / "notes.txt").write_text("not code\n")
    (reference / "README").write_text("not a table\n")
    assert code_fingerprint(package, reference) == before
    (package / "sub" / "b.py").rename(package / "b.py")
    assert code_fingerprint(package, reference) != before


def test_the_package_fingerprint_covers_the_shipped_reference_tables(tmp_path):
    empty = tmp_path / "reference"
    empty.mkdir()
    assert package_fingerprint() != code_fingerprint(ROOT / "src" / "helpers", empty)
