"""A results folder that cannot be written is one line naming it, exit 2, before any notebook runs."""

from __future__ import annotations

import subprocess

import pytest

from support.pipeline import linkbook, make_project


def test_a_results_folder_that_cannot_be_written_stops_the_run_before_any_notebook(tmp_path):
    project = make_project(tmp_path)
    results = project / "results"
    results.mkdir()
    if subprocess.run(["chattr", "+i", str(results)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available (needs CAP_LINUX_IMMUTABLE); root ignores file modes")
    try:
        completed = linkbook(project, "run", "--jobs", "1", timeout=120)
    finally:
        subprocess.run(["chattr", "-i", str(results)])
    assert completed.returncode == 2
    assert completed.stderr.strip() == (f"linkbook run: {results} is not writable: give linkbook write access to it, "
                                        "or choose another folder (Operation not permitted)")
    assert "queued" not in completed.stdout and not (project / "book" / "generated" / "overview.ipynb").exists()
