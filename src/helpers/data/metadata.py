"""`dataset.yml`: what a dataset is and the dates its checks depend on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from helpers.data.contract import DEFAULT_STUDY_END, DEFAULT_STUDY_START, METADATA
from helpers.data.parsing import parse_date
from helpers.data.plain_yaml import MAX_YAML_BYTES, plain_yaml_problems
from helpers.data.problems import Problem

FILE = "dataset.yml"


@dataclass(frozen=True)
class Metadata:
    name: str
    synthetic: bool
    gp_extract_end: dt.date
    study_start: dt.date
    study_end: dt.date
    gp_extract_start: dt.date
    seed: int | None = None
    description: str = ""


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, 28))


def read_metadata(directory: Path, today: dt.date) -> tuple[Metadata | None, list[Problem]]:
    path = directory / FILE
    if not path.is_file():
        return None, [Problem(FILE, None, None, "file is missing: a dataset needs dataset.yml with name, synthetic and gp_extract_end")]
    if path.stat().st_size > MAX_YAML_BYTES:
        return None, [Problem(FILE, None, None, f"file is larger than {MAX_YAML_BYTES} bytes: dataset.yml holds a "
                              "few keys (name, synthetic, dates)")]
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(FILE, None, None, "file is not UTF-8 text")]
    refused = plain_yaml_problems(FILE, text, "dataset.yml")
    if refused:
        return None, refused
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return None, [Problem(FILE, line, None, f"file is not valid YAML: {getattr(err, 'problem', err)}")]
    if not isinstance(content, dict):
        return None, [Problem(FILE, None, None, "must be a mapping of keys to values (name: ..., synthetic: ...)")]

    problems = [Problem(FILE, None, key, "required key is missing") for key, (_, required) in METADATA.items()
                if required and key not in content]
    problems += [Problem(FILE, None, str(key), f"unknown key (dataset.yml keys: {', '.join(METADATA)})")
                 for key in content if key not in METADATA]
    problems += [Problem(FILE, None, key, "must be text on one line or a paragraph, not a list or mapping")
                 for key in ("name", "description") if isinstance(content.get(key), (list, dict))]

    def date_of(key, default):
        raw = content.get(key, default)
        if raw is None:
            return None
        value = raw if isinstance(raw, dt.date) else parse_date(str(raw))
        if value is None:
            problems.append(Problem(FILE, None, key, "must be a real date written YYYY-MM-DD", raw))
        elif value > today:
            problems.append(Problem(FILE, None, key, f"date is in the future (today is {today})", raw))
        return value

    synthetic = content.get("synthetic")
    if "synthetic" in content and not isinstance(synthetic, bool):
        problems.append(Problem(FILE, None, "synthetic", "must be true or false", synthetic))
    seed = content.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        problems.append(Problem(FILE, None, "seed", "must be a whole number", seed))
    study_start = date_of("study_start", DEFAULT_STUDY_START)
    study_end = date_of("study_end", DEFAULT_STUDY_END)
    gp_end = date_of("gp_extract_end", None)
    gp_start = date_of("gp_extract_start", None) if "gp_extract_start" in content else (
        _months_before(study_start, 36) if study_start else None)
    if study_start and study_end and study_start > study_end:
        problems.append(Problem(FILE, None, "study_end", "must not be before study_start", str(study_end)))
    if gp_start and gp_end and gp_start > gp_end:
        problems.append(Problem(FILE, None, "gp_extract_end", "must not be before gp_extract_start", str(gp_end)))
    if problems:
        return None, problems
    return Metadata(
        name=str(content["name"]), synthetic=synthetic, gp_extract_end=gp_end,
        study_start=study_start, study_end=study_end, gp_extract_start=gp_start,
        seed=seed, description=str(content.get("description") or "").strip(),
    ), []
