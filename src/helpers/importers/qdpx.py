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
- Segments: one per span of a TextSource that is coded: selections of one source with the
  same start and end (NVivo writes one selection per code) are merged into one segment that
  holds all their codings. Positions are read in the way of counting that fits the project
  (`helpers.importers.offsets`: Unicode code points as the standard says, UTF-16 code units as
  NVivo for Windows writes them, or a CRLF counted as one character as ATLAS.ti does); the
  mapping can fix it (`offsets`, `line_endings`). The text is the source's plain text: the
  file in the archive (a leading BOM is not part of it) or the PlainTextContent element as
  the XML parser returns it (XML turns a raw CRLF into LF; an escaped &#13; stays). The
  segment text is the selected text with white space removed at both ends and line breaks
  written as \\n; selections that hold no text are skipped with a note.
- A Coding whose CodeRef names a Case (NVivo's "code to case") makes the case hold the
  selected text and every segment inside it: case membership, not a code.
- segment_id: the selections' names if every name is a valid, unique identifier, else their
  GUIDs (lower case, without braces).
- coder: the User named by a Coding's creatingUser (else its selection's). Coders are the
  Users' id attributes when every coding user has a unique identifier there (what
  `linkbook export qdpx` writes), else C1, C2, ... in the order of <Users>; user names are
  never imported (they are the researchers' names), the notes say which user became which
  coder.
- Segment columns come from source variables, the source name, the cases that hold the source
  or selection (their name or variables) or a fixed value; participants.csv and sites.csv
  rows come from cases, when the mapping asks for them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from helpers.data.contract import ID_PATTERN, TABLE_BY_NAME
from helpers.importers import ImportFailed, short_list
from helpers.importers.mapping import Mapping
from helpers.importers import offsets, refi
from helpers.importers.refi import NS, Archive, Node, normal_guid
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
LINE_ENDINGS = ("auto", *offsets.LINE_ENDS)
OFFSETS = ("auto", *offsets.UNITS)
MAX_CODE_DEPTH = 64
_LOOKUP = re.compile(r"(?:(source|case) (name)|(source|case) variable (.+)|(value) (.*))")
_DESCRIPTION_KEY = re.compile(r"^[ \t]*(label|kind|origin)[ \t]*:[ \t]*(.*?)[ \t]*$", re.I | re.M)
# CRLF, CR, and the vertical tab and form feed that word processors write for manual line and page breaks.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c]")
_VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")
_OTHER_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")
_NOT_IMPORTED = ("Notes", "Links", "Sets", "Graphs")
# The elements the importer reads; everything else is counted by the parser and dropped.
_READ = frozenset({"Project", "Users", "User", "CodeBook", "Codes", "Code", "Description", "Variables", "Variable", "Cases", "Case",
                   "CodeRef", "VariableValue", "VariableRef", *_VALUE_TAGS, "SourceRef", "SelectionRef", "Sources",
                   "TextSource", "PlainTextContent", "PlainTextSelection", "Coding", *_OTHER_SOURCES,
                   *_NOT_IMPORTED, "Note", "Link", "Set", "Graph"})


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
    """A PlainTextSelection: raw positions as written, string indices once the counting is chosen."""

    guid: str
    name: str
    raw_start: int
    raw_end: int
    codes: list
    codings: list  # (code guid, user guid or None), once each
    cases: list
    node: Node
    start: int = 0
    end: int = 0


@dataclass
class QdaSource:
    guid: str
    name: str
    raw: str | None
    variables: dict
    selections: list
    text: str | None = None


@dataclass
class Case:
    guid: str
    name: str
    variables: dict
    refs: set
    spans: list = field(default_factory=list)  # (source guid, start, end) coded to the case


@dataclass
class Segment:
    """One span of a source: the selections that cover it exactly, and their codes."""

    source: QdaSource
    selections: list
    text: str

    @property
    def first(self) -> Selection:
        return self.selections[0]

    @property
    def codes(self) -> list:
        return list(dict.fromkeys(g for s in self.selections for g in s.codes))

    @property
    def codings(self) -> list:
        return list(dict.fromkeys(c for s in self.selections for c in s.codings))


@dataclass
class User:
    guid: str
    name: str
    id: str


def import_qdpx(project, mapping=None) -> tuple[dict, list[str]]:
    """The contract tables read from a .qdpx file, and notes on what was imported and what was not."""
    settings = _Settings(Mapping.load(mapping) if mapping else Mapping("default mapping", {}))
    with Archive(Path(project)) as archive:
        root = archive.project(_READ)
        content = _Project(archive, root, archive.project_label)
    if content.problems:
        raise ImportFailed(content.problems)
    settings.check_variables(content)
    content.place(settings)
    if content.problems:
        raise ImportFailed(content.problems)
    return _Tables(settings, content).build()


class _Settings:
    """The mapping, checked: code kinds and origins, segment columns, case tables."""

    def __init__(self, mapping: Mapping):
        self.mapping = m = mapping
        m.only((), ("line_endings", "offsets", "codebook", "segments", *CASE_TABLES))
        m.only(("codebook",), ("default_kind", "default_origin", "kinds", "origins"))
        m.only(("segments",), ("columns", "recode"))
        self.line_endings = str(m.get("line_endings", default="auto"))
        if self.line_endings not in LINE_ENDINGS:
            m.problem(("line_endings",), f"must be one of {', '.join(LINE_ENDINGS)}", self.line_endings)
        self.offsets = str(m.get("offsets", default="auto"))
        if self.offsets not in OFFSETS:
            m.problem(("offsets",), f"must be one of {', '.join(OFFSETS)}", self.offsets)
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
        given = m.section("segments", "columns") or {}
        self.given_columns = {("segments", str(c)) for c in given}
        columns = {**DEFAULT_SEGMENT_COLUMNS, **given}
        self.segments = self._columns(("segments",), "segments", columns, allow_source=True)
        self.recode = {"segments": self._recode(("segments",), "segments")}
        self.case_tables, self.selectors = {}, {}
        for name, key in CASE_TABLES.items():
            if m.section(name) is None:
                continue
            m.only((name,), ("cases", "columns", "recode"))
            columns = m.section(name, "columns") or {}
            self.given_columns |= {(name, str(c)) for c in columns}
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

    def check_variables(self, content: _Project) -> None:
        """A problem for every variable the mapping names that the project does not have (exit 2)."""
        known = sorted(set(content.variables.values()))
        content.default_gaps = []
        wanted = [((table, "columns", column), arg)
                  for table, columns in (("segments", self.segments), *self.case_tables.items())
                  for column, lookups in columns.items() for _, what, arg in lookups if what == "variable"]
        wanted += [((name, "cases", "variable"), str(self.mapping.get(name, "cases", "variable")))
                   for name in self.case_tables if self.mapping.get(name, "cases", "variable") is not None]
        for keys, name in wanted:
            if name in known:
                continue
            if keys[1] == "columns" and (keys[0], keys[2]) not in self.given_columns:
                content.default_gaps.append(keys[2])  # a default lookup: noted, not refused
                continue
            self.mapping.problem(keys, f"the project has no variable {name!r}{_close(name, known)}")
        self.mapping.check()


def _close(name: str, known: list[str]) -> str:
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    if close:
        return " (did you mean " + " or ".join(repr(lowered[c]) for c in close) + "?)"
    return f" (its variables: {short_list(known, 12)})" if known else " (it has no variables)"


class _Project:
    """The parts of the project file the importer uses, and the problems found reading them."""

    def __init__(self, archive: Archive, root: Node, label: str):
        self.archive, self.label = archive, label
        self.problems: list[Problem] = []
        self.counting, self.choice, self.default_gaps = None, None, []
        self.origin = root.attrs.get("origin")
        if root.tag != "Project":
            self.fail(root, f"the root element must be Project in the namespace {NS}")
            return
        self.users = self._users(root.first("Users"))
        self.variables = self._variables(root.first("Variables"))
        self.codes = self._codes(root.first("CodeBook"))
        self.cases = [self._case(node) for node in _children(root, "Cases", "Case")]
        self.case_by_guid = {c.guid: c for c in self.cases if c.guid}
        self.selection_lines: dict[str, int] = {}
        sources = _children(root, "Sources")
        self.sources = [self._source(node) for node in sources if node.tag == "TextSource"]
        self.other_sources = [node.tag for node in sources if node.tag in _OTHER_SOURCES]
        self.whole_source_codings = sum(self._whole_source(node) for node in sources)
        self.not_imported = [tag for tag in _NOT_IMPORTED if root.first(tag) is not None and root.first(tag).children]

    def fail(self, node: Node, rule: str, value=None) -> None:
        self.problems.append(Problem(self.label, node.line, None, f"{node.describe()}: {rule}", value))

    def _guid(self, node: Node, attr: str = "guid") -> str | None:
        raw = node.attrs.get(attr)
        guid = normal_guid(raw)
        if guid is None:
            self.fail(node, f"attribute {attr} is missing" if raw is None else f"attribute {attr} is not a GUID", raw)
        return guid

    def _users(self, node: Node | None) -> dict[str, User]:
        users = {}
        for user in node.all("User") if node is not None else []:
            guid = self._guid(user)
            if guid in users:
                self.fail(user, "has the same guid as another user", user.attrs.get("guid"))
            elif guid:
                users[guid] = User(guid, (user.attrs.get("name") or "").strip(), (user.attrs.get("id") or "").strip())
        return users

    def _user(self, node: Node) -> str | None:
        """The user a Coding or selection names in creatingUser (None when it names none)."""
        if node.attrs.get("creatingUser") is None:
            return None
        guid = self._guid(node, "creatingUser")
        if guid and guid not in self.users:
            self.fail(node, "creatingUser refers to a user that is not in <Users>", node.attrs.get("creatingUser"))
            return None
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
        if book is None:
            return codes
        if book.first("Codes") is None:
            self.fail(book, "a CodeBook must hold a Codes element")
            return codes
        ids: dict[str, int] = {}
        pending = [(child, None, 1) for child in reversed(book.first("Codes").all("Code"))]
        while pending:  # depth first, in document order, without recursion
            child, parent, depth = pending.pop()
            if depth > MAX_CODE_DEPTH:
                self.fail(child, f"codes are nested more than {MAX_CODE_DEPTH} levels deep: flatten the codebook "
                          "in your tool and export again")
                return codes
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
            here = codes.get(guid) if guid in codes and codes[guid].line == child.line else Code("", code_id, "", "", "", 0)
            pending += [(grandchild, here, depth + 1) for grandchild in reversed(child.all("Code"))]
        return codes

    def _case(self, node: Node) -> Case:
        refs = {self._guid(ref, "targetGUID") for tag in ("SourceRef", "SelectionRef") for ref in node.all(tag)}
        return Case(self._guid(node), (node.attrs.get("name") or "").strip(), self._values(node), refs - {None})

    def _source(self, node: Node) -> QdaSource:
        guid = self._guid(node)
        raw = self._text(node)
        selections = [s for s in (self._selection(sel) for sel in node.all("PlainTextSelection")) if s]
        return QdaSource(guid, (node.attrs.get("name") or "").strip(), raw, self._values(node), selections)

    def _whole_source(self, node: Node) -> int:
        """Codings of a whole source: one to a case makes the case hold the source; codes are counted."""
        codes = 0
        for coding in node.all("Coding"):
            ref = coding.first("CodeRef")
            target = normal_guid(ref.attrs.get("targetGUID")) if ref is not None else None
            if target in self.case_by_guid and normal_guid(node.attrs.get("guid")):
                self.case_by_guid[target].refs.add(normal_guid(node.attrs.get("guid")))
            else:
                codes += 1
        return codes

    def _text(self, node: Node) -> str | None:
        content, path = node.first("PlainTextContent"), node.attrs.get("plainTextPath")
        if content is not None:
            return content.text
        if path is None:
            self.fail(node, "a TextSource needs a PlainTextContent element or a plainTextPath attribute")
            return None
        info, why = self.archive.source(path)
        if why == "outside":
            self.fail(node, "the source text is outside the archive: export the project with its sources included", path)
            return None
        if why == "missing":
            self.fail(node, "plainTextPath names a file that is not in the archive", path)
            return None
        if why:
            self.fail(node, f"plainTextPath names a file that is in several folders of the archive ({why.split(': ', 1)[1]}): "
                      "give the folder in plainTextPath", path)
            return None
        try:
            return self.archive.read(info, refi.MAX_SOURCE_BYTES).decode("utf-8-sig")
        except UnicodeDecodeError:
            self.fail(node, f"source file {info.filename} is not UTF-8 text")
            return None

    def _selection(self, node: Node) -> Selection | None:
        guid = self._guid(node)
        if guid in self.selection_lines:
            self.fail(node, f"has the same guid as the selection on line {self.selection_lines[guid]}: each selection "
                      "needs its own GUID (export the project again)", node.attrs.get("guid"))
            return None
        if guid:
            self.selection_lines[guid] = node.line
        start, end = (self._position(node, attr) for attr in ("startPosition", "endPosition"))
        codes, codings, cases = [], [], []
        selection_user = self._user(node)
        for coding in node.all("Coding"):
            ref = coding.first("CodeRef")
            user = self._user(coding) or selection_user
            target = self._guid(ref, "targetGUID") if ref is not None else None
            if ref is None:
                self.fail(coding, "a Coding must hold a CodeRef")
            elif target in self.case_by_guid:
                cases.append(target)
            elif target and target not in self.codes:
                self.fail(ref, "refers to a code that is not in the CodeBook", ref.attrs.get("targetGUID"))
            elif target:
                codes += [target] if target not in codes else []
                codings += [(target, user)] if (target, user) not in codings else []
        if None in (guid, start, end):
            return None
        if end < start:
            self.fail(node, f"endPosition {end} is before startPosition {start}")
            return None
        return Selection(guid, (node.attrs.get("name") or "").strip(), start, end, codes, codings, cases, node)

    def _position(self, node: Node, attr: str) -> int | None:
        raw = node.attrs.get(attr)
        if raw is None or not re.fullmatch(r"\s*\d{1,12}\s*", raw, re.ASCII):
            self.fail(node, f"attribute {attr} is missing" if raw is None else f"attribute {attr} must be a whole number "
                      "of characters from 0", raw)
            return None
        return int(raw)

    def place(self, settings: _Settings) -> None:
        """Choose how positions are counted, then turn every selection's positions into string indices."""
        readable = [s for s in self.sources if s.raw is not None]
        spans = [(s.raw, sel.raw_start, sel.raw_end, sel.name) for s in readable for sel in s.selections]
        options = offsets.candidates(settings.offsets, settings.line_endings)
        self.choice = offsets.choose(spans, options, self.origin)
        if self.choice.counting is None:
            self.problems.append(Problem(self.label, None, None, f"cannot tell how the selections' positions are "
                                         f"counted: {self.choice.reason}. Say it in the mapping: offsets: code_points "
                                         "or utf16, and line_endings: as_stored or lf"))
            return
        self.counting = counting = self.choice.counting
        for source in readable:
            text = offsets.Text(source.raw, counting.line_ends)
            source.text = text.text
            kept = []
            for sel in source.selections:
                start, end = text.index(sel.raw_start, counting.unit), text.index(sel.raw_end, counting.unit)
                if start is None or end is None:
                    length = text.utf16_length if counting.unit == "utf16" else len(text.text)
                    where = "beyond the end of the source text" if max(sel.raw_start, sel.raw_end) > length else \
                        "inside a character"
                    self.fail(sel.node, f"{'endPosition' if end is None else 'startPosition'} "
                              f"{sel.raw_end if end is None else sel.raw_start} is {where} ({length} "
                              f"{'UTF-16 units' if counting.unit == 'utf16' else 'characters'})")
                    continue
                sel.start, sel.end = start, end
                kept.append(sel)
                for case in sel.cases:
                    self.case_by_guid[case].spans.append((source.guid, start, end))
            source.selections = kept


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
        self.merged = 0
        self.case_only = 0

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

    def _spans(self) -> list[Segment]:
        """One segment per source and span; selections coded only to cases are case spans, not segments."""
        found = []
        for source in self.content.sources:
            if source.text is None:
                continue
            spans: dict[tuple, Segment] = {}
            for selection in source.selections:
                if selection.cases and not selection.codes:
                    self.case_only += 1
                    continue
                key = (selection.start, selection.end)
                if key in spans:
                    spans[key].selections.append(selection)
                    self.merged += 1
                    continue
                text = _LINE_BREAKS.sub("\n", source.text[selection.start:selection.end]).strip()
                if text:
                    spans[key] = Segment(source, [selection], text)
                else:
                    self.notes.append(f"Skipped a selection that holds no text: {selection.node.describe()} "
                                      f"(line {selection.node.line}) in source {source.name!r}")
            found += [spans[key] for key in sorted(spans)]
        return found

    def _segments(self) -> tuple[list[dict], list[dict]]:
        kept = self._spans()
        names = [segment.first.name for segment in kept]
        use_names = len(set(names)) == len(names) and all(re.fullmatch(ID_PATTERN, n) for n in names)
        self.notes.append("segment_id: " + ("the selections' names" if use_names else "the selections' GUIDs "
                                            "(their names are not all unique identifiers)"))
        coder = self._coders(kept)
        segments, codings = [], []
        for segment in kept:
            segment_id = segment.first.name if use_names else segment.first.guid
            row = {"segment_id": segment_id, "text": segment.text}
            for column, lookups in self.settings.segments.items():
                row[column] = self._segment_value(column, lookups, segment)
            segments.append(row)
            codings += [{"segment_id": segment_id, "code_id": self.content.codes[g].code_id, "coder": coder.get(user, "")}
                        for g, user in segment.codings]
        return segments, codings

    def _coders(self, kept: list[Segment]) -> dict[str, str]:
        """User guid -> coder id for the users who made the kept codings (see the module's rules)."""
        used = {user for segment in kept for _, user in segment.codings} - {None}
        users = [u for u in self.content.users.values() if u.guid in used]
        ids = [u.id for u in users]
        if len(set(ids)) == len(ids) and all(re.fullmatch(ID_PATTERN, i) for i in ids):
            coder = {u.guid: u.id for u in users}
        else:
            coder = {u.guid: f"C{n}" for n, u in enumerate(users, 1)}
        if users:
            self.notes.append("coder: " + "; ".join(f"{coder[u.guid]} is user {u.name or u.id or u.guid!r}"
                                                     for u in users))
        return coder

    def _holders(self, segment: Segment) -> list[Case]:
        guids = {segment.source.guid, *(s.guid for s in segment.selections)}
        start, end = segment.first.start, segment.first.end
        return [c for c in self.content.cases if c.refs & guids
                or any(g == segment.source.guid and a <= start and end <= b for g, a, b in c.spans)]

    def _segment_value(self, column, lookups, segment: Segment) -> str:
        cases = self._holders(segment)
        for where, what, arg in lookups:
            if where == "value":
                value = arg
            elif where == "source":
                value = segment.source.name if what == "name" else segment.source.variables.get(arg, "")
            else:
                pool = self.person_cases if what == "name" else cases
                found = sorted({c.name if what == "name" else c.variables.get(arg, "") for c in pool if c in cases} - {""})
                if len(found) > 1:
                    node = segment.first.node
                    self.problems.append(Problem(self.content.label, node.line, None,
                                                 f"{node.describe()}: belongs to several cases that give "
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
                 f"{len(content.cases)} cases (from {content.label}, origin {content.origin or 'not given'!s})."]
        notes.append(f"Positions counted in {content.counting.phrase()}: {content.choice.reason}.")
        if self.merged:
            notes.append(f"Merged {self.merged} selection(s) with the same source and span as another into one segment "
                         f"each: {selections - self.case_only} coded selections gave {len(tables['segments'])} segments.")
        if self.case_only:
            notes.append(f"{self.case_only} selection(s) coded to a case: read as the case holding that text "
                         "(case membership), not as codes.")
        notes += self.notes
        if content.other_sources:
            notes.append(f"Not imported (only text sources are): {len(content.other_sources)} "
                         f"{', '.join(sorted(set(content.other_sources)))} source(s)")
        if content.whole_source_codings:
            notes.append(f"Not imported: {content.whole_source_codings} coding(s) of whole sources (code a selection instead)")
        if content.default_gaps:
            notes.append("The project has no variables for the default lookups of " + ", ".join(
                dict.fromkeys(content.default_gaps)) + ": those columns come from other lookups or stay blank; "
                "give a mapping (--mapping, see data/mappings/qdpx.yml)")
        unused = sorted(set(content.variables.values()) - self.settings.variables_used())
        if unused:
            notes.append("Variables not in the mapping, not imported: " + short_list(unused, 10))
        if content.not_imported:
            notes.append("Project parts not imported: " + ", ".join(content.not_imported))
        return notes
