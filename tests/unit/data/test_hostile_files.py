"""Hostile data files: refused with a problem (exit 2), in bounded memory, without recursion."""

from __future__ import annotations

import shutil
import tracemalloc

import pandas as pd
import pytest

from helpers.cli.main import main
from helpers.data.contract import TABLE_BY_NAME
from helpers.data.cross_checks import MAX_CODE_DEPTH, codebook_depth_problems
from helpers.data.dataset import validate_dataset
from helpers.data.reading import MAX_LINE_BYTES, read_text_table

from support import EMBEDDED


@pytest.fixture
def data(tmp_path):
    return shutil.copytree(EMBEDDED, tmp_path / "data", ignore=shutil.ignore_patterns("truth.json"))


def test_a_segments_file_of_one_huge_line_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "segments.csv"
    size = 48 * 1024 * 1024  # 12 times the line bound; the refusal must not hold the line
    with path.open("wb") as handle:
        handle.write(b"segment_id,source,interview_id,site_id,participant_id,wave,text\nS1,interview,,S1,,,\"")
        block = b"a" * (1024 * 1024)
        for _ in range(size // len(block)):
            handle.write(block)
    tracemalloc.start()
    frame, problems = read_text_table(path, TABLE_BY_NAME["segments"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert frame is None and [(p.line, p.column) for p in problems] == [(2, None)]
    assert "longer than" in problems[0].rule
    assert peak < 8 * 1024 * 1024  # a few blocks, not the 48 MiB file


def test_a_long_quoted_field_over_many_short_lines_is_refused(tmp_path):
    path = tmp_path / "segments.csv"
    text = "segment_id,source,interview_id,site_id,participant_id,wave,text\nS1,interview,,S1,,,\""
    path.write_text(text + ("word " * 20 + "\n") * 45000)  # 4.5 MB in one quoted field, no line too long
    frame, problems = read_text_table(path, TABLE_BY_NAME["segments"])
    assert frame is None and "a field is longer than" in problems[0].rule


def test_lines_just_under_the_bound_are_read(tmp_path):
    path = tmp_path / "codebook.csv"
    label = "x" * (MAX_LINE_BYTES - 100)
    path.write_text(f"code_id,parent_id,label,kind,origin\nholding,,{label},concept,review\n")
    frame, problems = read_text_table(path, TABLE_BY_NAME["codebook"])
    assert problems == [] and frame["label"].iloc[0] == label


def nested(depth: int) -> pd.DataFrame:
    ids = ["deep"]
    for i in range(1, depth):
        ids.append(f"{ids[-1]}.c{i}")
    return pd.DataFrame({"code_id": ids, "parent_id": [""] + ids[:-1]}, index=range(2, depth + 2))


def test_5000_nested_codes_are_one_problem_at_the_first_level_too_deep():
    problems = codebook_depth_problems(nested(5000))
    assert [(p.line, p.column) for p in problems] == [(MAX_CODE_DEPTH + 2, "parent_id")]
    assert f"as are {5000 - MAX_CODE_DEPTH - 1} codes below it" in problems[0].rule


def test_a_codebook_at_the_depth_bound_passes_and_a_loop_is_found():
    assert codebook_depth_problems(nested(MAX_CODE_DEPTH)) == []
    loop = pd.DataFrame({"code_id": ["a", "a.b", "c"], "parent_id": ["a.b", "a", ""]}, index=[2, 3, 4])
    assert sorted(p.line for p in codebook_depth_problems(loop)) == [2, 3]


def test_validate_and_export_refuse_a_deeply_nested_codebook_with_exit_2(data, tmp_path, capsys):
    book = pd.read_csv(data / "codebook.csv", dtype=str, keep_default_na=False)
    deep = nested(2000).assign(label="deep", kind="concept", origin="evaluation")  # beyond the stack
    pd.concat([book, deep]).to_csv(data / "codebook.csv", index=False, lineterminator="\n")
    assert main(["validate", "--data", str(data)]) == 2
    assert main(["export", "qdpx", "--data", str(data), "--out", str(tmp_path / "out.qdpx")]) == 2
    err = capsys.readouterr()
    assert "nested more than" in err.out + err.err and "unexpected error" not in err.out + err.err
    assert not (tmp_path / "out.qdpx").exists()


def test_site_ids_that_differ_only_by_case_are_refused(data):
    sites = pd.read_csv(data / "sites.csv", dtype=str, keep_default_na=False)
    extra = sites.iloc[[0]].assign(site_id=sites["site_id"].iloc[0].lower())
    pd.concat([sites, extra]).to_csv(data / "sites.csv", index=False, lineterminator="\n")
    _, problems = validate_dataset(data)
    case = [p for p in problems if "only by letter case" in p.rule]
    assert [(p.file, p.line, p.column, p.value) for p in case] == [
        ("sites.csv", len(sites) + 2, "site_id", sites["site_id"].iloc[0].lower())]


def _nested_aliases(levels: int) -> str:
    """A billion-laughs mapping: each level is nine aliases of the one before (9**levels strings)."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("extra, line, rule", [
    # the name is printed on every page: with aliases it would expand to 9**9 strings
    (lambda: "bomb:\n" + "".join(f"  {l}\n" for l in _nested_aliases(9).splitlines()) + "title: *l8\n",
     13, "YAML anchors and aliases (&name, *name) are refused in dataset.yml"),
    (lambda: "deep: " + "[" * 40 + "]" * 40 + "\n", 12, "dataset.yml is nested more than 32 levels deep"),
])
def test_dataset_yml_with_aliases_or_deep_nesting_is_refused_before_it_is_built(data, capsys, extra, line, rule):
    with (data / "dataset.yml").open("a", encoding="utf-8") as file:
        file.write(extra())
    tracemalloc.start()
    _, problems = validate_dataset(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [(p.file, p.line) for p in problems if rule in p.rule] == [("dataset.yml", line)]
    assert peak < 200 * 2**20
    assert main(["validate", "--data", str(data)]) == 2
    assert "unexpected error" not in capsys.readouterr().err


def test_dataset_yml_keys_are_checked(data):
    meta = (data / "dataset.yml").read_text(encoding="utf-8")
    (data / "dataset.yml").write_text(meta.replace("synthetic:", "synthtic:").replace(
        "name: ", "name:\n  - a list\n  - not a name\nold_name: "), encoding="utf-8")
    _, problems = validate_dataset(data)
    found = {(p.column, p.rule.split(" (")[0]) for p in problems if p.file == "dataset.yml"}
    assert found >= {("synthtic", "unknown key"), ("old_name", "unknown key"), ("synthetic", "required key is missing"),
                     ("name", "must be text on one line or a paragraph, not a list or mapping")}


def test_an_oversized_dataset_yml_is_refused_unread(data):
    with (data / "dataset.yml").open("a", encoding="utf-8") as file:
        file.write("description2: " + "x" * (2 * 2**20) + "\n")
    _, problems = validate_dataset(data)
    assert [p.rule.split(":")[0] for p in problems if p.file == "dataset.yml"] == ["file is larger than 1048576 bytes"]
