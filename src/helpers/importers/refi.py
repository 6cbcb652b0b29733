"""The REFI-QDA project exchange format (.qdpx): bounded reading of the archive and safe XML.

A .qdpx is a zip holding `project.qde` (XML in the namespace urn:QDA-XML:project:1.0) and
source files in `Sources/`. The XML parser refuses DOCTYPE and ENTITY declarations (so no
external entities and no entity expansion); sizes are bounded, per file and in total, before
anything is decompressed.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.parsers import expat

from helpers.importers import ImportFailed
from helpers.data.problems import Problem

NS = "urn:QDA-XML:project:1.0"
PROJECT_FILE = "project.qde"
MAX_MEMBERS = 100_000
MAX_PROJECT_BYTES = 256 * 2**20  # project.qde
MAX_SOURCE_BYTES = 64 * 2**20  # one source text
MAX_TOTAL_BYTES = 1 * 2**30  # everything read from one archive
_GUID = re.compile(r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?")


def normal_guid(text: str | None) -> str | None:
    """A GUID in lower case without braces; None if `text` is not a GUID."""
    match = _GUID.fullmatch((text or "").strip())
    return match.group(1).lower() if match else None


@dataclass
class Node:
    """An XML element: local tag name, attributes, line, children and its own text."""

    tag: str
    attrs: dict
    line: int
    children: list = field(default_factory=list)
    parts: list = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def all(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def describe(self) -> str:
        name = self.attrs.get("name")
        return f"<{self.tag} name={name!r}>" if name else f"<{self.tag}>"


class _Refused(Exception):
    pass


def parse_xml(data: bytes, label: str) -> Node:
    """The root element of `data`; ImportFailed for malformed XML or any DTD or entity."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    top = Node("", {}, 0)
    stack = [top]

    def refuse(*_):
        raise _Refused

    def start(tag, attrs):
        ns, _, local = tag.rpartition("}")
        node = Node(local if ns in ("", NS) else tag, attrs, parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    parser.CharacterDataHandler = lambda text: stack[-1].parts.append(text)
    try:
        parser.Parse(data, True)
    except _Refused:
        raise ImportFailed([Problem(label, parser.CurrentLineNumber, None,
                                    "XML with a DOCTYPE or ENTITY declaration is refused (REFI-QDA needs neither)")]) from None
    except (LookupError, UnicodeError) as err:
        raise ImportFailed([Problem(label, None, None, f"the XML declaration names an encoding that cannot be read: {err}")]) from None
    except expat.ExpatError as err:
        raise ImportFailed([Problem(label, err.lineno, None,
                                    f"not well-formed XML: {expat.ErrorString(err.code)} (column {err.offset + 1})")]) from None
    return top.children[0]


class Archive:
    """A .qdpx archive opened for bounded reading of project.qde and its text sources."""

    def __init__(self, path: Path):
        self.path, self.name = Path(path), Path(path).name
        self.remaining = MAX_TOTAL_BYTES
        if not self.path.is_file():
            self.fail("file does not exist")
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError):
            self.fail("is not a REFI-QDA project archive (.qdpx): it is not a zip file")
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            self.zip.close()
            self.fail(f"archive has {len(infos)} entries, more than the limit of {MAX_MEMBERS}")
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if not info.is_dir():
                self.members.setdefault(_member_key(info.filename), info)

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    def fail(self, rule: str, file: str | None = None):
        raise ImportFailed([Problem(file or self.name, None, None, rule)])

    def project(self) -> bytes:
        info = next((i for i in self.zip.infolist() if i.filename.lower() == PROJECT_FILE), None)
        if info is None:
            self.fail(f"archive has no {PROJECT_FILE}: is this a REFI-QDA project export?")
        return self.read(info, MAX_PROJECT_BYTES)

    def find(self, internal_path: str) -> zipfile.ZipInfo | None:
        """The archive entry of an `internal://` path (folder, letter case and GUID braces ignored)."""
        return self.members.get(_member_key(internal_path))

    def read(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        label = f"{self.name}/{info.filename}"
        if info.file_size > limit:
            self.fail(f"entry is {info.file_size} bytes uncompressed, more than the limit of {limit}", label)
        if info.file_size > self.remaining:
            self.fail(f"archive holds more than {MAX_TOTAL_BYTES} bytes of uncompressed text to read", label)
        try:
            with self.zip.open(info) as handle:
                data = handle.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError) as err:
            self.fail(f"entry cannot be read from the archive: {err}", label)
        if len(data) > min(limit, self.remaining):
            self.fail("entry is larger than its size in the archive directory says", label)
        self.remaining -= len(data)
        return data


def _member_key(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).name.lower().replace("{", "").replace("}", "")
