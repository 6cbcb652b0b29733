"""Write the coded data of a dataset (codebook, segments, codings) as a REFI-QDA project.

The layout is chosen so that `linkbook import qdpx` without a mapping gives back the same
tables, byte for byte when they were written by the importer:

- Codes nest by parent_id; a code's name is the last part of its id, and its Description
  holds the lines "label: ...", "kind: ..." and "origin: ...".
- One TextSource per interview (outside interviews: per site, source kind, participant and
  wave), in the order the segments first appear. Its text, stored as sources/<guid>.txt (the
  folder name of REFI-QDA 1.0, section 8.1), is
  its segments' texts joined by blank lines; each segment is a PlainTextSelection named by
  its segment_id, at code point offsets, holding its codings.
- A coding's coder (codings.csv `coder`) is a User, with the coder id as its name and id,
  named by the Coding's creatingUser.
- Each TextSource carries the variables source, site_id, interview_id and wave; each
  participant is a Case named by its participant_id that holds their sources and, when the
  dataset has participants.csv, their attributes as variables.

Elements the schema (Project-mrt2019.xsd) requires to have children are left out when there is
nothing to put in them: no <Cases> without participants, no <Sources> without segments, no
<CodeBook> without codes. GUIDs are derived from the identifiers (UUID 5) and the archive has
fixed dates, so exporting the same data twice gives the same bytes.
"""

from __future__ import annotations

import os
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from helpers.data.contract import TABLE_BY_NAME
from helpers.data.cross_checks import codebook_depth_problems
from helpers.data.reading import read_text_table
from helpers.importers import ImportFailed
from helpers.importers.qdpx import MAX_CODE_DEPTH, code_part
from helpers.importers.refi import NS, PROJECT_FILE, SOURCES_FOLDER
from helpers.data.parsing import parse_table
from helpers.data.problems import Problem

_GUIDS = uuid.UUID("6f1d0c2e-5b7a-4e39-9a51-2c8e4b0d7f13")
SOURCE_VARIABLES = ("source", "site_id", "interview_id", "wave")
CASE_VARIABLES = ("site_id", "group", "role", "age_band", "gender", "referral_date")
_TYPES = {"wave": "Integer", "referral_date": "Date"}
_VALUE_TAG = {"Text": "TextValue", "Integer": "IntegerValue", "Date": "DateValue"}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def guid(kind: str, ident: str) -> str:
    return str(uuid.uuid5(_GUIDS, f"{kind}:{ident}"))


def export_qdpx(data, out) -> list[str]:
    """Write `out` from the dataset directory `data`; returns a summary line."""
    data, out = Path(data), Path(out)
    if not data.is_dir():
        raise ImportFailed([Problem(str(data), None, None, "dataset directory does not exist")])
    tables = _read(data)
    root, texts = _project(data.name, tables)
    ET.indent(root)
    files = {PROJECT_FILE: ET.tostring(root, encoding="utf-8", xml_declaration=True)}
    files.update({f"{SOURCES_FOLDER}/{name}": text.encode("utf-8") for name, text in texts.items()})
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        with zipfile.ZipFile(tmp, "w") as archive:
            for name, content in files.items():
                info = zipfile.ZipInfo(name, _ZIP_DATE)
                info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                archive.writestr(info, content)
        os.replace(tmp, out)
    except OSError as err:
        raise ImportFailed([Problem(str(out), None, None, f"cannot write the project: {err.strerror}")]) from None
    t = tables
    return [f"Wrote {out}: {len(t['codebook'])} codes, {len(texts)} text sources, {len(t['segments'])} selections, "
            f"{len(t['codings'])} codings."]


def _read(data: Path) -> dict:
    """The tables the export needs, as text; ImportFailed listing what stops the export."""
    tables, problems = {}, []
    for name in ("codebook", "segments", "codings", "participants"):
        path = data / TABLE_BY_NAME[name].file
        if name == "participants" and not path.is_file():
            continue
        text, found = read_text_table(path, TABLE_BY_NAME[name])
        problems += found
        if text is not None:
            problems += parse_table(text, TABLE_BY_NAME[name])[1]
            tables[name] = text
    if not problems:
        problems = _check(tables)
    if problems:
        raise ImportFailed(problems)
    return tables


def _check(t: dict) -> list[Problem]:
    """What the REFI-QDA layout needs: unique ids, nested code ids, codings that resolve."""
    problems = []
    codes, segments = t["codebook"], t["segments"]
    for name, column in (("codebook", "code_id"), ("segments", "segment_id")):
        repeated = t[name][column].duplicated()
        problems += [Problem(f"{name}.csv", line, column, "identifier appears more than once", value)
                     for line, value in t[name].loc[repeated, column].items()]
    known_codes = set(codes["code_id"])
    for line, row in codes.iterrows():
        leaf = row["code_id"][len(row["parent_id"]) + 1:] if row["parent_id"] else row["code_id"]
        nested = not row["parent_id"] or row["code_id"].startswith(row["parent_id"] + ".")
        if row["code_id"].count(".") >= MAX_CODE_DEPTH:
            problems.append(Problem("codebook.csv", line, "code_id", f"code is nested more than {MAX_CODE_DEPTH} levels "
                                    "deep, more than a REFI-QDA codebook from this project may hold", row["code_id"][:80]))
        elif not (nested and leaf and code_part(leaf) == leaf):
            problems.append(Problem("codebook.csv", line, "code_id", "must be its parent_id, a dot and one lower-case "
                                    "part (letters, digits, single _) to nest in a REFI-QDA codebook", row["code_id"]))
        elif row["parent_id"] and row["parent_id"] not in known_codes:
            problems.append(Problem("codebook.csv", line, "parent_id", "parent code does not exist", row["parent_id"]))
    known = {"segment_id": set(segments["segment_id"]), "code_id": set(codes["code_id"])}
    for line, row in t["codings"].iterrows():
        for column, file in (("segment_id", "segments.csv"), ("code_id", "codebook.csv")):
            if row[column] not in known[column]:
                problems.append(Problem("codings.csv", line, column, f"does not exist in {file}", row[column]))
    problems += [Problem("segments.csv", line, "text", "required value is blank")
                 for line, text in segments["text"].items() if not text]
    return problems + codebook_depth_problems(codes)


def _project(name: str, t: dict) -> tuple[ET.Element, dict[str, str]]:
    root = ET.Element("Project", {"xmlns": NS, "name": name, "origin": "linkbook"})
    coders = [c for c in dict.fromkeys(t["codings"].get("coder", [])) if c]
    if coders:
        users = ET.SubElement(root, "Users")
        for coder in coders:
            ET.SubElement(users, "User", {"guid": guid("user", coder), "name": coder, "id": coder})
    if len(t["codebook"]):
        _codebook(ET.SubElement(root, "CodeBook"), t["codebook"])
    variables = ET.SubElement(root, "Variables")
    for var in dict.fromkeys(SOURCE_VARIABLES + CASE_VARIABLES):
        ET.SubElement(variables, "Variable", {"guid": guid("variable", var), "name": var,
                                              "typeOfVariable": _TYPES.get(var, "Text")})
    cases = ET.SubElement(root, "Cases")
    sources = ET.SubElement(root, "Sources")
    groups: dict[tuple, list] = {}
    for row in t["segments"].to_dict("records"):
        groups.setdefault(tuple(row[c] for c in ("source", "interview_id", "site_id", "participant_id", "wave")), []).append(row)
    codings: dict[str, list] = {}
    for row in t["codings"].to_dict("records"):
        codings.setdefault(row["segment_id"], []).append((row["code_id"], row.get("coder", "")))
    texts, held = {}, {}
    for (kind, interview, site, person, wave), rows in groups.items():
        label = interview or " ".join(p for p in (site, kind, person, f"wave {wave}" if wave else "") if p)
        source_guid = guid("source", "|".join((kind, interview, site, person, wave)))
        source = ET.SubElement(sources, "TextSource", {"guid": source_guid, "name": label,
                                                       "plainTextPath": f"internal://{source_guid}.txt"})
        offset, parts = 0, []
        for row in rows:
            end = offset + len(row["text"])
            selection = ET.SubElement(source, "PlainTextSelection", {
                "guid": guid("segment", row["segment_id"]), "name": row["segment_id"],
                "startPosition": str(offset), "endPosition": str(end)})
            for code_id, coder in codings.get(row["segment_id"], []):
                key = "|".join((row["segment_id"], code_id, coder) if coder else (row["segment_id"], code_id))
                attrs = {"guid": guid("coding", key), **({"creatingUser": guid("user", coder)} if coder else {})}
                coding = ET.SubElement(selection, "Coding", attrs)
                ET.SubElement(coding, "CodeRef", {"targetGUID": guid("code", code_id)})
            parts.append(row["text"])
            offset = end + 2  # the blank line between segments
        _values(source, {"source": kind, "site_id": site, "interview_id": interview, "wave": wave})
        texts[f"{source_guid}.txt"] = "\n\n".join(parts)
        if person:
            held.setdefault(person, {"site_id": site}).setdefault("_sources", []).append(source_guid)
    people = {row["participant_id"]: row for row in t["participants"].to_dict("records")} if "participants" in t else {}
    for person in dict.fromkeys([*people, *held]):
        case = ET.SubElement(cases, "Case", {"guid": guid("case", person), "name": person})
        _values(case, {var: people.get(person, held.get(person, {})).get(var, "") for var in CASE_VARIABLES})
        for source_guid in held.get(person, {}).get("_sources", []):
            ET.SubElement(case, "SourceRef", {"targetGUID": source_guid})
    for empty in (cases, sources):
        if not len(empty):
            root.remove(empty)
    return root, texts


def _codebook(book: ET.Element, codes) -> None:
    parents = {"": ET.SubElement(book, "Codes")}
    pending = codes.to_dict("records")
    while pending:  # parents before children, codebook order otherwise
        ready = [row for row in pending if row["parent_id"] in parents]
        if not ready:
            break  # unreachable after _check: every parent exists and is a prefix of its children
        for row in ready:
            leaf = row["code_id"][len(row["parent_id"]) + 1:] if row["parent_id"] else row["code_id"]
            code = ET.SubElement(parents[row["parent_id"]], "Code", {"guid": guid("code", row["code_id"]), "name": leaf,
                                                                     "isCodable": "true"})
            ET.SubElement(code, "Description").text = "\n".join(f"{k}: {row[k]}" for k in ("label", "kind", "origin"))
            parents[row["code_id"]] = code
        pending = [row for row in pending if row not in ready]


def _values(parent: ET.Element, values: dict) -> None:
    for var, value in values.items():
        if value:
            item = ET.SubElement(parent, "VariableValue")
            ET.SubElement(item, "VariableRef", {"targetGUID": guid("variable", var)})
            ET.SubElement(item, _VALUE_TAG[_TYPES.get(var, "Text")]).text = value
