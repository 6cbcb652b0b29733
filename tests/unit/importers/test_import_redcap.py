"""`linkbook import redcap`: a longitudinal raw export with its data dictionary, through the mapping.

The fixtures in tests/fixtures/redcap/ are hand-written in the shape of a REDCap raw CSV export
(BOM, redcap_event_name, a data access group, checkbox columns, <form>_complete columns, blank
answers); the mapping is the documented example data/mappings/redcap.yml.
"""

from __future__ import annotations

import argparse
import shutil

import pandas as pd
import pytest
import yaml

from helpers.cli.import_export import register

from support import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "redcap"
MAPPING = ROOT / "data" / "mappings" / "redcap.yml"
DICTIONARY = FIXTURES / "dictionary.csv"
RECORDS = FIXTURES / "records_longitudinal.csv"


def linkbook(*argv) -> int:
    """Run a command of `register` the way `linkbook` does: parse, then call the handler."""
    parser = argparse.ArgumentParser(prog="linkbook")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


def import_redcap(out, records=RECORDS, dictionary=DICTIONARY, mapping=MAPPING, *extra) -> int:
    return linkbook("import", "redcap", "--records", records, "--dictionary", dictionary,
                    "--mapping", mapping, "--out", out, *extra)


def rows(path) -> list[dict]:
    return pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records")


def mapping_with(tmp_path, change) -> str:
    content = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    change(content)
    path = tmp_path / "mapping.yml"
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return path


def questionnaire(pid, wave, date, ons, gse) -> dict:
    row = {"participant_id": pid, "wave": str(wave), "completed_date": date}
    row.update(zip(("ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious"), ons))
    row.update((f"gse_{i:02d}", value) for i, value in enumerate(gse, start=1))
    return row


def test_two_events_become_two_waves_value_by_value(tmp_path, capsys):
    assert import_redcap(tmp_path) == 0
    assert rows(tmp_path / "questionnaires.csv") == [
        questionnaire("S1-PT01", 1, "2021-11-09", "5566", "2221122322"),
        # gse_03 blank at baseline, ons_anxious blank at follow-up: blanks stay missing answers
        questionnaire("S1-PT02", 1, "2021-11-10", "6656", ["3", "2", "", "3", "2", "3", "3", "1", "2", "2"]),
        questionnaire("S1-PT02", 2, "2022-09-12", ["7", "6", "7", ""], "2232232322"),
        questionnaire("S2-PT01", 1, "2022-01-10", "4337", "2222322223"),
        questionnaire("S2-PT01", 2, "2022-11-16", "4447", "3323323233"),
    ]  # S1-PT01's follow-up event has no answers: no wave 2 row
    assert rows(tmp_path / "participants.csv") == [
        {"participant_id": "S1-PT01", "site_id": "S1", "group": "patient", "role": "patient",
         "age_band": "30-44", "gender": "woman", "referral_date": "2021-09-13"},
        {"participant_id": "S1-PT02", "site_id": "S1", "group": "patient", "role": "patient",
         "age_band": "45-59", "gender": "not_stated", "referral_date": "2021-10-11"},
        {"participant_id": "S2-PT01", "site_id": "S2", "group": "patient", "role": "patient",
         "age_band": "75+", "gender": "man", "referral_date": "2021-07-23"},
    ]
    # int_mode is a checkbox (int_mode___1..3): its one ticked option's label gives the mode
    assert rows(tmp_path / "interviews.csv") == [
        {"interview_id": "S1-PT01-W1", "participant_id": "S1-PT01", "wave": "1", "date": "2021-11-09",
         "mode": "in_person", "duration_min": "75"},
        {"interview_id": "S1-PT02-W1", "participant_id": "S1-PT02", "wave": "1", "date": "2021-11-10",
         "mode": "telephone", "duration_min": "52"},
        {"interview_id": "S1-PT02-W2", "participant_id": "S1-PT02", "wave": "2", "date": "2022-09-12",
         "mode": "video", "duration_min": ""},
        {"interview_id": "S2-PT01-W1", "participant_id": "S2-PT01", "wave": "1", "date": "2022-01-10",
         "mode": "telephone", "duration_min": "43"},
        {"interview_id": "S2-PT01-W2", "participant_id": "S2-PT01", "wave": "2", "date": "2022-11-16",
         "mode": "telephone", "duration_min": "39"},
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interviews.csv", "participants.csv", "questionnaires.csv"]


def test_the_written_files_are_contract_csv(tmp_path):
    assert import_redcap(tmp_path) == 0
    text = (tmp_path / "questionnaires.csv").read_bytes()
    assert not text.startswith(b"\xef\xbb\xbf") and b"\r" not in text
    assert text.splitlines()[0] == (b"participant_id,wave,completed_date,ons_life_satisfaction,ons_worthwhile,"
                                    b"ons_happy,ons_anxious," + b",".join(b"gse_%02d" % i for i in range(1, 11)))


def test_unmapped_fields_and_form_status_columns_are_listed(tmp_path, capsys):
    assert import_redcap(tmp_path) == 0
    out = capsys.readouterr().out
    assert "Fields not in the mapping, not imported: consent_given (enrolment), contact_pref (enrolment), " \
           "wb_notes (wellbeing)" in out
    assert "Form status columns ignored: enrolment_complete, wellbeing_complete, interview_log_complete" in out
    assert "wb_intro" not in out  # a descriptive field holds no data


def test_values_that_break_the_dictionary_are_problems_naming_file_row_field_rule(tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert import_redcap(out_dir, FIXTURES / "records_out_of_range.csv") == 2
    out = capsys.readouterr().out
    expected = [
        "records_out_of_range.csv, line 2, column ons_satis: above the data dictionary maximum 10 (found '11')",
        "records_out_of_range.csv, line 2, column ref_date: below the data dictionary minimum 2019-11-01 (found '2019-01-05')",
        "records_out_of_range.csv, line 4, column age_grp: not one of the choices in the data dictionary (1, 2, 3, 4, 5); "
        "this looks like a label export: export the raw data (codes) (found '45-59')",
        "records_out_of_range.csv, line 5, column wb_date: must be a date written YYYY-MM-DD "
        "(data dictionary validation date_ymd) (found '2022-13-01')",
        "records_out_of_range.csv, line 6, column int_minutes: below the data dictionary minimum 1 (found '0')",
        "records_out_of_range.csv, line 6, column int_mode: several checkbox options are ticked but mode holds one value "
        "(found '1, 2')",
        "records_out_of_range.csv, line 7, column gse_4: not one of the choices in the data dictionary (1, 2, 3, 4) (found '5')",
    ]
    assert [line.strip() for line in out.splitlines() if line.startswith("  ")] == expected
    assert "7 problem(s); nothing was written" in out
    assert not out_dir.exists()


@pytest.mark.parametrize("change,message", [
    (lambda m: m["questionnaires"].pop("gse_07"), "questionnaires.gse_07: required mapping key is missing"),
    (lambda m: m.pop("participant_id"), "participant_id: required mapping key is missing"),
    (lambda m: m.pop("events"), "events: required mapping key is missing"),
    (lambda m: m["questionnaires"].update(ons_happy="ons_joy"),
     "questionnaires.ons_happy: REDCap field is not in the data dictionary (found 'ons_joy')"),
    (lambda m: m["participants"].update(gender={"field": "sex"}),
     "participants.gender: REDCap field is not in the data dictionary (found 'sex')"),
    (lambda m: m["questionnaires"].update(ons_happy="wb_intro"),
     "questionnaires.ons_happy: REDCap field is a descriptive field and holds no data"),
    (lambda m: m["events"].update(followup_arm_1=3), "events.followup_arm_1: wave must be 1 or 2 (found '3')"),
    (lambda m: m["participants"].update(gender=["gender"]), "participants.gender: must be a REDCap field name"),
    (lambda m: m["participants"].update(shoe_size="age_grp"),
     "participants.shoe_size: is not a column of participants.csv that this importer fills"),
    (lambda m: m.update(questionaires={}), "questionaires: unknown mapping key"),
    (lambda m: m.update(events=["baseline_arm_1"]), "events: must hold keys and values"),
    (lambda m: [m.pop(k) for k in ("participants", "questionnaires", "interviews")],
     "the mapping needs at least one of participants, questionnaires, interviews"),
])
def test_mapping_mistakes_exit_2_with_the_key(tmp_path, capsys, change, message):
    assert import_redcap(tmp_path / "out", RECORDS, DICTIONARY, mapping_with(tmp_path, change)) == 2
    out = capsys.readouterr().out
    assert "mapping.yml" in out and message in out
    assert not (tmp_path / "out").exists()


def test_a_code_missing_from_the_mappings_values_is_a_problem(tmp_path, capsys):
    mapping = mapping_with(tmp_path, lambda m: m["participants"]["gender"]["values"].pop(9))
    assert import_redcap(tmp_path / "out", RECORDS, DICTIONARY, mapping) == 2
    assert ("records_longitudinal.csv, line 4, column gender: value has no entry under participants.gender.values "
            "in the mapping (found '9')") in capsys.readouterr().out


def test_a_choice_label_that_is_no_contract_value_needs_values(tmp_path, capsys):
    mapping = mapping_with(tmp_path, lambda m: m["participants"].update(age_band="age_grp"))
    assert import_redcap(tmp_path / "out", RECORDS, DICTIONARY, mapping) == 2
    out = capsys.readouterr().out
    assert "line 6, column age_grp: choice 5 ('75 or over') is not one of 18-29, 30-44, 45-59, 60-74, 75+" in out
    assert "line 2, column age_grp" not in out  # '30-44' is a contract value as it stands


def test_events_not_mapped_to_a_wave_are_noted_and_give_attributes_only(tmp_path, capsys):
    text = RECORDS.read_text(encoding="utf-8-sig").replace("S1-PT01,followup_arm_1", "S1-PT01,month6_call_arm_1")
    records = tmp_path / "records.csv"
    records.write_text(text, encoding="utf-8")
    mapping = mapping_with(tmp_path, lambda m: m["events"].pop("followup_arm_1"))
    assert import_redcap(tmp_path / "out", records, DICTIONARY, mapping) == 0
    assert "Events not mapped to a wave (used for participant attributes only): followup_arm_1, month6_call_arm_1" \
        in capsys.readouterr().out
    assert {r["wave"] for r in rows(tmp_path / "out" / "questionnaires.csv")} == {"1"}


def test_a_project_without_events_takes_the_wave_from_the_mapping(tmp_path):
    frame = pd.read_csv(RECORDS, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = frame[frame["redcap_event_name"] == "baseline_arm_1"].drop(columns="redcap_event_name")
    frame.to_csv(tmp_path / "records.csv", index=False)

    def classic(m):
        m.pop("events")
        m.pop("interviews")
        m["questionnaires"]["wave"] = {"value": 1}
    assert import_redcap(tmp_path / "out", tmp_path / "records.csv", DICTIONARY, mapping_with(tmp_path, classic)) == 0
    found = rows(tmp_path / "out" / "questionnaires.csv")
    assert [(r["participant_id"], r["wave"], r["ons_happy"]) for r in found] == [
        ("S1-PT01", "1", "6"), ("S1-PT02", "1", "5"), ("S2-PT01", "1", "3")]


def test_without_events_or_a_wave_the_mapping_is_incomplete(tmp_path, capsys):
    frame = pd.read_csv(RECORDS, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.drop(columns="redcap_event_name").to_csv(tmp_path / "records.csv", index=False)
    assert import_redcap(tmp_path / "out", tmp_path / "records.csv") == 2
    assert "questionnaires.wave: required mapping key is missing (the export has no redcap_event_name column" \
        in capsys.readouterr().out


def test_two_rows_of_one_record_at_one_event_are_a_problem(tmp_path, capsys):
    lines = RECORDS.read_text(encoding="utf-8-sig").splitlines()
    (tmp_path / "records.csv").write_text("\n".join(lines + [lines[1]]) + "\n", encoding="utf-8")
    assert import_redcap(tmp_path / "out", tmp_path / "records.csv") == 2
    assert "records.csv, line 8, column redcap_event_name: S1-PT01 has a second questionnaires row for wave 1" \
        in capsys.readouterr().out


def test_attributes_that_differ_between_events_are_a_problem(tmp_path, capsys):
    text = RECORDS.read_text(encoding="utf-8-sig").replace("S2-PT01,followup_arm_1,site_2", "S2-PT01,followup_arm_1,site_1")
    (tmp_path / "records.csv").write_text(text, encoding="utf-8")
    assert import_redcap(tmp_path / "out", tmp_path / "records.csv") == 2
    assert ("records.csv, line 7, column redcap_data_access_group: differs from the value 'S2' in an earlier row "
            "of S2-PT01 (found 'S1')") in capsys.readouterr().out


@pytest.mark.parametrize("name,content,message", [
    ("records.csv", None, "records.csv: file does not exist"),
    ("records.csv", b"record_id,redcap_event_name\n\xff\xfe,baseline_arm_1\n", "records.csv: file is not UTF-8 text"),
    ("records.csv", b"", "records.csv: file is empty"),
    ("records.csv", b"record_id,redcap_event_name\nS1-PT01,baseline_arm_1,extra\n",
     "records.csv, line 2: row has 3 fields but the header has 2"),
    ("dictionary.csv", b"Variable / Field Name,Form Name,Field Type\nrecord_id,enrolment,text\n",
     "dictionary.csv, line 1, column choices, calculations, or slider labels: data dictionary column is missing"),
    ("mapping.yml", b"participant_id: [unclosed\n", "mapping.yml, line 2: mapping file is not valid YAML"),
    ("mapping.yml", b"- a list\n", "mapping.yml: mapping file must hold keys and values"),
])
def test_unreadable_inputs_exit_2_with_a_message(tmp_path, capsys, name, content, message):
    paths = {"records.csv": RECORDS, "dictionary.csv": DICTIONARY, "mapping.yml": MAPPING}
    paths[name] = tmp_path / name
    if content is not None:
        paths[name].write_bytes(content)
    assert import_redcap(tmp_path / "out", paths["records.csv"], paths["dictionary.csv"], paths["mapping.yml"]) == 2
    assert message in capsys.readouterr().out


def test_merge_fills_blanks_and_refuses_conflicts(tmp_path, capsys):
    existing = tmp_path / "participants.csv"
    existing.write_text("participant_id,site_id,group,role,age_band,gender,referral_date\n"
                        "S1-PT01,S1,patient,patient,,woman,\n"
                        "S9-PT09,S9,patient,patient,60-74,man,2021-01-04\n", encoding="utf-8")
    assert import_redcap(tmp_path, RECORDS, DICTIONARY, MAPPING, "--merge") == 0
    merged = rows(existing)
    assert [r["participant_id"] for r in merged] == ["S1-PT01", "S9-PT09", "S1-PT02", "S2-PT01"]
    assert merged[0] == {"participant_id": "S1-PT01", "site_id": "S1", "group": "patient", "role": "patient",
                         "age_band": "30-44", "gender": "woman", "referral_date": "2021-09-13"}
    before = existing.read_bytes()
    assert import_redcap(tmp_path, RECORDS, DICTIONARY, MAPPING, "--merge") == 0
    assert existing.read_bytes() == before  # merging the same export again changes nothing

    existing.write_text(before.decode().replace("S1-PT01,S1,patient,patient,30-44,woman",
                                                "S1-PT01,S1,patient,patient,30-44,man"), encoding="utf-8")
    questionnaires = (tmp_path / "questionnaires.csv").read_bytes()
    capsys.readouterr()
    assert import_redcap(tmp_path, RECORDS, DICTIONARY, MAPPING, "--merge") == 2
    assert ("participants.csv, line 2, column gender: already holds a different value; the import has 'woman' "
            "(found 'man')") in capsys.readouterr().out
    assert (tmp_path / "questionnaires.csv").read_bytes() == questionnaires  # all or nothing


def test_without_merge_the_tables_are_replaced(tmp_path):
    shutil.copy(RECORDS, tmp_path / "participants.csv")  # anything: it is overwritten
    assert import_redcap(tmp_path) == 0
    assert len(rows(tmp_path / "participants.csv")) == 3
