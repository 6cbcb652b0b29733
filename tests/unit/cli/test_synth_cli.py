"""`linkbook synth` through the command line: the embedded dataset, and validity at many sizes."""

from __future__ import annotations

import filecmp

import pytest

from helpers.cli.main import main
from helpers.data.dataset import validate_dataset
from helpers.synth import DEFAULT_SEED

from support import EMBEDDED


def test_committed_dataset_equals_a_fresh_synth_with_the_default_seed(tmp_path):
    assert main(["synth", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in EMBEDDED.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(EMBEDDED, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == [], f"regenerate with `make data`: {mismatch}"


@pytest.mark.parametrize("sites,seed", [(1, 1), (2, DEFAULT_SEED), (7, 99), (13, 2024), (40, 5)])
def test_generated_datasets_pass_validation(tmp_path, sites, seed):
    assert main(["synth", "--out", str(tmp_path), "--sites", str(sites), "--seed", str(seed)]) == 0
    dataset, problems = validate_dataset(tmp_path)
    assert problems == []
    assert len(dataset.site_ids) == sites


@pytest.mark.parametrize("bad", ["0", "-3", "many"])
def test_synth_rejects_a_bad_site_count(tmp_path, bad, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["synth", "--out", str(tmp_path), "--sites", bad])
    assert stop.value.code == 2
    assert "--sites" in capsys.readouterr().err


def test_synth_null_scenario_is_valid_and_recorded(tmp_path, capsys):
    import json

    assert main(["synth", "--out", str(tmp_path), "--sites", "3", "--scenario", "null"]) == 0
    assert "null scenario" in capsys.readouterr().out
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["scenario"] == "null" and truth["gp"]["level_rate_ratio"] == 1.0
    assert validate_dataset(tmp_path)[1] == []
    with pytest.raises(SystemExit) as stop:
        main(["synth", "--out", str(tmp_path), "--scenario", "none"])
    assert stop.value.code == 2
