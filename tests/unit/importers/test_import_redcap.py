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
     "questionnaires.ons_happy: REDCap field is not in the data dictionary (did you mean ons_worth or ons_happy?) "
     "(found 'ons_joy')"),
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


# --- exports as the API writes them, repeating instruments, every validation type ---------------

def test_an_api_data_dictionary_gives_the_same_tables(tmp_path, capsys):
    """field_name, form_name, ... as PyCap and REDCapR download the metadata (no BOM, LF line ends)."""
    assert import_redcap(tmp_path / "web") == 0
    assert import_redcap(tmp_path / "api", RECORDS, FIXTURES / "dictionary_api.csv") == 0
    for name in ("participants.csv", "questionnaires.csv", "interviews.csv"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "web" / name).read_bytes(), name
    assert "Fields not in the mapping, not imported: consent_given (enrolment)" in capsys.readouterr().out


def test_a_dictionary_with_neither_layout_names_the_missing_columns(tmp_path, capsys):
    (tmp_path / "dictionary.csv").write_text("field_name,form_name,field_type\nrecord_id,enrolment,text\n", encoding="utf-8")
    assert import_redcap(tmp_path / "out", RECORDS, tmp_path / "dictionary.csv") == 2
    out = capsys.readouterr().out
    assert "dictionary.csv, line 1, column select_choices_or_calculations: data dictionary column is missing" in out
    assert "column text_validation_max: data dictionary column is missing" in out


REPEATING = FIXTURES / "records_repeating.csv"
REPEATING_MAPPING = ROOT / "data" / "mappings" / "redcap-repeating-example.yml"


def test_repeating_instruments_give_one_row_per_instance_as_waves(tmp_path):
    """The longitudinal fixture's data, exported from a project with repeating wellbeing and interview forms."""
    assert import_redcap(tmp_path, REPEATING, DICTIONARY, REPEATING_MAPPING) == 0
    assert [(r["participant_id"], r["wave"], r["completed_date"], r["ons_happy"], r["gse_03"])
            for r in rows(tmp_path / "questionnaires.csv")] == [
        ("S1-PT01", "1", "2021-11-09", "6", "2"), ("S1-PT02", "1", "2021-11-10", "5", ""),
        ("S1-PT02", "2", "2022-09-12", "7", "3"), ("S2-PT01", "1", "2022-01-10", "3", "2"),
        ("S2-PT01", "2", "2022-11-16", "4", "2")]
    assert [(r["interview_id"], r["mode"], r["duration_min"]) for r in rows(tmp_path / "interviews.csv")] == [
        ("S1-PT01-W1", "in_person", "75"), ("S1-PT02-W1", "telephone", "52"), ("S1-PT02-W2", "video", ""),
        ("S2-PT01-W1", "telephone", "43"), ("S2-PT01-W2", "telephone", "39")]
    assert [(r["participant_id"], r["age_band"], r["referral_date"]) for r in rows(tmp_path / "participants.csv")] == [
        ("S1-PT01", "30-44", "2021-09-13"), ("S1-PT02", "45-59", "2021-10-11"), ("S2-PT01", "75+", "2021-07-23")]


def test_repeat_instances_not_mapped_to_a_wave_are_noted(tmp_path, capsys):
    text = REPEATING.read_text(encoding="utf-8-sig")
    third = [line for line in text.splitlines() if line.startswith("S2-PT01,wellbeing,2,")][0].replace(",2,", ",3,", 1)
    (tmp_path / "records.csv").write_text(text + third + "\n", encoding="utf-8")
    assert import_redcap(tmp_path / "out", tmp_path / "records.csv", DICTIONARY, REPEATING_MAPPING) == 0
    assert "Repeat instances not mapped to a wave, not imported: 3" in capsys.readouterr().out
    assert len(rows(tmp_path / "out" / "questionnaires.csv")) == 5


def test_repeating_instruments_without_instances_name_the_right_columns(tmp_path, capsys):
    mapping = mapping_with(tmp_path, lambda m: m.pop("events"))
    assert import_redcap(tmp_path / "out", REPEATING, DICTIONARY, mapping) == 2
    out = capsys.readouterr().out
    assert ("questionnaires.wave: required mapping key is missing (the export has repeating instruments "
            "(redcap_repeat_instrument, redcap_repeat_instance) but no redcap_event_name column: map instance "
            "numbers to waves with instances: {1: 1, 2: 2}") in out


def test_two_instances_in_one_wave_are_a_problem_naming_the_instance(tmp_path, capsys):
    mapping = tmp_path / "m.yml"
    mapping.write_text(REPEATING_MAPPING.read_text(encoding="utf-8").replace("  2: 2\n", "  2: 1\n"), encoding="utf-8")
    assert import_redcap(tmp_path / "out", REPEATING, DICTIONARY, mapping) == 2
    assert ("records_repeating.csv, line 7, column redcap_repeat_instance: S1-PT02 has a second questionnaires row for "
            "wave 1 (redcap_repeat_instrument 'wellbeing', redcap_repeat_instance '2')") in capsys.readouterr().out


VALIDATION = (FIXTURES / "records_validation.csv", FIXTURES / "dictionary_validation.csv")


def test_every_validation_type_accepts_the_values_a_raw_export_writes():
    from helpers.importers.redcap import dictionary_rule, read_dictionary

    fields = read_dictionary(VALIDATION[1])
    records = pd.read_csv(VALIDATION[0], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    kinds = {f.validation for f in fields.values()}
    assert kinds >= {"time", "time_hh_mm_ss", "time_mm_ss", "date_ymd", "date_mdy", "date_dmy", "datetime_ymd",
                     "datetime_mdy", "datetime_dmy", "datetime_seconds_ymd", "datetime_seconds_mdy",
                     "datetime_seconds_dmy", "number", "number_comma_decimal", "integer", "email", "phone", "zipcode"}
    found = [(name, value, dictionary_rule(fields[name], value)) for row in records.to_dict("records")
             for name, value in row.items() if name in fields]
    assert [f for f in found if f[2]] == []
    assert len(found) == 2 * len(fields)


@pytest.mark.parametrize("field,value,rule", [
    ("t_time", "9:30", "must be a time written HH:MM"),
    ("t_time", "07:59", "below the data dictionary minimum 08:00"),
    ("t_hms", "09:30", "must be a time written HH:MM:SS"),
    ("t_hms", "24:00:00", "must be a time written HH:MM:SS"),
    ("t_hms", "18:00:01", "above the data dictionary maximum 18:00:00"),
    ("t_ms", "60:00", "must be minutes and seconds written MM:SS"),
    ("d_dmy", "09-11-2021", "must be a date written YYYY-MM-DD (data dictionary validation date_dmy)"),
    ("d_dmy", "2019-10-31", "below the data dictionary minimum 2019-11-01"),
    ("dts_dmy", "2021-11-09 14:05:61", "must be a date and time written YYYY-MM-DD HH:MM[:SS]"),
    ("n_comma", "3,5,1", "must be a number"),
    ("n_comma", "10,5", "above the data dictionary maximum 10"),
    ("i_int", "3.0", "must be a whole number"),
])
def test_values_a_validation_type_does_not_allow_are_refused(field, value, rule):
    from helpers.importers.redcap import dictionary_rule, read_dictionary

    assert dictionary_rule(read_dictionary(VALIDATION[1])[field], value).startswith(rule)


def test_mapped_fields_of_every_date_and_time_type_import(tmp_path, capsys):
    mapping = tmp_path / "m.yml"
    mapping.write_text("participant_id: record_id\n"
                       "participants: {site_id: {value: S1}, group: {value: patient}, role: {value: patient},"
                       " referral_date: d_dmy}\n"
                       "interviews: {date: dts_dmy, mode: {value: telephone}, duration_min: i_minutes, wave: {value: 1}}\n",
                       encoding="utf-8")
    assert import_redcap(tmp_path / "out", *VALIDATION, mapping) == 0
    assert [r["referral_date"] for r in rows(tmp_path / "out" / "participants.csv")] == ["2021-11-09", "2019-11-01"]
    assert [(r["date"], r["duration_min"]) for r in rows(tmp_path / "out" / "interviews.csv")] == [
        ("2021-11-09", "45"), ("2022-11-16", "300")]
    # 19 unmapped fields: summarised by form, not listed one by one
    note = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Fields not in the mapping"))
    assert note.startswith("Fields not in the mapping, not imported: 19 fields in 1 form (checks 19), among them "
                           "t_time, t_hms, t_ms, d_ymd, d_mdy, dt_ymd and 13 more")
    assert len(note) < 250


def test_dry_run_writes_nothing(tmp_path, capsys):
    assert import_redcap(tmp_path / "out", RECORDS, DICTIONARY, MAPPING, "--dry-run") == 0
    assert not (tmp_path / "out").exists()
    out = capsys.readouterr().out
    assert f"Would write {tmp_path / 'out' / 'questionnaires.csv'} (5 rows)" in out and "Dry run: nothing was written." in out


def test_a_field_name_with_a_typo_gets_the_close_matches(tmp_path, capsys):
    mapping = mapping_with(tmp_path, lambda m: m["questionnaires"].update(ons_worthwhile="ons_wroth", gse_02="gse2"))
    assert import_redcap(tmp_path / "out", RECORDS, DICTIONARY, mapping) == 2
    out = capsys.readouterr().out
    assert "questionnaires.ons_worthwhile: REDCap field is not in the data dictionary (did you mean ons_worth?)" in out
    assert "questionnaires.gse_02: REDCap field is not in the data dictionary (did you mean gse_2" in out
