"""Import a REDCap raw CSV export (records + data dictionary) through a YAML mapping.

The mapping (example: data/mappings/redcap.yml) says which REDCap field fills each contract
column of participants.csv, questionnaires.csv and (optionally) interviews.csv, and which
`redcap_event_name` is which wave. Every value of a mapped field is checked against the data
dictionary (choices, validation type, min and max); fields that are not mapped are listed,
never dropped silently. `<form>_complete` status columns are ignored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from helpers.data.contract import GSE_ITEMS, ONS_ITEMS, TABLE_BY_NAME
from helpers.importers import ImportFailed, read_utf8
from helpers.importers.mapping import Mapping
from helpers.importers.tables import contract_value, frame
from helpers.data.problems import Problem

EVENT = "redcap_event_name"
DICTIONARY_COLUMNS = {
    "name": "variable / field name",
    "form": "form name",
    "type": "field type",
    "choices": "choices, calculations, or slider labels",
    "validation": "text validation type or show slider number",
    "minimum": "text validation min",
    "maximum": "text validation max",
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
    return plan.run(records.name, rows), plan.notes(rows)


def read_dictionary(path: Path) -> dict[str, Field]:
    header, rows = _read_csv(path)
    missing = [title for title in DICTIONARY_COLUMNS.values() if title not in header]
    if missing:
        raise ImportFailed([Problem(path.name, 1, title, "data dictionary column is missing") for title in missing])
    fields = {}
    for _, row in rows:
        cell = {key: row[title] for key, title in DICTIONARY_COLUMNS.items()}
        kind = cell["type"].lower()
        choices = _FIXED_CHOICES.get(kind) or (_choices(cell["choices"]) if kind in _CHOICE_TYPES else {})
        fields[cell["name"].lower()] = Field(cell["name"].lower(), cell["form"], kind, choices,
                                             cell["validation"].lower(), cell["minimum"], cell["maximum"])
    return fields


def _choices(text: str) -> dict:
    """'1, Patient | 2, Link worker' as {'1': 'Patient', '2': 'Link worker'}."""
    pairs = (part.split(",", 1) for part in text.split("|") if part.strip())
    return {code.strip(): (label[0].strip() if label else "") for code, *label in pairs}


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header (lower-case) and (line, row) pairs of a CSV file; the header is line 1."""
    text = read_utf8(path, hint=" (export it again as CSV)")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems, rows = [], []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problems.append(Problem(path.name, reader.line_num, None,
                                        f"row has {len(cells)} fields but the header has {len(header)}"))
                continue
            rows.append((reader.line_num, dict(zip(header, (c.strip() for c in cells)))))
    except csv.Error as err:
        problems.append(Problem(path.name, reader.line_num, None, f"file is not valid CSV: {err}"))
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
        mapping.only((), ("participant_id", "events", *SECTIONS))
        self.participant_id = self._source(("participant_id",), required=True)
        self.waves = self._events() if self.longitudinal else {}
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
            if not self.longitudinal and name != "participants" and "wave" not in self.sections[name]:
                mapping.problem((name, "wave"), "required mapping key is missing (the export has no redcap_event_name "
                                "column, so the wave must come from a field or a value)")
        if not self.sections:
            mapping.problem((), "the mapping needs at least one of participants, questionnaires, interviews")

    def _events(self) -> dict[str, str]:
        events = self.mapping.section("events")
        if events is None:
            self.mapping.require("events")
            return {}
        waves = {}
        for event, wave in events.items():
            if str(wave) not in ("1", "2"):
                self.mapping.problem(("events", event), "wave must be 1 or 2", wave)
            waves[str(event)] = str(wave)
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
                rule = "REDCap field is not in the data dictionary"
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
        wave = cell.value(section["wave"], table.column("wave")) if "wave" in section else self.waves.get(row.get(EVENT))
        if not wave:
            return  # an event that is not mapped to a wave
        values = {c: cell.value(s, table.column(c)) for c, s in section.items() if c != "wave"}
        if not any(values[c] for c, s in section.items() if s.field and c != "wave"):
            return  # no answers at this event
        values.update(participant_id=pid, wave=wave)
        if name == "interviews" and not values.get("interview_id"):
            values["interview_id"] = f"{pid}-W{wave}"
        if (pid, wave) in found:
            problems.append(Problem(cell.file, cell.line, EVENT, f"{pid} has a second {name} row for wave {wave} "
                                    "(repeating instruments are not supported)", row.get(EVENT)))
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
                    rule = value and _dictionary_rule(field, value, checkbox=field.type == "checkbox")
                    if rule:
                        problems.append(Problem(file, line, column, rule, value))

    def notes(self, rows) -> list[str]:
        used = self.used_fields()
        status = [c for c in self.header if c.endswith("_complete")]
        unmapped = [f"{f.name} ({f.form})" for f in self.fields.values()
                    if f.name not in used and f.type != "descriptive"
                    and (f.name in self.header or self.checkbox_columns(f))]
        known = {c for f in self.fields.values() for c in [f.name, *self.checkbox_columns(f).values()]}
        unknown = [c for c in self.header if c not in known | used and c not in status and not c.startswith("redcap_")]
        notes = []
        if unmapped:
            notes.append("Fields not in the mapping, not imported: " + ", ".join(unmapped))
        if unknown:
            notes.append("Columns not in the data dictionary, not imported: " + ", ".join(unknown))
        if status:
            notes.append("Form status columns ignored: " + ", ".join(status))
        other = sorted({row.get(EVENT, "") for _, row in rows} - set(self.waves)) if self.longitudinal else []
        if other:
            notes.append("Events not mapped to a wave (used for participant attributes only): " + ", ".join(other))
        return notes


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


def _dictionary_rule(field: Field, value: str, checkbox: bool = False) -> str | None:
    """Why `value` breaks the data dictionary's rule for `field`, or None."""
    if checkbox:
        return None if value in ("0", "1") else "a checkbox column holds 0 or 1"
    if field.choices:
        if value in field.choices:
            return None
        hint = "; this looks like a label export: export the raw data (codes)" if value in field.choices.values() else ""
        return f"not one of the choices in the data dictionary ({', '.join(field.choices)}){hint}"
    kind = field.validation if field.type == "text" else {"slider": "integer", "calc": "number"}.get(field.type, "")
    parse, words = next(((p, w) for prefix, (p, w) in _PARSERS.items() if kind.startswith(prefix)), (None, ""))
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
        text = text.strip().replace(",", ".") if convert is float else text.strip()
        if not re.fullmatch(pattern, text):
            return None
        try:
            return convert(text)
        except ValueError:
            return None
    return parse


# Validation types by prefix (raw exports write dates as YYYY-MM-DD whatever the entry format).
_PARSERS = {
    "integer": (_parser(r"[+-]?\d+", int), "a whole number"),
    "number": (_parser(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", float), "a number"),
    "date_": (_parser(r"\d{4}-\d{2}-\d{2}", dt.date.fromisoformat), "a date written YYYY-MM-DD"),
    "datetime": (_parser(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?", dt.datetime.fromisoformat),
                 "a date and time written YYYY-MM-DD HH:MM"),
    "time": (_parser(r"\d{2}:\d{2}", dt.time.fromisoformat), "a time written HH:MM"),
}
