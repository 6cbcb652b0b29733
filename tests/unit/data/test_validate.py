"""`linkbook validate` on the embedded dataset and on copies with planted defects.

Every defect must give exit code 2, no traceback, and a message line naming the
file, the column and the rule.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from helpers.cli.main import main
from helpers.data.dataset import load_dataset, validate_dataset
from helpers.data.problems import InvalidDataset

from support import EMBEDDED


def read(d, table):
    return pd.read_csv(d / f"{table}.csv", dtype=str, keep_default_na=False)


def write(d, table, frame):
    frame.to_csv(d / f"{table}.csv", index=False, lineterminator="\n")


def edit(table, func):
    """A defect made by editing one table as text cells."""
    def mutate(d):
        frame = read(d, table)
        func(frame, d)
        write(d, table, frame)
    return mutate


def first(frame, column, value):
    return frame.index[frame[column] == value][0]


def set_cell(column, value, where=None):
    def change(frame, d):
        row = 0 if where is None else first(frame, *where)
        frame.loc[row, column] = value
    return change


def patient_id(d):
    people = read(d, "participants")
    return people.loc[people["group"] == "patient", "participant_id"].iloc[0]


def link_worker_id(d):
    people = read(d, "participants")
    return people.loc[people["group"] == "link_worker", "participant_id"].iloc[0]


def remove_file(name):
    return lambda d: (d / name).unlink()


def duplicate_first_row(frame, d):
    frame.loc[len(frame)] = frame.iloc[0]


def questionnaire_for_link_worker(frame, d):
    frame.loc[0, "participant_id"] = link_worker_id(d)


def connection_across_sites(frame, d):
    people = read(d, "participants")
    other_site = people.loc[people["site_id"] != frame.loc[0, "site_id"], "participant_id"].iloc[0]
    frame.loc[0, "target_id"] = other_site


def blank_patient_referral(frame, d):
    frame.loc[first(frame, "group", "patient"), "referral_date"] = ""


def crowd_coded_segment(d):
    """One segment coded by 21 coders: past the bound on coders per segment."""
    frame = read(d, "codings")
    crowd = pd.DataFrame([{**frame.iloc[0].to_dict(), "coder": f"CROWD{i}"} for i in range(21)])
    write(d, "codings", pd.concat([frame, crowd]))


def not_utf8(d):
    path = d / "segments.csv"
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"[Synthetic", b"[Synth\xe9tic", 1)
    path.write_bytes(b"\n".join(lines))


def extra_field(d):
    path = d / "observations.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[2] += ",surplus"
    path.write_text("\n".join(lines), encoding="utf-8")


# (id, mutation, file, column, words of the rule)
DEFECTS = [
    ("missing file", remove_file("codings.csv"), "codings.csv", None, "file is missing"),
    ("missing column", edit("participants", lambda f, d: f.pop("group")),
     "participants.csv", "group", "column is missing"),
    ("empty file", lambda d: (d / "sites.csv").write_bytes(b""), "sites.csv", None, "file is empty"),
    ("not UTF-8", not_utf8, "segments.csv", "text", "not UTF-8"),
    ("row with an extra field", extra_field, "observations.csv", None, "fields but the header has"),
    ("duplicate participant", edit("participants", duplicate_first_row), "participants.csv", "participant_id",
     "must be unique"),
    ("duplicate questionnaire wave", edit("questionnaires", duplicate_first_row), "questionnaires.csv",
     "participant_id, wave", "appears more than once"),
    ("unknown site", edit("participants", set_cell("site_id", "S99")), "participants.csv", "site_id",
     "site does not exist"),
    ("questionnaire for a link worker", edit("questionnaires", questionnaire_for_link_worker),
     "questionnaires.csv", "participant_id", "not a patient"),
    ("GP contact for unknown person", edit("gp_contacts", set_cell("participant_id", "NOBODY-1")),
     "gp_contacts.csv", "participant_id", "does not exist"),
    ("patient without referral date", edit("participants", blank_patient_referral), "participants.csv",
     "referral_date", "must have a referral_date"),
    ("ONS4 above 10", edit("questionnaires", set_cell("ons_happy", "11")), "questionnaires.csv", "ons_happy",
     "between 0 and 10"),
    ("ONS4 not whole", edit("questionnaires", set_cell("ons_worthwhile", "6.5")), "questionnaires.csv",
     "ons_worthwhile", "whole number"),
    ("GSE outside 1-4", edit("questionnaires", set_cell("gse_03", "0")), "questionnaires.csv", "gse_03",
     "between 1 and 4"),
    ("date that does not parse", edit("interviews", set_cell("date", "31/02/2022")), "interviews.csv", "date",
     "real date"),
    ("impossible date", edit("gp_contacts", set_cell("contact_date", "2022-02-30")), "gp_contacts.csv",
     "contact_date", "real date"),
    ("date in the future", edit("interviews", set_cell("date", "2099-01-01")), "interviews.csv", "date",
     "in the future"),
    ("date outside the study period", edit("observations", set_cell("date", "2019-06-01")), "observations.csv",
     "date", "outside the study period"),
    ("coding with unknown code", edit("codings", set_cell("code_id", "holding.unheard_of")), "codings.csv",
     "code_id", "code does not exist"),
    ("coding with unknown segment", edit("codings", set_cell("segment_id", "NO-SEGMENT")), "codings.csv",
     "segment_id", "segment does not exist"),
    ("evidence for unknown CMOC", edit("cmoc_evidence", set_cell("cmoc_id", "CMOC-404")), "cmoc_evidence.csv",
     "cmoc_id", "CMOC does not exist"),
    ("connection across sites", edit("connections", connection_across_sites), "connections.csv", "target_id",
     "not to the connection's site"),
    ("value outside allowed set", edit("sites", set_cell("rurality", "suburban")), "sites.csv", "rurality",
     "must be one of"),
    ("blank required value", edit("organisations", set_cell("label", "")), "organisations.csv", "label",
     "required value is blank"),
    ("CMOC tests unknown theory node", edit("cmocs", set_cell("proposition_id", "no_such_node")), "cmocs.csv",
     "proposition_id", "node does not exist"),
    ("segment coded by 21 coders", crowd_coded_segment, "codings.csv", "coder",
     "coded by more than 20 coders"),
    ("terminal escape in a text cell", edit("sites", set_cell("region", "North\x1b[2J East")), "sites.csv", "region",
     "contains the control character U+001B"),
    ("bidirectional override in a segment", edit("segments", set_cell("text", "fine \u202etxt.exe")), "segments.csv",
     "text", "contains the control character U+202E"),
    ("missing dataset.yml", remove_file("dataset.yml"), "dataset.yml", None, "file is missing"),
]


@pytest.fixture
def dataset_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(EMBEDDED, target)
    (target / "truth.json").unlink(missing_ok=True)
    return target


def problem_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.startswith("  ")]


@pytest.mark.parametrize("defect", DEFECTS, ids=[d[0] for d in DEFECTS])
def test_defect_is_reported_with_file_column_and_rule(defect, dataset_copy, capsys):
    _, mutate, file, column, rule = defect
    mutate(dataset_copy)
    code = main(["validate", "--data", str(dataset_copy)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in out + err and "unexpected error" not in err
    matching = [line for line in problem_lines(out) if line.startswith(file) and rule in line]
    assert matching, f"no problem line for {file} with {rule!r} in:\n{out}"
    if column is not None:
        assert any(f"column {column}:" in line for line in matching), out


def test_every_problem_is_reported_not_just_the_first(dataset_copy, capsys):
    for _, mutate, *_ in (DEFECTS[11], DEFECTS[14], DEFECTS[18], DEFECTS[21]):
        mutate(dataset_copy)
    assert main(["validate", "--data", str(dataset_copy)]) == 2
    lines = problem_lines(capsys.readouterr().out)
    files = {line.split(",")[0] for line in lines}
    assert {"questionnaires.csv", "interviews.csv", "codings.csv", "connections.csv"} <= files


def test_problem_names_the_line_of_the_file(dataset_copy, capsys):
    frame = read(dataset_copy, "questionnaires")
    frame.loc[4, "ons_anxious"] = "12"  # data row 5 is line 6 of the file
    write(dataset_copy, "questionnaires", frame)
    main(["validate", "--data", str(dataset_copy)])
    assert "questionnaires.csv, line 6, column ons_anxious: must be between 0 and 10 (found '12')" in capsys.readouterr().out


def test_embedded_dataset_is_valid_and_summarised(capsys):
    assert main(["validate", "--data", str(EMBEDDED)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "synthetic" in out


def test_load_dataset_raises_with_every_problem(dataset_copy):
    DEFECTS[11][1](dataset_copy)
    DEFECTS[12][1](dataset_copy)
    with pytest.raises(InvalidDataset) as caught:
        load_dataset(dataset_copy)
    assert {p.column for p in caught.value.problems} >= {"ons_happy", "ons_worthwhile"}


def test_loaded_tables_are_typed():
    dataset = load_dataset(EMBEDDED)
    q = dataset.questionnaires
    assert str(q["ons_happy"].dtype) == "Int64"
    assert str(q["completed_date"].dtype).startswith("datetime64")
    assert dataset.patients["group"].eq("patient").all()


def test_for_site_keeps_only_that_sites_rows():
    dataset = load_dataset(EMBEDDED)
    site_id = dataset.site_ids[0]
    site = dataset.for_site(site_id)
    assert set(site.participants["site_id"]) == {site_id}
    assert set(site.questionnaires["participant_id"]) <= set(site.participants["participant_id"])
    assert len(site.codebook) == len(dataset.codebook)


def test_missing_directory_is_a_clear_error(tmp_path, capsys):
    assert main(["validate", "--data", str(tmp_path / "nowhere")]) == 2
    assert "dataset directory does not exist" in capsys.readouterr().out


def test_console_script_exits_2_without_traceback(dataset_copy):
    (dataset_copy / "questionnaires.csv").write_bytes(b"\xff\xfe not a csv")
    completed = subprocess.run([sys.executable, "-m", "helpers", "validate", "--data", str(dataset_copy)],
                               capture_output=True, text=True)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "questionnaires.csv" in completed.stdout


def test_validation_does_not_modify_the_data(dataset_copy):
    before = {p.name: p.read_bytes() for p in dataset_copy.iterdir()}
    validate_dataset(dataset_copy)
    assert before == {p.name: p.read_bytes() for p in dataset_copy.iterdir()}


def test_messages_show_control_characters_escaped(dataset_copy, capsys):
    """A value or header holding terminal escapes is printed as text, never acted on by the terminal."""
    frame = read(dataset_copy, "sites")
    frame.loc[0, "region"] = "\x1b]0;pwned\x07\u202e"
    frame["x\x1b[31m"] = ""  # a column the contract does not know, with an escape in its name
    write(dataset_copy, "sites", frame)
    assert main(["validate", "--data", str(dataset_copy)]) == 2
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]0;pwned\\x07" in out
