"""Hostile and broken inputs to the importers: exit code 2, one line naming the file and what to do, no traceback.

Every file here is built by the test; none comes from a real project.
"""

from __future__ import annotations

import zipfile

import pytest

from support import FIXTURES
from support.importers import linkbook, rows, zipped

REDCAP = FIXTURES / "redcap"
MAPPING = FIXTURES.parent.parent / "data" / "mappings" / "redcap.yml"
NS = 'xmlns="urn:QDA-XML:project:1.0"'
CODE = "11111111-0000-4000-8000-000000000001"


def import_qdpx(project, out, mapping=None) -> int:
    return linkbook("import", "qdpx", "--project", project, "--out", out, *(("--mapping", mapping) if mapping else ()))


def import_redcap(out, records, dictionary=REDCAP / "dictionary.csv", mapping=MAPPING) -> int:
    return linkbook("import", "redcap", "--records", records, "--dictionary", dictionary, "--mapping", mapping, "--out", out)


def problems(capsys) -> list[str]:
    out = capsys.readouterr().out
    assert "nothing was written" in out and "Traceback" not in out
    return [line.strip() for line in out.splitlines() if line.startswith("  ")]


def source(guid: str, path: str, selections: str = "") -> str:
    return f'<TextSource guid="{guid}" name="{guid[:8]}" plainTextPath="{path}">{selections}</TextSource>'


def selection(guid: str, start: int, end: int) -> str:
    return (f'<PlainTextSelection guid="{guid}" startPosition="{start}" endPosition="{end}">'
            f'<Coding guid="{guid[:-1]}f"><CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection>')


def project(sources: str, codes: str = f'<Code guid="{CODE}" name="x" isCodable="true"/>', declaration="") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<Project {NS} name="p"{declaration}>\n'
            f'<CodeBook><Codes>{codes}</Codes></CodeBook>\n<Sources>{sources}</Sources>\n</Project>\n')


# --- REFI-QDA projects -------------------------------------------------------------------------

def test_millions_of_empty_elements_are_refused_at_the_element_limit(tmp_path, capsys):
    """48 KiB of zip holding 12.6 million empty elements (48 MiB of XML): refused after a bounded count."""
    xml = b'<?xml version="1.0"?><Project ' + NS.encode() + b' name="x">' + b"<a/>" * 12_600_000 + b"</Project>"
    bomb = zipped(tmp_path / "bomb.qdpx", {"project.qde": xml})
    assert bomb.stat().st_size < 64 * 1024
    assert import_qdpx(bomb, tmp_path / "out") == 2
    [message] = problems(capsys)
    assert message.startswith("bomb.qdpx/project.qde, line 1: the project has more than 500000 XML elements, the limit")


def test_codes_nested_thousands_deep_are_a_problem(tmp_path, capsys):
    depth = 5000
    codes = "".join(f'<Code guid="{n:08x}-0000-4000-8000-000000000000" name="c{n}" isCodable="true">' for n in range(depth))
    qde = project("", codes + "</Code>" * depth)
    assert import_qdpx(zipped(tmp_path / "deep.qdpx", {"project.qde": qde}), tmp_path / "out") == 2
    [message] = problems(capsys)
    assert "deep.qdpx/project.qde, line 3: <Code name='c64'>: codes are nested more than 64 levels deep" in message


def test_a_project_file_in_shift_jis_is_a_clear_problem(tmp_path, capsys):
    qde = project(source("22222222-0000-4000-8000-000000000001", "internal://t.txt")).replace("utf-8", "shift_jis")
    archive = zipped(tmp_path / "sjis.qdpx", {"project.qde": qde.encode("shift_jis"), "sources/t.txt": "text"})
    assert import_qdpx(archive, tmp_path / "out") == 2
    [message] = problems(capsys)
    assert message.startswith("sjis.qdpx/project.qde, line 1: the XML declaration names the encoding shift_jis, but "
                              "REFI-QDA project files are UTF-8")


def test_two_sources_with_the_same_file_name_in_different_folders_keep_their_own_text(tmp_path):
    a, b = "22222222-0000-4000-8000-00000000000a", "22222222-0000-4000-8000-00000000000b"
    qde = project(source(a, "internal://a/notes.txt", selection("33333333-0000-4000-8000-00000000000a", 0, 5))
                  + source(b, "internal://b/notes.txt", selection("33333333-0000-4000-8000-00000000000b", 0, 5)))
    archive = zipped(tmp_path / "p.qdpx", {"project.qde": qde, "sources/a/notes.txt": "Alpha one", "sources/b/notes.txt": "Bravo two"})
    assert import_qdpx(archive, tmp_path / "out") == 0
    assert [r["text"] for r in rows(tmp_path / "out" / "segments.csv")] == ["Alpha", "Bravo"]


def test_a_bare_name_found_in_two_folders_is_ambiguous(tmp_path, capsys):
    qde = project(source("22222222-0000-4000-8000-00000000000a", "notes.txt", selection("33333333-0000-4000-8000-00000000000a", 0, 5)))
    archive = zipped(tmp_path / "p.qdpx", {"project.qde": qde, "x/a/notes.txt": "Alpha one", "x/b/notes.txt": "Bravo two"})
    assert import_qdpx(archive, tmp_path / "out") == 2
    [message] = problems(capsys)
    assert "plainTextPath names a file that is in several folders of the archive (x/a/notes.txt, x/b/notes.txt)" in message


def test_duplicate_selection_guids_are_a_problem(tmp_path, capsys):
    guid = "33333333-0000-4000-8000-000000000001"
    qde = project(source("22222222-0000-4000-8000-000000000001", "internal://t.txt",
                         "\n" + selection(guid, 0, 3) + "\n" + selection(guid.upper(), 4, 7)))
    assert import_qdpx(zipped(tmp_path / "p.qdpx", {"project.qde": qde, "sources/t.txt": "One two"}), tmp_path / "out") == 2
    [message] = problems(capsys)
    assert ("p.qdpx/project.qde, line 6: <PlainTextSelection>: has the same guid as the selection on line 5: each "
            "selection needs its own GUID") in message


# --- mapping files -----------------------------------------------------------------------------

LAUGHS = ("x: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
          + "".join(f"{k}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]\n" for n, k in enumerate("yzuvwqrs"))
          + "codebook: {kinds: {holding: *i}}\n")  # 9**9 strings once expanded, in a valid key


@pytest.mark.parametrize("text,message", [
    (LAUGHS, "m.yml, line 1: YAML anchors and aliases (&name, *name) are refused in mapping files"),
    ("codebook: &k {default_kind: concept}\n", "m.yml, line 1: YAML anchors and aliases"),
    ("a: " + "[" * 200 + "]" * 200 + "\n", "m.yml, line 1: mapping file is nested more than 32 levels deep"),
])
def test_mapping_files_with_aliases_or_deep_nesting_are_refused(tmp_path, capsys, text, message):
    assert len(LAUGHS) < 700  # a billion laughs in a few hundred bytes
    (tmp_path / "m.yml").write_text(text, encoding="utf-8")
    qde = project(source("22222222-0000-4000-8000-000000000001", "internal://t.txt"))
    assert import_qdpx(zipped(tmp_path / "p.qdpx", {"project.qde": qde, "sources/t.txt": "x"}), tmp_path / "out",
                       tmp_path / "m.yml") == 2
    [found] = problems(capsys)
    assert found.startswith(message)


# --- REDCap exports ----------------------------------------------------------------------------

def test_a_stray_quote_in_the_records_header_is_a_problem_naming_the_line(tmp_path, capsys):
    text = (REDCAP / "records_longitudinal.csv").read_text(encoding="utf-8-sig").replace(",ons_satis,", ',"ons_satis,', 1)
    (tmp_path / "records.csv").write_text(text, encoding="utf-8")
    assert import_redcap(tmp_path / "out", tmp_path / "records.csv") == 2
    [message] = problems(capsys)
    assert message.startswith("records.csv, line 1: the header row is not valid CSV")
    assert "remove it or export the file again as CSV" in message


def test_a_stray_quote_in_a_row_names_the_row_it_starts_on(tmp_path, capsys):
    lines = (REDCAP / "records_longitudinal.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[3] = lines[3].replace("S1-PT02,", '"S1-PT02,', 1)
    (tmp_path / "records.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_redcap(tmp_path / "out", tmp_path / "records.csv") == 2
    [message] = problems(capsys)
    assert message.startswith("records.csv, line 4: this row is not valid CSV")


def test_a_column_twice_in_the_records_export_is_a_problem(tmp_path, capsys):
    lines = (REDCAP / "records_longitudinal.csv").read_text(encoding="utf-8-sig").splitlines()
    lines = [line + "," + line.split(",")[12] for line in lines]  # ons_satis again, as the last column
    (tmp_path / "records.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_redcap(tmp_path / "out", tmp_path / "records.csv") == 2
    [message] = problems(capsys)
    assert message == ("records.csv, line 1, column ons_satis: column appears twice in the header (columns 13 and 35): "
                       "export the file again, or remove one copy")


def test_a_field_twice_in_the_data_dictionary_is_a_problem(tmp_path, capsys):
    lines = (REDCAP / "dictionary.csv").read_text(encoding="utf-8-sig").splitlines()
    (tmp_path / "dictionary.csv").write_text("\n".join(lines + [lines[9]]) + "\n", encoding="utf-8")
    assert import_redcap(tmp_path / "out", REDCAP / "records_longitudinal.csv", tmp_path / "dictionary.csv") == 2
    [message] = problems(capsys)
    assert message.startswith("dictionary.csv, line 28, column variable / field name: field is listed twice "
                              "(first on line 10)")


def test_hostile_archives_leave_no_partial_output(tmp_path):
    """A refused import writes nothing, not even the output directory."""
    with zipfile.ZipFile(tmp_path / "p.qdpx", "w") as archive:
        archive.writestr("project.qde", "<Project")
    assert import_qdpx(tmp_path / "p.qdpx", tmp_path / "out") == 2
    assert not (tmp_path / "out").exists()
