"""Import a REFI-QDA project (.qdpx) into codebook.csv, segments.csv and codings.csv.

Conventions (the mapping file data/mappings/qdpx.yml documents its keys):

- Code ids: a code's name is normalised (accents dropped, lower case, every run of other
  characters turned into "_", "c_" put before a leading digit) and joined to its parents' ids
  with dots: "Holding" > "Waiting" gives holding.waiting.
- label, kind, origin: from lines "label: ...", "kind: ...", "origin: ..." in the code's
  Description (what `linkbook export qdpx` writes, and what a researcher can type in a code's
  description); otherwise the label is the code's name and kind and origin come from the
  mapping (codebook.kinds / codebook.origins by code id or parent id, else default_kind /
  default_origin).
- Segments: one per PlainTextSelection of a TextSource. startPosition and endPosition count
  Unicode code points (Python string positions) in the source's plain text: the UTF-8 file in
  the archive as stored (a leading BOM is not part of the text; a CRLF line end counts as two
  characters), or the PlainTextContent element as the XML parser returns it (XML turns a raw
  CRLF into LF; an escaped &#13; stays). `line_endings: lf` (count a CRLF as one) or `crlf`
  in the mapping adapt to tools that count otherwise. The segment text is the selected text
  with white space removed at both ends and line breaks written as \\n; selections that hold
  no text are skipped with a note.
- segment_id: the selections' names if every name is a valid, unique identifier, else their
  GUIDs (lower case, without braces).
- Segment columns come from source variables, the source name, the cases that hold the source
  or selection (their name or variables) or a fixed value; participants.csv and sites.csv
  rows come from cases, when the mapping asks for them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from helpers.data.contract import ID_PATTERN, TABLE_BY_NAME
from helpers.importers import ImportFailed
from helpers.importers.mapping import Mapping
from helpers.importers import refi
from helpers.importers.refi import NS, PROJECT_FILE, Archive, Node, normal_guid, parse_xml
from helpers.importers.tables import contract_value, frame
from helpers.data.problems import Problem

DEFAULT_SEGMENT_COLUMNS = {
    "source": ["source variable source", "value interview"],
    "interview_id": ["source variable interview_id"],
    "site_id": ["source variable site_id", "case variable site_id"],
    "participant_id": ["source variable participant_id", "case name"],
    "wave": ["source variable wave"],
}
CASE_TABLES = {"participants": "participant_id", "sites": "site_id"}
LINE_ENDINGS = ("as_stored", "lf", "crlf")
_LOOKUP = re.compile(r"(?:(source|case) (name)|(source|case) variable (.+)|(value) (.*))")
_DESCRIPTION_KEY = re.compile(r"^[ \t]*(label|kind|origin)[ \t]*:[ \t]*(.*?)[ \t]*$", re.I | re.M)
_VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")
_OTHER_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")
_NOT_IMPORTED = ("Notes", "Links", "Sets", "Graphs")


def code_part(name: str) -> str:
    """A code name as one part of a dotted code id: 'Fitting in (2)' -> 'fitting_in_2'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return f"c_{text}" if text[:1].isdigit() else text


@dataclass
class Code:
    guid: str
    code_id: str
    parent_id: str
    name: str
    description: str
    line: int


@dataclass
class Selection:
    guid: str
    name: str
    start: int
    end: int
    codes: list
    node: Node


@dataclass
class QdaSource:
    guid: str
    name: str
    text: str | None
    variables: dict
    selections: list


@dataclass
class Case:
    guid: str
    name: str
    variables: dict
    refs: set


def import_qdpx(project, mapping=None) -> tuple[dict, list[str]]:
    """The contract tables read from a .qdpx file, and notes on what was not imported."""
    settings = _Settings(Mapping.load(mapping) if mapping else Mapping("default mapping", {}))
    with Archive(Path(project)) as archive:
        label = f"{archive.name}/{PROJECT_FILE}"
        content = _Project(archive, parse_xml(archive.project(), label), label, settings.line_endings)
    if content.problems:
        raise ImportFailed(content.problems)
    return _Tables(settings, content).build()


class _Settings:
    """The mapping, checked: code kinds and origins, segment columns, case tables."""

    def __init__(self, mapping: Mapping):
        self.mapping = m = mapping
        m.only((), ("line_endings", "codebook", "segments", *CASE_TABLES))
        m.only(("codebook",), ("default_kind", "default_origin", "kinds", "origins"))
        m.only(("segments",), ("columns", "recode"))
        self.line_endings = m.get("line_endings", default="as_stored")
        if self.line_endings not in LINE_ENDINGS:
            m.problem(("line_endings",), f"must be one of {', '.join(LINE_ENDINGS)}", self.line_endings)
        codebook = TABLE_BY_NAME["codebook"]
        self.defaults, self.by_prefix = {}, {}
        for attr, default in (("kind", "concept"), ("origin", "evaluation")):
            allowed = codebook.column(attr).allowed
            self.defaults[attr] = m.get("codebook", f"default_{attr}", default=default)
            if self.defaults[attr] not in allowed:
                m.problem(("codebook", f"default_{attr}"), f"must be one of {', '.join(allowed)}", self.defaults[attr])
            self.by_prefix[attr] = {str(k): v for k, v in (m.section("codebook", f"{attr}s") or {}).items()}
            for prefix, value in self.by_prefix[attr].items():
                if value not in allowed:
                    m.problem(("codebook", f"{attr}s", prefix), f"must be one of {', '.join(allowed)}", value)
        columns = {**DEFAULT_SEGMENT_COLUMNS, **(m.section("segments", "columns") or {})}
        self.segments = self._columns(("segments",), "segments", columns, allow_source=True)
        self.recode = {"segments": self._recode(("segments",), "segments")}
        self.case_tables, self.selectors = {}, {}
        for name, key in CASE_TABLES.items():
            if m.section(name) is None:
                continue
            m.only((name,), ("cases", "columns", "recode"))
            columns = m.section(name, "columns") or {}
            if key not in columns:
                m.problem((name, "columns", key), "required mapping key is missing")
            self.case_tables[name] = self._columns((name,), name, columns, allow_source=False)
            self.recode[name] = self._recode((name,), name)
            self.selectors[name] = self._selector(name)
        m.check()

    def _columns(self, keys, table_name, columns: dict, allow_source: bool) -> dict:
        table = TABLE_BY_NAME[table_name]
        parsed = {}
        for column, spec in columns.items():
            where = (*keys, "columns", column)
            if column not in table.column_names or (table_name == "segments" and column in ("segment_id", "text")):
                self.mapping.problem(where, f"is not a column of {table.file} that the mapping can fill")
                continue
            specs = spec if isinstance(spec, list) else [spec]
            lookups = []
            for item in specs:
                match = _LOOKUP.fullmatch(str(item).strip())
                if not match or (not allow_source and "source" in (match.group(1), match.group(3))):
                    kinds = "source name, source variable NAME, " if allow_source else ""
                    self.mapping.problem(where, f"must be {kinds}case name, case variable NAME or value TEXT "
                                         "(or a list of them, tried in order)", item)
                    continue
                if match.group(1):
                    lookups.append((match.group(1), "name", None))
                elif match.group(3):
                    lookups.append((match.group(3), "variable", match.group(4).strip()))
                else:
                    lookups.append(("value", "value", match.group(6)))
            parsed[column] = lookups
        return parsed

    def _recode(self, keys, table_name) -> dict:
        recode = self.mapping.section(*keys, "recode") or {}
        for column, values in recode.items():
            if column not in TABLE_BY_NAME[table_name].column_names:
                self.mapping.problem((*keys, "recode", column), f"is not a column of {table_name}.csv")
            elif not isinstance(values, dict):
                self.mapping.problem((*keys, "recode", column), "must map values found to contract values", values)
        return {c: {str(k): str(v) for k, v in v.items()} for c, v in recode.items() if isinstance(v, dict)}

    def _selector(self, name: str):
        rule = self.mapping.section(name, "cases")
        if rule is None:
            return lambda case: True
        if set(rule) == {"name_matches"}:
            try:
                pattern = re.compile(str(rule["name_matches"]))
            except re.error as err:
                self.mapping.problem((name, "cases", "name_matches"), f"is not a regular expression: {err}", rule["name_matches"])
                return None
            return lambda case: bool(pattern.search(case.name))
        if set(rule) == {"variable", "equals"}:
            return lambda case: case.variables.get(str(rule["variable"])) == str(rule["equals"])
        self.mapping.problem((name, "cases"), "must be {variable: NAME, equals: VALUE} or {name_matches: REGEX}", rule)
        return None

    def variables_used(self) -> set[str]:
        tables = [self.segments, *self.case_tables.values()]
        used = {arg for t in tables for lookups in t.values() for _, what, arg in lookups if what == "variable"}
        used |= {str(self.mapping.get(name, "cases", "variable")) for name in self.case_tables
                 if self.mapping.get(name, "cases", "variable") is not None}
        return used


class _Project:
    """The parts of project.qde the importer uses, and the problems found reading them."""

    def __init__(self, archive: Archive, root: Node, label: str, line_endings: str):
        self.archive, self.label, self.line_endings = archive, label, line_endings
        self.problems: list[Problem] = []
        if root.tag != "Project":
            self.fail(root, f"the root element must be Project in the namespace {NS}")
            return
        self.variables = self._variables(root.first("Variables"))
        self.codes = self._codes(root.first("CodeBook"))
        self.cases = [self._case(node) for node in _children(root, "Cases", "Case")]
        sources = _children(root, "Sources")
        self.sources = [self._source(node) for node in sources if node.tag == "TextSource"]
        self.other_sources = [node.tag for node in sources if node.tag in _OTHER_SOURCES]
        self.whole_source_codings = sum(len(node.all("Coding")) for node in sources)
        self.not_imported = [tag for tag in _NOT_IMPORTED if root.first(tag) is not None and root.first(tag).children]

    def fail(self, node: Node, rule: str, value=None) -> None:
        self.problems.append(Problem(self.label, node.line, None, f"{node.describe()}: {rule}", value))

    def _guid(self, node: Node, attr: str = "guid") -> str | None:
        raw = node.attrs.get(attr)
        guid = normal_guid(raw)
        if guid is None:
            self.fail(node, f"attribute {attr} is missing" if raw is None else f"attribute {attr} is not a GUID", raw)
        return guid

    def _variables(self, node: Node | None) -> dict[str, str]:
        variables = {}
        for var in node.all("Variable") if node is not None else []:
            guid, name = self._guid(var), var.attrs.get("name")
            if name is None:
                self.fail(var, "attribute name is missing")
            elif guid:
                variables[guid] = name.strip()
        return variables

    def _values(self, node: Node) -> dict[str, str]:
        values = {}
        for item in node.all("VariableValue"):
            ref = item.first("VariableRef")
            if ref is None:
                self.fail(item, "a VariableValue must hold a VariableRef")
                continue
            guid = self._guid(ref, "targetGUID")
            if guid and guid not in self.variables:
                self.fail(ref, "refers to a variable that is not in <Variables>", ref.attrs.get("targetGUID"))
            elif guid:
                value = next((c for c in item.children if c.tag in _VALUE_TAGS), None)
                values[self.variables[guid]] = value.text.strip() if value is not None else ""
        return values

    def _codes(self, book: Node | None) -> dict[str, Code]:
        codes: dict[str, Code] = {}
        if book is not None and book.first("Codes") is None:
            self.fail(book, "a CodeBook must hold a Codes element")
        ids = {}

        def walk(node: Node, parent: Code | None):
            for child in node.all("Code"):
                guid, name = self._guid(child), child.attrs.get("name")
                if name is None:
                    self.fail(child, "attribute name is missing")
                part = code_part(name or "") or f"code_{(guid or '')[:8]}"
                code_id = f"{parent.code_id}.{part}" if parent else part
                if code_id in ids:
                    self.fail(child, f"gives the code id {code_id}, as does the code on line {ids[code_id]}: rename one")
                elif guid in codes:
                    self.fail(child, "has the same guid as another code", child.attrs.get("guid"))
                elif guid and name is not None:
                    description = child.first("Description")
                    codes[guid] = Code(guid, code_id, parent.code_id if parent else "", name.strip(),
                                       description.text if description is not None else "", child.line)
                ids.setdefault(code_id, child.line)
                walk(child, codes.get(guid) or Code("", code_id, "", "", "", 0))

        if book is not None and book.first("Codes") is not None:
            walk(book.first("Codes"), None)
        return codes

    def _case(self, node: Node) -> Case:
        refs = {self._guid(ref, "targetGUID") for tag in ("SourceRef", "SelectionRef") for ref in node.all(tag)}
        return Case(self._guid(node), (node.attrs.get("name") or "").strip(), self._values(node), refs - {None})

    def _source(self, node: Node) -> QdaSource:
        text = self._text(node)
        selections = [s for s in (self._selection(sel, text) for sel in node.all("PlainTextSelection")) if s]
        return QdaSource(self._guid(node), (node.attrs.get("name") or "").strip(), text, self._values(node), selections)

    def _text(self, node: Node) -> str | None:
        content, path = node.first("PlainTextContent"), node.attrs.get("plainTextPath")
        if content is not None:
            text = content.text
        elif path is None:
            self.fail(node, "a TextSource needs a PlainTextContent element or a plainTextPath attribute")
            return None
        elif not path.lower().startswith("internal://"):
            self.fail(node, "the source text is outside the archive: export the project with its sources included", path)
            return None
        else:
            info = self.archive.find(path[len("internal://"):])
            if info is None:
                self.fail(node, "plainTextPath names a file that is not in the archive", path)
                return None
            try:
                text = self.archive.read(info, refi.MAX_SOURCE_BYTES).decode("utf-8-sig")
            except UnicodeDecodeError:
                self.fail(node, f"source file {info.filename} is not UTF-8 text")
                return None
        if self.line_endings == "lf":
            return text.replace("\r\n", "\n")
        if self.line_endings == "crlf":
            return text.replace("\r\n", "\n").replace("\n", "\r\n")
        return text

    def _selection(self, node: Node, text: str | None) -> Selection | None:
        guid = self._guid(node)
        start, end = (self._position(node, attr) for attr in ("startPosition", "endPosition"))
        codes = []
        for coding in node.all("Coding"):
            ref = coding.first("CodeRef")
            target = self._guid(ref, "targetGUID") if ref is not None else None
            if ref is None:
                self.fail(coding, "a Coding must hold a CodeRef")
            elif target and target not in self.codes:
                self.fail(ref, "refers to a code that is not in the CodeBook", ref.attrs.get("targetGUID"))
            elif target and target not in codes:
                codes.append(target)
        if None in (guid, start, end, text):
            return None
        if end < start:
            self.fail(node, f"endPosition {end} is before startPosition {start}")
        elif end > len(text):
            self.fail(node, f"endPosition {end} is beyond the end of the source text ({len(text)} characters)")
        else:
            return Selection(guid, (node.attrs.get("name") or "").strip(), start, end, codes, node)
        return None

    def _position(self, node: Node, attr: str) -> int | None:
        raw = node.attrs.get(attr)
        if raw is None or not re.fullmatch(r"\s*\d+\s*", raw, re.ASCII):
            self.fail(node, f"attribute {attr} is missing" if raw is None else f"attribute {attr} must be a whole number "
                      "of characters from 0", raw)
            return None
        return int(raw)


def _children(root: Node, tag: str, child: str | None = None) -> list[Node]:
    node = root.first(tag)
    if node is None:
        return []
    return node.all(child) if child else node.children


class _Tables:
    """Contract tables from a read project, following the settings."""

    def __init__(self, settings: _Settings, content: _Project):
        self.settings, self.content = settings, content
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        participants = settings.selectors.get("participants")
        self.person_cases = [c for c in content.cases if participants is None or participants(c)]

    def build(self) -> tuple[dict, list[str]]:
        codes = self.content.codes
        tables = {"codebook": frame("codebook", [self._code_row(code) for code in codes.values()])}
        segments, codings = self._segments()
        tables["segments"] = frame("segments", segments)
        tables["codings"] = frame("codings", codings)
        for name, columns in self.settings.case_tables.items():
            cases = [c for c in self.content.cases if self.settings.selectors[name](c)]
            tables[name] = frame(name, [self._case_row(name, columns, case) for case in cases])
        if self.problems:
            raise ImportFailed(self.problems)
        return tables, self._notes(tables)

    def _code_row(self, code: Code) -> dict:
        given = {key.lower(): value for key, value in _DESCRIPTION_KEY.findall(code.description)}
        row = {"code_id": code.code_id, "parent_id": code.parent_id, "label": given.get("label") or code.name}
        for attr in ("kind", "origin"):
            prefixes = self.settings.by_prefix[attr]
            match = max((p for p in prefixes if code.code_id == p or code.code_id.startswith(p + ".")), key=len, default=None)
            row[attr] = given.get(attr, "").lower() or (prefixes[match] if match else self.settings.defaults[attr])
            allowed = TABLE_BY_NAME["codebook"].column(attr).allowed
            if row[attr] not in allowed:
                self.problems.append(Problem(self.content.label, code.line, None, f"<Code name={code.name!r}>: the "
                                             f"description's {attr} line must be one of {', '.join(allowed)}", row[attr]))
        return row

    def _segments(self) -> tuple[list[dict], list[dict]]:
        kept = []
        for source in self.content.sources:
            for selection in sorted(source.selections, key=lambda s: (s.start, s.end)):
                text = source.text[selection.start:selection.end].replace("\r\n", "\n").replace("\r", "\n").strip()
                if text:
                    kept.append((source, selection, text))
                else:
                    self.notes.append(f"Skipped a selection that holds no text: {selection.node.describe()} "
                                      f"(line {selection.node.line}) in source {source.name!r}")
        names = [selection.name for _, selection, _ in kept]
        use_names = len(set(names)) == len(names) and all(re.fullmatch(ID_PATTERN, n) for n in names)
        self.notes.append("segment_id: " + ("the selections' names" if use_names else "the selections' GUIDs "
                                            "(their names are not all unique identifiers)"))
        segments, codings = [], []
        for source, selection, text in kept:
            segment_id = selection.name if use_names else selection.guid
            row = {"segment_id": segment_id, "text": text}
            for column, lookups in self.settings.segments.items():
                row[column] = self._segment_value(column, lookups, source, selection)
            segments.append(row)
            codings += [{"segment_id": segment_id, "code_id": self.content.codes[g].code_id} for g in selection.codes]
        return segments, codings

    def _segment_value(self, column, lookups, source: QdaSource, selection: Selection) -> str:
        cases = [c for c in self.content.cases if source.guid in c.refs or selection.guid in c.refs]
        for where, what, arg in lookups:
            if where == "value":
                value = arg
            elif where == "source":
                value = source.name if what == "name" else source.variables.get(arg, "")
            else:
                pool = self.person_cases if what == "name" else cases
                found = sorted({c.name if what == "name" else c.variables.get(arg, "") for c in pool if c in cases} - {""})
                if len(found) > 1:
                    self.problems.append(Problem(self.content.label, selection.node.line, None,
                                                 f"{selection.node.describe()}: belongs to several cases that give "
                                                 f"different {column} values", ", ".join(found)))
                value = found[0] if found else ""
            if value:
                return self._contract("segments", column, value)
        return ""

    def _case_row(self, name: str, columns: dict, case: Case) -> dict:
        row = {}
        for column, lookups in columns.items():
            values = (arg if what == "value" else case.name if what == "name" else case.variables.get(arg, "")
                      for _, what, arg in lookups)
            row[column] = self._contract(name, column, next((v for v in values if v), ""))
        return row

    def _contract(self, table: str, column: str, value: str) -> str:
        value = self.settings.recode.get(table, {}).get(column, {}).get(value.strip(), value)
        return contract_value(TABLE_BY_NAME[table].column(column), value)

    def _notes(self, tables: dict) -> list[str]:
        content = self.content
        selections = sum(len(s.selections) for s in content.sources)
        notes = [f"Read {len(content.codes)} codes, {len(content.sources)} text sources with {selections} selections, "
                 f"{len(content.cases)} cases."] + self.notes
        if content.other_sources:
            notes.append(f"Not imported (only text sources are): {len(content.other_sources)} "
                         f"{', '.join(sorted(set(content.other_sources)))} source(s)")
        if content.whole_source_codings:
            notes.append(f"Not imported: {content.whole_source_codings} coding(s) of whole sources (code a selection instead)")
        unused = sorted(set(content.variables.values()) - self.settings.variables_used())
        if unused:
            notes.append("Variables not in the mapping, not imported: " + ", ".join(unused))
        if content.not_imported:
            notes.append("Project parts not imported: " + ", ".join(content.not_imported))
        return notes
