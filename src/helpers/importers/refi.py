"""The REFI-QDA project exchange format (.qdpx): bounded reading of the archive and safe XML.

A .qdpx is a zip holding one project file (`project.qde` by the standard; ATLAS.ti names it
after the project, e.g. `Trial.qde`) in the namespace urn:QDA-XML:project:1.0, and source
files in `sources/` (the standard's name; NVivo writes `Sources/`). The XML is parsed as a
stream from the archive: DOCTYPE and ENTITY declarations are refused (no external entities,
no entity expansion), the element count is bounded, and sizes are bounded, per file and in
total, before anything is decompressed.
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
SOURCES_FOLDER = "sources"  # REFI-QDA 1.0, section 8.1
MAX_MEMBERS = 100_000
MAX_PROJECT_BYTES = 256 * 2**20  # the project file
MAX_ELEMENTS = 500_000  # XML elements in the project file (a large real project has tens of thousands)
MAX_SOURCE_BYTES = 64 * 2**20  # one source text
MAX_TOTAL_BYTES = 1 * 2**30  # everything read from one archive
_CHUNK = 2**20
_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii"}
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_GUID = re.compile(r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?")


def normal_guid(text: str | None) -> str | None:
    """A GUID in lower case without braces; None if `text` is not a GUID."""
    match = _GUID.fullmatch((text or "").strip())
    return match.group(1).lower() if match else None


@dataclass(slots=True)
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


class _TooMany(Exception):
    pass


def parse_xml(chunks, label: str, keep: frozenset | None = None) -> Node:
    """The root element of the XML read from `chunks` (bytes, or an iterable of bytes).

    Only elements whose local name is in `keep` (all when None), and their kept descendants,
    are stored; the others are counted and dropped with everything inside them. ImportFailed
    for malformed XML, any DTD or entity, an encoding other than UTF-8 or UTF-16, or more
    than MAX_ELEMENTS elements.
    """
    chunks = iter([chunks] if isinstance(chunks, bytes) else chunks)
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    top = Node("", {}, 0)
    stack = [top]
    count = 0
    limit = MAX_ELEMENTS

    def refuse(*_):
        raise _Refused

    def start(tag, attrs):
        nonlocal count
        count += 1
        if count > limit:
            raise _TooMany
        ns, _, local = tag.rpartition("}")
        name = local if ns in ("", NS) else tag
        if stack[-1] is None or (keep is not None and name not in keep and len(stack) > 1):
            stack.append(None)
            return
        node = Node(name, attrs, parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def text(data):
        if stack[-1] is not None:
            stack[-1].parts.append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    parser.CharacterDataHandler = text
    first = True
    try:
        for chunk in chunks:
            if first:
                _check_encoding(chunk, label)
                first = False
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Refused:
        raise ImportFailed([Problem(label, parser.CurrentLineNumber, None,
                                    "XML with a DOCTYPE or ENTITY declaration is refused (REFI-QDA needs neither)")]) from None
    except _TooMany:
        raise ImportFailed([Problem(label, parser.CurrentLineNumber, None,
                                    f"the project has more than {limit} XML elements, the limit: "
                                    "is this really a REFI-QDA project export?")]) from None
    except (LookupError, UnicodeError, ValueError) as err:
        raise ImportFailed([Problem(label, None, None, f"the XML declaration names an encoding that cannot be read: {err}; "
                                    "REFI-QDA project files are UTF-8")]) from None
    except expat.ExpatError as err:
        raise ImportFailed([Problem(label, err.lineno, None,
                                    f"not well-formed XML: {expat.ErrorString(err.code)} (column {err.offset + 1})")]) from None
    if not top.children:
        raise ImportFailed([Problem(label, None, None, "the project file holds no XML element")])
    return top.children[0]


def _check_encoding(head: bytes, label: str) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 with a byte-order mark: expat reads it
    match = _DECLARED.match(head.removeprefix(b"\xef\xbb\xbf"))
    if match and match.group(1).decode("ascii").lower() not in _ENCODINGS:
        raise ImportFailed([Problem(label, 1, None, f"the XML declaration names the encoding {match.group(1).decode()}, "
                                    "but REFI-QDA project files are UTF-8: export the project again from your "
                                    "tool, or convert the file to UTF-8 and change its declaration")])


class Archive:
    """A .qdpx archive opened for bounded reading of its project file and its text sources."""

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
        self.by_name: dict[str, list[zipfile.ZipInfo]] = {}
        for info in infos:
            if not info.is_dir():
                self.members.setdefault(_member_key(info.filename), info)
                self.by_name.setdefault(PurePosixPath(_member_key(info.filename)).name, []).append(info)
        self.project_info = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    def fail(self, rule: str, file: str | None = None):
        raise ImportFailed([Problem(file or self.name, None, None, rule)])

    @property
    def project_label(self) -> str:
        return f"{self.name}/{self.project_info.filename}" if self.project_info else f"{self.name}/{PROJECT_FILE}"

    def project(self, keep: frozenset | None = None) -> Node:
        """The parsed project file (the archive's one .qde file, whatever its name); see parse_xml for `keep`."""
        found = [i for i in self.zip.infolist() if not i.is_dir() and i.filename.lower().endswith(".qde")]
        top = [i for i in found if i.filename.lower() == PROJECT_FILE]
        if not found:
            self.fail("archive has no project file (project.qde or another .qde file): is this a REFI-QDA project export?")
        if len(found) > 1 and not top:
            self.fail(f"archive holds {len(found)} project files ({', '.join(i.filename for i in found[:5])}): "
                      "export one project per .qdpx")
        self.project_info = top[0] if top else found[0]
        return parse_xml(self.stream(self.project_info, MAX_PROJECT_BYTES), self.project_label, keep)

    def source(self, path: str) -> tuple[zipfile.ZipInfo | None, str | None]:
        """The archive entry of a plainTextPath, or None and why not.

        `internal://NAME` and a bare `NAME` (as qc writes it) are looked up in the sources
        folder, then at the top of the archive (folder and letter case, GUID braces ignored);
        a bare name found only elsewhere is used if no other entry has that name. Any other
        scheme (`relative://`, `absolute://`, `file://`), an absolute path or `..` leaves the
        archive and is refused.
        """
        raw = path.strip()
        scheme, sep, rest = raw.partition("://")
        if sep and scheme.lower() != "internal":
            return None, "outside"
        inner = (rest if sep else raw).replace("\\", "/")
        parts = [p for p in inner.split("/") if p not in ("", ".")]
        if not parts or inner.startswith("/") or ".." in parts or re.match(r"^[A-Za-z]:", inner):
            return None, "outside"
        key = _member_key("/".join(parts))
        for candidate in (f"{SOURCES_FOLDER}/{key}", key):
            if candidate in self.members:
                return self.members[candidate], None
        same = self.by_name.get(PurePosixPath(key).name, []) if len(parts) == 1 else []
        if len(same) == 1:
            return same[0], None
        if len(same) > 1:
            return None, "ambiguous: " + ", ".join(i.filename for i in same[:5])
        return None, "missing"

    def read(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        return b"".join(self.stream(info, limit))

    def stream(self, info: zipfile.ZipInfo, limit: int):
        """The bytes of an entry in chunks, never more than `limit` nor what is left of MAX_TOTAL_BYTES."""
        label = f"{self.name}/{info.filename}"
        if info.file_size > limit:
            self.fail(f"entry is {info.file_size} bytes uncompressed, more than the limit of {limit}", label)
        if info.file_size > self.remaining:
            self.fail(f"archive holds more than {MAX_TOTAL_BYTES} bytes of uncompressed text to read", label)
        bound = min(limit, self.remaining)
        read = 0
        try:
            with self.zip.open(info) as handle:
                while chunk := handle.read(_CHUNK):
                    read += len(chunk)
                    if read > bound:
                        self.fail("entry is larger than its size in the archive directory says", label)
                    self.remaining -= len(chunk)
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError) as err:
            self.fail(f"entry cannot be read from the archive: {err}", label)


def _member_key(path: str) -> str:
    """An archive path compared without letter case, GUID braces or a leading ./ or /."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts).lower().replace("{", "").replace("}", "")
