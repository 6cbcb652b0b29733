"""Optional contract columns (codings coder, cmocs refined_*, cmoc_evidence relevance and rigour):
a file may leave them out, and a bad value in them is reported like any other."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from support import EMBEDDED
from helpers.cli.main import main
from helpers.data.contract import TABLE_BY_NAME
from helpers.data.dataset import validate_dataset
from helpers.data.dictionary import dictionary_markdown

OPTIONAL = {"codings": ["coder"], "cmocs": ["refined_context", "refined_mechanism", "refined_outcome"],
            "cmoc_evidence": ["relevance", "rigour"]}


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(EMBEDDED, folder)
    return folder


def test_the_contract_marks_exactly_these_columns_optional():
    found = {t: [c.name for c in table.columns if c.optional] for t, table in TABLE_BY_NAME.items()}
    assert {t: cols for t, cols in found.items() if cols} == OPTIONAL


def test_files_without_the_optional_columns_are_valid_and_read_blank(copy):
    for table, columns in OPTIONAL.items():
        frame = pd.read_csv(copy / f"{table}.csv", dtype=str, keep_default_na=False).drop(columns=columns)
        if table == "codings":
            frame = frame.drop_duplicates()
        frame.to_csv(copy / f"{table}.csv", index=False)
    dataset, problems = validate_dataset(copy)
    assert problems == []
    for table, columns in OPTIONAL.items():
        assert dataset.tables[table][columns].isna().all().all()


def test_a_bad_judgement_is_reported_with_file_row_column_and_rule(copy, capsys):
    frame = pd.read_csv(copy / "cmoc_evidence.csv", dtype=str, keep_default_na=False)
    frame.loc[4, "rigour"] = "excellent"
    frame.to_csv(copy / "cmoc_evidence.csv", index=False)
    assert main(["validate", "--data", str(copy)]) == 2
    out = capsys.readouterr()
    text = out.out + out.err
    assert "cmoc_evidence.csv, line 6, column rigour: must be one of: high, moderate, low (found 'excellent')" in text
    assert "Traceback" not in text


def test_one_coder_coding_a_segment_twice_with_one_code_is_a_duplicate(copy):
    frame = pd.read_csv(copy / "codings.csv", dtype=str, keep_default_na=False)
    pd.concat([frame, frame.iloc[[0]]]).to_csv(copy / "codings.csv", index=False)
    _, problems = validate_dataset(copy)
    assert any(p.file == "codings.csv" and "appears more than once" in p.rule for p in problems)


def test_the_data_dictionary_says_which_columns_may_be_left_out():
    text = dictionary_markdown()
    for columns in OPTIONAL.values():
        for column in columns:
            line = next(l for l in text.splitlines() if l.startswith(f"| {column} |"))
            assert "optional column (may be left out)" in line
