"""Import a REDCap raw CSV export (records + data dictionary) through a YAML mapping.

The mapping (example: data/mappings/redcap.yml) says which REDCap field fills each contract
column of participants.csv, questionnaires.csv and (optionally) interviews.csv, which
`redcap_event_name` is which wave and, for repeating instruments or events (columns
`redcap_repeat_instrument`, `redcap_repeat_instance`), which instance is which wave. Every
value of a mapped field is checked against the data dictionary (choices, validation type, min
and max); fields that are not mapped are listed, never dropped silently. `<form>_complete`
status columns are ignored. The data dictionary may come from the web interface (columns
"Variable / Field Name", "Form Name", ...) or from the API, as PyCap and REDCapR download it
(field_name, form_name, ...).
"""

from __future__ import annotations

import csv
import difflib
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from helpers.data.contract import GSE_ITEMS, ONS_ITEMS, TABLE_BY_NAME
from helpers.importers import ImportFailed, read_utf8, short_list
from helpers.importers.mapping import Mapping
from helpers.importers.tables import contract_value, frame
from helpers.data.problems import Problem

EVENT = "redcap_event_name"
REPEAT_INSTRUMENT, REPEAT_INSTANCE = "redcap_repeat_instrument", "redcap_repeat_instance"
DICTIONARY_COLUMNS = {  # the web interface's headers (lower case)
    "name": "variable / field name",
    "form": "form name",
    "type": "field type",
    "choices": "choices, calculations, or slider labels",
    "validation": "text validation type or show slider number",
    "minimum": "text validation min",
    "maximum": "text validation max",
}
API_DICTIONARY_COLUMNS = {  # the API's metadata export (PyCap export_metadata, REDCapR redcap_metadata_read)
    "name": "field_name",
    "form": "form_name",
    "type": "field_type",
    "choices": "select_choices_or_calculations",
    "validation": "text_validation_type_or_show_slider_number",
    "minimum": "text_validation_min",
    "maximum": "text_validation_max",
}
# Sections of the mapping: the table, the columns the mapping must name, the columns it may name.
SECTIONS = {
    "participants": (("site_id", "group", "role"), ("age_band", "gender", "referral_date")),
    "questionnaires": (("completed_date", *ONS_ITEMS, *GSE_ITEMS), ("wave",)),
    "interviews": (("date", "mode"), ("interview_id", "duration_min", "wave")),
}
_CHOICE_TYPES = ("radio", "dropdown", "checkbox")
_FIXED_CHOICES = {"yesno": {"1": "Yes", "0": "No"}, "truefalse": {"1": "True", "0": "False"}}


@dataclass(frozen=True)
class Field:
    """One row of the data dictionary."""

    name: str
    form: str
    type: str
    choices: dict
    validation: str
    minimum: str
    maximum: str


@dataclass(frozen=True)
class FieldSource:
    """Where a contract column comes from: a field (with optional recoding) or a constant."""

    keys: tuple
    field: str | None = None
    values: dict | None = None
    constant: str | None = None


def import_redcap(records, dictionary, mapping) -> tuple[dict, list[str]]:
    """The contract tables the mapping asks for, and notes on what was not imported."""
    records, dictionary = Path(records), Path(dictionary)
    mapping = Mapping.load(mapping)
    fields = read_dictionary(dictionary)
    header, rows = _read_csv(records)
    plan = _Plan(mapping, fields, header)
    mapping.check()
    tables = plan.run(records.name, rows)
    return tables, plan.notes(rows)


def read_dictionary(path: Path) -> dict[str, Field]:
    """The fields of a data dictionary downloaded from the web interface or exported by the API."""
    header, rows = _read_csv(path)
    layouts = (DICTIONARY_COLUMNS, API_DICTIONARY_COLUMNS)
    missing = [[title for title in layout.values() if title not in header] for layout in layouts]
    columns = next((layout for layout, gaps in zip(layouts, missing) if not gaps), None)
    if columns is None:
        gaps = min(missing, key=len)
        raise ImportFailed([Problem(path.name, 1, title, "data dictionary column is missing (a data dictionary "
                                    "from Project Setup or from the API's metadata export is needed)") for title in gaps])
    fields, lines = {}, {}
    problems = []
    for line, row in rows:
        cell = {key: row[title] for key, title in columns.items()}
        name = cell["name"].lower()
        if name in lines:
            problems.append(Problem(path.name, line, columns["name"], f"field is listed twice (first on line {lines[name]})",
                                    cell["name"]))
            continue
        lines[name] = line
        kind = cell["type"].lower()
        choices = _FIXED_CHOICES.get(kind) or (_choices(cell["choices"]) if kind in _CHOICE_TYPES else {})
        fields[name] = Field(name, cell["form"], kind, choices, cell["validation"].lower(), cell["minimum"], cell["maximum"])
    if problems:
        raise ImportFailed(problems)
    return fields


def _choices(text: str) -> dict:
    """'1, Patient | 2, Link worker' as {'1': 'Patient', '2': 'Link worker'}."""
    pairs = (part.split(",", 1) for part in text.split("|") if part.strip())
    return {code.strip(): (label[0].strip() if label else "") for code, *label in pairs}


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header (lower-case) and (line, row) pairs of a CSV file; the header is line 1."""
    text = read_utf8(path, hint=" (export it again as CSV)")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems, rows, header = [], [], []
    start = 1  # the line the record being read starts on
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        seen: dict[str, int] = {}
        for number, name in enumerate(header, start=1):
            if name in seen:
                problems.append(Problem(path.name, 1, name, f"column appears twice in the header (columns {seen[name]} "
                                        f"and {number}): export the file again, or remove one copy"))
            seen.setdefault(name, number)
        start = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells) and len(cells) != len(header):
                problems.append(Problem(path.name, start, None, f"row has {len(cells)} fields but the header has {len(header)}"))
            elif any(c.strip() for c in cells):
                rows.append((start, dict(zip(header, (c.strip() for c in cells)))))
            start = reader.line_num + 1
    except csv.Error as err:
        what = "the header row" if not header else "this row"
        problems.append(Problem(path.name, start, None, f"{what} is not valid CSV ({err}): a stray quote (\") opens a "
                                "field that does not close; remove it or export the file again as CSV"))
        if not header:
            raise ImportFailed(problems) from None
    if not header:
        problems.append(Problem(path.name, None, None, "file is empty: it needs a header row"))
    if problems:
        raise ImportFailed(problems)
    return header, rows


class _Plan:
    """The mapping checked against the dictionary and the export, ready to apply row by row."""

    def __init__(self, mapping: Mapping, fields: dict[str, Field], header: list[str]):
        self.mapping, self.fields, self.header = mapping, fields, header
        self.longitudinal = EVENT in header
        self.repeating = REPEAT_INSTANCE in header
        mapping.only((), ("participant_id", "events", "instances", *SECTIONS))
        self.participant_id = self._source(("participant_id",), required=True)
        self.waves = self._waves("events") if self.longitudinal else {}
        self.instances = self._waves("instances") if mapping.get("instances") is not None else {}
        if mapping.get("instances") is not None and not self.repeating:
            mapping.problem(("instances",), f"the export has no {REPEAT_INSTANCE} column (no repeating instruments or "
                            "events): remove instances from the mapping")
        self.sections = {}
        for name, (required, optional) in SECTIONS.items():
            section = mapping.section(name)
            if section is None:
                continue
            for key in section:
                if key not in required + optional:
                    mapping.problem((name, key), f"is not a column of {name}.csv that this importer fills")
            sources = {c: self._source((name, c), required=c in required) for c in required + optional}
            self.sections[name] = {c: s for c, s in sources.items() if s is not None}
            if not self.longitudinal and not self.instances and name != "participants" \
                    and "wave" not in self.sections[name]:
                why = (f"the export has repeating instruments ({REPEAT_INSTRUMENT}, {REPEAT_INSTANCE}) but no "
                       f"{EVENT} column: map instance numbers to waves with instances: {{1: 1, 2: 2}}, or give "
                       "the wave from a field or a value") if self.repeating else (
                       f"the export has no {EVENT} column, so the wave must come from a field or a value")
                mapping.problem((name, "wave"), f"required mapping key is missing ({why})")
        if not self.sections:
            mapping.problem((), "the mapping needs at least one of participants, questionnaires, interviews")

    def _waves(self, key: str) -> dict[str, str]:
        """`events` (event name -> wave) or `instances` (repeat instance number -> wave) from the mapping."""
        given = self.mapping.section(key)
        if given is None:
            self.mapping.require(key)
            return {}
        waves = {}
        for item, wave in given.items():
            if str(wave) not in ("1", "2"):
                self.mapping.problem((key, item), "wave must be 1 or 2", wave)
            waves[str(item)] = str(wave)
        return waves

    def _source(self, keys: tuple, required: bool) -> FieldSource | None:
        raw = self.mapping.require(*keys) if required else self.mapping.get(*keys)
        if raw is None:
            return None
        if isinstance(raw, str):
            source = FieldSource(keys, field=raw.lower())
        elif isinstance(raw, dict) and set(raw) == {"value"}:
            return FieldSource(keys, constant=str(raw["value"]))
        elif isinstance(raw, dict) and "field" in raw and set(raw) <= {"field", "values"} \
                and isinstance(raw.get("values", {}), dict):
            values = raw.get("values")
            source = FieldSource(keys, field=str(raw["field"]).lower(),
                            values=None if values is None else {str(k): str(v) for k, v in values.items()})
        else:
            self.mapping.problem(keys, "must be a REDCap field name, {field: NAME, values: {CODE: VALUE}} "
                                 "or {value: CONSTANT}", raw)
            return None
        return source if self._field_exists(source) else None

    def _field_exists(self, source: FieldSource) -> bool:
        field = self.fields.get(source.field)
        rule = None
        if field is None:
            if source.field not in self.header:  # columns REDCap adds, e.g. redcap_data_access_group, are allowed
                close = difflib.get_close_matches(source.field, [*self.fields, *self.header], n=3, cutoff=0.6)
                rule = "REDCap field is not in the data dictionary" + (
                    " (did you mean " + " or ".join(dict.fromkeys(close)) + "?)" if close else "")
        elif field.type == "descriptive":
            rule = "REDCap field is a descriptive field and holds no data"
        elif field.type == "checkbox":
            if not self.checkbox_columns(field):
                rule = f"checkbox columns {field.name}___CODE are not in the records export"
        elif field.name not in self.header:
            rule = "REDCap field is in the data dictionary but not in the records export"
        if rule:
            self.mapping.problem(source.keys, rule, source.field)
        return rule is None

    def checkbox_columns(self, field: Field) -> dict[str, str]:
        """Checkbox column (`field___code`) of each choice code that the export has."""
        columns = {code: f"{field.name}___{code}".lower().replace("-", "_") for code in field.choices}
        return {code: column for code, column in columns.items() if column in self.header}

    def used_fields(self) -> set[str]:
        sources = [self.participant_id, *(s for section in self.sections.values() for s in section.values())]
        return {s.field for s in sources if s is not None and s.field}

    # --- applying the mapping ------------------------------------------------------------

    def run(self, file: str, rows) -> dict:
        problems: list[Problem] = []
        people: dict[str, dict] = {}
        by_wave: dict[str, dict] = {name: {} for name in ("questionnaires", "interviews")}
        for line, row in rows:
            cell = _Cells(self, file, line, row, problems)
            pid = cell.value(self.participant_id, TABLE_BY_NAME["participants"].column("participant_id"))
            if not pid:
                problems.append(Problem(file, line, self.participant_id.field, "record has no participant id"))
                continue
            person = people.setdefault(pid, {"participant_id": pid})
            for column, source in self.sections.get("participants", {}).items():
                value = cell.value(source, TABLE_BY_NAME["participants"].column(column))
                if value and person.get(column, value) != value:
                    problems.append(Problem(file, line, source.field or column,
                                            f"differs from the value {person[column]!r} in an earlier row of {pid}", value))
                elif value:
                    person[column] = value
            for name in by_wave:
                if name in self.sections:
                    self._wave_row(name, cell, pid, row, by_wave[name], problems)
        self._check_values(file, rows, problems)
        if problems:
            raise ImportFailed(problems)
        order = {pid: n for n, pid in enumerate(people)}
        tables = {}
        if "participants" in self.sections:
            tables["participants"] = frame("participants", list(people.values()))
        for name, found in by_wave.items():
            if name in self.sections:
                rows_ = sorted(found.values(), key=lambda r: (order[r["participant_id"]], r["wave"]))
                tables[name] = frame(name, rows_)
        return tables

    def _wave_row(self, name, cell, pid, row, found, problems) -> None:
        section = self.sections[name]
        table = TABLE_BY_NAME[name]
        instance = row.get(REPEAT_INSTANCE, "")
        values = {c: cell.value(s, table.column(c)) for c, s in section.items() if c != "wave"}
        if not any(values[c] for c, s in section.items() if s.field and c != "wave"):
            return  # no answers in this row
        if "wave" in section:
            wave = cell.value(section["wave"], table.column("wave"))
        elif instance and self.instances:
            wave = self.instances.get(instance)
        elif self.longitudinal:
            wave = self.waves.get(row.get(EVENT))
        else:
            problems.append(Problem(cell.file, cell.line, REPEAT_INSTANCE, f"this row has {name} answers but is not an "
                                    "instance of a repeating instrument, so instances gives it no wave: give "
                                    f"{name} a wave in the mapping"))
            return
        if not wave:
            return  # an event or instance that is not mapped to a wave
        values.update(participant_id=pid, wave=wave)
        if name == "interviews" and not values.get("interview_id"):
            values["interview_id"] = f"{pid}-W{wave}"
        if (pid, wave) in found:
            where = [f"{c} {row[c]!r}" for c in (EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE) if row.get(c)]
            hint = (f"map instance numbers to waves with instances: in the mapping" if instance and not self.instances
                    else "each participant has one row per wave")
            problems.append(Problem(cell.file, cell.line, REPEAT_INSTANCE if instance else EVENT,
                                    f"{pid} has a second {name} row for wave {wave} ({', '.join(where) or 'no event'}): "
                                    f"{hint}", instance or row.get(EVENT)))
        found[(pid, wave)] = values

    def _check_values(self, file, rows, problems) -> None:
        """Every value of every mapped field against the data dictionary."""
        for name in sorted(self.used_fields()):
            field = self.fields.get(name)
            if field is None:
                continue
            columns = self.checkbox_columns(field).values() if field.type == "checkbox" else [name]
            for line, row in rows:
                for column in columns:
                    value = row.get(column, "")
                    rule = value and dictionary_rule(field, value, checkbox=field.type == "checkbox")
                    if rule:
                        problems.append(Problem(file, line, column, rule, value))

    def notes(self, rows) -> list[str]:
        used = self.used_fields()
        status = [c for c in self.header if c.endswith("_complete")]
        unmapped = [f for f in self.fields.values()
                    if f.name not in used and f.type != "descriptive"
                    and (f.name in self.header or self.checkbox_columns(f))]
        known = {c for f in self.fields.values() for c in [f.name, *self.checkbox_columns(f).values()]}
        unknown = [c for c in self.header if c not in known | used and c not in status and not c.startswith("redcap_")]
        notes = []
        if unmapped:
            notes.append("Fields not in the mapping, not imported: " + _by_form(unmapped))
        if unknown:
            notes.append("Columns not in the data dictionary, not imported: " + short_list(unknown, 10))
        if status:
            notes.append("Form status columns ignored: " + short_list(status, 10))
        other = sorted({row.get(EVENT, "") for _, row in rows} - set(self.waves)) if self.longitudinal else []
        if other:
            notes.append("Events not mapped to a wave (used for participant attributes only): " + short_list(other, 10))
        if self.instances:
            left = sorted({row.get(REPEAT_INSTANCE, "") for _, row in rows} - set(self.instances) - {""}, key=_instance_order)
            if left:
                notes.append("Repeat instances not mapped to a wave, not imported: " + short_list(left, 10))
        return notes


def _by_form(fields: list[Field], limit: int = 10) -> str:
    """'a (form1), b (form1)' for a few fields; for many, how many in each form and the first few names."""
    if len(fields) <= limit:
        return ", ".join(f"{f.name} ({f.form})" for f in fields)
    forms: dict[str, int] = {}
    for f in fields:
        forms[f.form] = forms.get(f.form, 0) + 1
    counts = short_list((f"{form} {n}" for form, n in forms.items()), 8)
    return (f"{len(fields)} fields in {len(forms)} form{'s' if len(forms) > 1 else ''} ({counts}), among them "
            f"{short_list([f.name for f in fields], 6)} (the data dictionary lists them all)")


def _instance_order(text: str):
    return (0, int(text)) if text.isdigit() else (1, text)


class _Cells:
    """The mapped values of one records row, converted to contract values."""

    def __init__(self, plan: _Plan, file: str, line: int, row: dict, problems: list):
        self.plan, self.file, self.line, self.row, self.problems = plan, file, line, row, problems

    def value(self, source: FieldSource, column) -> str:
        if source.constant is not None:
            return contract_value(column, source.constant)
        field = self.plan.fields.get(source.field)
        code = self._code(source, field)
        if not code or (field is not None and field.choices and code not in field.choices):
            return ""  # a code the dictionary does not list is reported by the dictionary check
        if source.values is not None:
            if code in source.values:
                return contract_value(column, source.values[code])
            self._problem(source.field, f"value has no entry under {'.'.join(source.keys)}.values in the mapping", code)
            return ""
        if column.allowed and field is not None and code in field.choices:
            label = field.choices[code]
            allowed = [str(a) for a in column.allowed]
            for candidate in (code, label, label.lower(), re.sub(r"[^a-z0-9+\-]+", "_", label.lower()).strip("_")):
                if candidate in allowed:
                    return candidate
            self._problem(source.field, f"choice {code} ({label!r}) is not one of {', '.join(allowed)}: "
                          f"add {'.'.join(source.keys)}.values to the mapping", code)
            return ""
        return contract_value(column, code)

    def _code(self, source: FieldSource, field: Field | None) -> str:
        if field is None or field.type != "checkbox":
            return self.row.get(source.field, "")
        ticked = [code for code, column in self.plan.checkbox_columns(field).items() if self.row.get(column) == "1"]
        if len(ticked) > 1:
            self._problem(field.name, f"several checkbox options are ticked but {source.keys[-1]} holds one value",
                          ", ".join(ticked))
            return ""
        return ticked[0] if ticked else ""

    def _problem(self, column, rule, value):
        self.problems.append(Problem(self.file, self.line, column, rule, value))


def dictionary_rule(field: Field, value: str, checkbox: bool = False) -> str | None:
    """Why `value` breaks the data dictionary's rule for `field`, or None."""
    if checkbox:
        return None if value in ("0", "1") else "a checkbox column holds 0 or 1"
    if field.choices:
        if value in field.choices:
            return None
        hint = "; this looks like a label export: export the raw data (codes)" if value in field.choices.values() else ""
        return f"not one of the choices in the data dictionary ({', '.join(field.choices)}){hint}"
    kind = field.validation if field.type == "text" else {"slider": "integer", "calc": "number"}.get(field.type, "")
    parse, words = redcap_validation(kind)
    if parse is None:
        return None
    parsed = parse(value)
    if parsed is None:
        return f"must be {words} (data dictionary validation {kind})"
    low = parse(field.minimum) if field.minimum else (0 if field.type == "slider" else None)
    high = parse(field.maximum) if field.maximum else (100 if field.type == "slider" else None)
    if low is not None and parsed < low:
        return f"below the data dictionary minimum {field.minimum or low}"
    if high is not None and parsed > high:
        return f"above the data dictionary maximum {field.maximum or high}"
    return None


def _parser(pattern: str, convert):
    def parse(text: str):
        text = text.strip()
        match = re.fullmatch(pattern, text)
        if not match:
            return None
        try:
            return convert(match)
        except ValueError:
            return None
    return parse


def _clock(hours: bool, minutes: bool, seconds: bool):
    """Seconds since midnight of HH:MM, HH:MM:SS or MM:SS, checking each part's range."""
    def convert(match):
        parts = [int(p) for p in match.groups() if p is not None]
        h = parts.pop(0) if hours else 0
        m = parts.pop(0) if minutes else 0
        s = parts.pop(0) if seconds and parts else 0
        if h > 23 or m > 59 or s > 59:
            raise ValueError
        return h * 3600 + m * 60 + s
    return convert


def _number(match) -> float:
    return float(match.group(0).replace(",", "."))


_DATE = r"(\d{4}-\d{2}-\d{2})"
_DATE_TIME = _DATE + r" (\d{2}):(\d{2})(?::(\d{2}))?"
# A raw export writes dates and date-times as YYYY-MM-DD[ HH:MM[:SS]] whatever the entry order
# (ymd, mdy, dmy); comma-decimal numbers keep their comma. Types not listed (email, phone,
# zipcode, postal codes, alpha_only, mrn, ...) were checked by REDCap on entry and are taken as text.
_VALIDATIONS = {
    "integer": (_parser(r"[+-]?\d+", lambda m: int(m.group(0))), "a whole number"),
    "number": (_parser(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?", _number), "a number"),
    "date": (_parser(_DATE, lambda m: dt.date.fromisoformat(m.group(1))), "a date written YYYY-MM-DD"),
    "datetime": (_parser(_DATE_TIME, lambda m: dt.datetime.fromisoformat(
        f"{m.group(1)} {m.group(2)}:{m.group(3)}:{m.group(4) or '00'}")), "a date and time written YYYY-MM-DD HH:MM[:SS]"),
    "time": (_parser(r"(\d{2}):(\d{2})", _clock(True, True, False)), "a time written HH:MM"),
    "time_hh_mm_ss": (_parser(r"(\d{2}):(\d{2}):(\d{2})", _clock(True, True, True)), "a time written HH:MM:SS"),
    "time_mm_ss": (_parser(r"(\d{2}):(\d{2})", _clock(False, True, True)), "minutes and seconds written MM:SS"),
}
_LEGACY = {"int": "integer", "float": "number"}


def redcap_validation(kind: str):
    """The parser (None: any text) and a description of the values of a REDCap validation type."""
    kind = _LEGACY.get(kind, kind)
    if kind in _VALIDATIONS:
        return _VALIDATIONS[kind]
    for prefix in ("datetime", "date", "number"):  # date_dmy, datetime_seconds_mdy, number_2dp_comma_decimal, ...
        if kind.startswith(prefix + "_"):
            return _VALIDATIONS[prefix]
    return None, ""
