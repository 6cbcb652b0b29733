"""A run publishes exactly the results files pipeline.yml declares, and refuses a job that
writes another (a misspelt name would otherwise silently drop a file from results/)."""

from __future__ import annotations

import json

import yaml

from helpers.synth import write_dataset
from support.pipeline import linkbook, make_project


def test_a_job_writing_an_undeclared_file_fails_and_results_stay_as_they_were(tmp_path):
    data = write_dataset(tmp_path / "data", n_sites=2, seed=5)
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project", data)
    assert linkbook(project, "run", "--jobs", "2").returncode == 0
    manifest = json.loads((project / "results" / "manifest.json").read_text())
    assert manifest["results"]["network_metrics.csv"] == "per_person"
    assert manifest["results"]["outcomes.csv"] == "aggregate"
    published = sorted(p.name for p in (project / "results").glob("*.csv"))
    assert published == sorted(manifest["results"])
    before = (project / "results" / "outcomes.csv").read_bytes()

    path = project / "notebooks" / "pipeline.yml"
    spec = yaml.safe_load(path.read_text())
    site = next(e for e in spec["notebooks"] if e["template"] == "site.md")
    del site["writes"]["embeddedness"]  # the template still writes it
    path.write_text(yaml.safe_dump(spec))
    completed = linkbook(project, "run", "--jobs", "2")
    assert completed.returncode == 1
    assert "UndeclaredResults: wrote embeddedness.csv, not declared" in completed.stdout
    assert "notebooks/pipeline.yml declares for site.md" in completed.stdout
    assert (project / "results" / "outcomes.csv").read_bytes() == before
