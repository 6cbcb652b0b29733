"""REFI-QDA projects as NVivo, ATLAS.ti and qc write them, and exports the official schema accepts.

Each fixture in tests/fixtures/qdpx/ holds one tool's quirks, written from the REFI-QDA 1.0
standard and what is known of the tool's output (see the comment at the top of each project
file). The expected segment texts below are typed from the source texts, not from the importer.
"""

from __future__ import annotations

import re
import shutil
import zipfile

import pytest

from support import EMBEDDED, FIXTURES
from support.importers import linkbook, pack, rows, schema_problems, zipped

QDPX = FIXTURES / "qdpx"
MAPPINGS = EMBEDDED.parent / "mappings"
NVIVO_SOURCE = "Sources/2D000001-0000-4000-8000-000000000001.txt"
ATLAS_SOURCE = "sources/b2e10001-0000-4000-8000-000000000001.txt"

NVIVO_SEGMENTS = [  # one per coded span, in text order, each after one or more emoji
    "I nearly didn't come.",
    "The link worker rang me twice 📞 before the first group.",
    "Now I go to the walking group 🚶 every Thursday and I know people there 👍.",
]
NVIVO_CODINGS = {
    "I nearly didn't come.": ["anchor_point.doubt"],
    "The link worker rang me twice 📞 before the first group.": ["anchor_point.trust", "anchor_point.persistence"],
    "Now I go to the walking group 🚶 every Thursday and I know people there 👍.":
        ["embeddedness.belonging", "embeddedness.routine", "outcomes.social_contact"],
}
ATLAS_SEGMENTS = [
    "The link worker met the patient at the library rather than the surgery.",
    "She said the waiting room made her anxious.",
    "the practice manager asked for a weekly list of referrals",
    "Nobody had asked for that before.",
]


def import_qdpx(project, out, mapping=None, *extra) -> int:
    return linkbook("import", "qdpx", "--project", project, "--out", out,
                    *(("--mapping", mapping) if mapping else ()), *extra)


def edited(tmp_path, folder, project_file, source, change, name="edited.qdpx", project_name=None):
    """A .qdpx of a fixture folder whose project file is passed through `change`."""
    qde = change((QDPX / folder / project_file).read_text(encoding="utf-8"))
    return zipped(tmp_path / name, {project_name or project_file: qde, source: (QDPX / folder / source).read_bytes()})


def texts(out) -> list[str]:
    return [r["text"] for r in rows(out / "segments.csv")]


def codes_by_text(out) -> dict[str, list[str]]:
    text = {r["segment_id"]: r["text"] for r in rows(out / "segments.csv")}
    found: dict[str, list[str]] = {}
    for r in rows(out / "codings.csv"):
        found.setdefault(text[r["segment_id"]], []).append(r["code_id"])
    return found


# --- NVivo: UTF-16 positions, one selection per coding, coding to a case ---------------------

def test_nvivo_utf16_positions_are_read_on_the_coded_text(tmp_path, capsys):
    project = pack(QDPX / "nvivo_utf16", tmp_path / "nvivo.qdpx")
    out = tmp_path / "out"
    assert import_qdpx(project, out, MAPPINGS / "qdpx-nvivo-example.yml") == 0
    assert texts(out) == NVIVO_SEGMENTS
    notes = capsys.readouterr().out
    assert "Positions counted in UTF-16 code units (an emoji counts two)" in notes


def test_nvivo_selections_of_one_span_become_one_segment_with_every_coding(tmp_path, capsys):
    project = pack(QDPX / "nvivo_utf16", tmp_path / "nvivo.qdpx")
    out = tmp_path / "out"
    assert import_qdpx(project, out, MAPPINGS / "qdpx-nvivo-example.yml") == 0
    assert codes_by_text(out) == NVIVO_CODINGS
    notes = capsys.readouterr().out
    # 8 selections: 2 code the participant's turns to the case, 6 code 3 spans
    assert "Merged 3 selection(s) with the same source and span as another" in notes
    assert "6 coded selections gave 3 segments" in notes


def test_a_coding_to_a_case_is_case_membership_not_a_code(tmp_path, capsys):
    project = pack(QDPX / "nvivo_utf16", tmp_path / "nvivo.qdpx")
    out = tmp_path / "out"
    assert import_qdpx(project, out, MAPPINGS / "qdpx-nvivo-example.yml") == 0
    # the case S3-PT04 holds the participant's turns, so every segment inside them is theirs
    assert {r["participant_id"] for r in rows(out / "segments.csv")} == {"S3-PT04"}
    assert {r["site_id"] for r in rows(out / "segments.csv")} == {"S1"}  # from the case's Site variable
    assert "S3-PT04" not in {r["code_id"] for r in rows(out / "codings.csv")}
    assert [r["participant_id"] for r in rows(out / "participants.csv")] == ["S3-PT04"]
    assert "2 selection(s) coded to a case: read as the case holding that text" in capsys.readouterr().out


def test_utf16_positions_are_detected_without_the_origin_attribute(tmp_path, capsys):
    """No origin, no case codings (whose ends alone rule code points out): the fit to words decides."""
    def change(qde):
        qde = qde.replace(' origin="NVivo for Windows 12.6 (synthetic fixture)"', "")
        return re.sub(r'\s*<PlainTextSelection guid="\{3D000001-0000-4000-8000-00000000000[15]\}".*?</PlainTextSelection>',
                      "", qde, flags=re.S)
    project = edited(tmp_path, "nvivo_utf16", "project.qde", NVIVO_SOURCE, change)
    assert import_qdpx(project, tmp_path / "out") == 0
    assert texts(tmp_path / "out") == NVIVO_SEGMENTS
    assert "origin not given" in capsys.readouterr().out


def test_the_mapping_can_fix_the_counting_and_then_a_wrong_one_shows(tmp_path, capsys):
    (tmp_path / "m.yml").write_text("offsets: code_points\nline_endings: as_stored\n", encoding="utf-8")
    project = pack(QDPX / "nvivo_utf16", tmp_path / "nvivo.qdpx")
    assert import_qdpx(project, tmp_path / "out", tmp_path / "m.yml") == 2
    assert "is beyond the end of the source text" in capsys.readouterr().out


# --- ATLAS.ti: a CRLF counted as one character, the project file named after the project -------

def test_atlas_ti_crlf_counted_once_and_a_project_file_not_named_project_qde(tmp_path, capsys):
    project = pack(QDPX / "atlasti_crlf", tmp_path / "atlas.qdpx")
    with zipfile.ZipFile(project) as archive:
        assert "project.qde" not in archive.namelist() and "Trial.qde" in archive.namelist()
    assert import_qdpx(project, tmp_path / "out") == 0
    assert texts(tmp_path / "out") == ATLAS_SEGMENTS
    assert codes_by_text(tmp_path / "out")["She said the waiting room made her anxious."] == [
        "micro_discretion.place", "micro_discretion.anxiety"]
    out = capsys.readouterr().out
    assert "from atlas.qdpx/Trial.qde" in out
    assert "Positions counted in Unicode code points, a CRLF line end as one character" in out


def test_crlf_counted_once_is_detected_without_origin_or_quotation_names(tmp_path):
    def change(qde):
        qde = qde.replace(' origin="ATLAS.ti 26 (synthetic fixture)"', "")
        return re.sub(r' name="[^"]*" startPosition', " startPosition", qde)
    project = edited(tmp_path, "atlasti_crlf", "Trial.qde", ATLAS_SOURCE, change, project_name="MyProject.qde")
    assert import_qdpx(project, tmp_path / "out") == 0
    assert texts(tmp_path / "out") == ATLAS_SEGMENTS


def test_two_project_files_are_refused(tmp_path, capsys):
    qde = (QDPX / "atlasti_crlf" / "Trial.qde").read_text(encoding="utf-8")
    project = zipped(tmp_path / "two.qdpx", {"Trial.qde": qde, "Other.qde": qde})
    assert import_qdpx(project, tmp_path / "out") == 2
    assert "two.qdpx: archive holds 2 project files (Trial.qde, Other.qde): export one project per .qdpx" \
        in capsys.readouterr().out


# --- cannot tell: refused, naming the mapping keys --------------------------------------------

TIE = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="tie"{origin}>
  <CodeBook><Codes><Code guid="11111111-0000-4000-8000-000000000001" name="x" isCodable="true"/></Codes></CodeBook>
  <Sources>
    <TextSource guid="22222222-0000-4000-8000-000000000001" name="t"><PlainTextContent>\U0001F600-a-b-c</PlainTextContent>
      <PlainTextSelection guid="33333333-0000-4000-8000-000000000001" startPosition="4" endPosition="5">
        <Coding guid="44444444-0000-4000-8000-000000000001"><CodeRef targetGUID="11111111-0000-4000-8000-000000000001"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""


@pytest.mark.parametrize("origin,mapping,code,text", [
    ("", "", 2, None),  # "b" (code points) and "-" (UTF-16 units) fit words equally well: refused
    (' origin="MAXQDA 2022"', "", 0, "b"),  # a tie goes to the origin's counting
    (' origin="NVivo for Windows 14"', "", 0, "-"),
    ("", "offsets: code_points\n", 0, "b"),
    ("", "offsets: utf16\n", 0, "-"),
])
def test_when_the_counting_cannot_be_told_the_import_is_refused(tmp_path, capsys, origin, mapping, code, text):
    project = zipped(tmp_path / "tie.qdpx", {"project.qde": TIE.format(origin=origin)})
    (tmp_path / "m.yml").write_text(mapping or "line_endings: auto\n", encoding="utf-8")
    assert import_qdpx(project, tmp_path / "out", tmp_path / "m.yml") == code
    out = capsys.readouterr().out
    if text is None:
        assert "tie.qdpx/project.qde: cannot tell how the selections' positions are counted" in out
        assert "offsets: code_points or utf16" in out and not (tmp_path / "out").exists()
    else:
        assert texts(tmp_path / "out") == [text]


# --- qc: bare file names inside the archive; paths that leave it stay refused -------------------

def test_qc_bare_plain_text_paths_are_read_from_the_sources_folder(tmp_path):
    project = pack(QDPX / "qc_paths", tmp_path / "qc.qdpx")
    assert import_qdpx(project, tmp_path / "out") == 0
    assert texts(tmp_path / "out") == ["The board agreed to fund two link workers for a year.",
                                       "Funding was renewed after the first report."]


@pytest.mark.parametrize("path", ["../board_2017.txt", "/etc/passwd", "sources/../../board_2017.txt",
                                  "relative://board_2017.txt", "file:///etc/passwd", "C:\\data\\board_2017.txt",
                                  "absolute://C:/board_2017.txt"])
def test_paths_that_leave_the_archive_are_refused(tmp_path, capsys, path):
    qde = (QDPX / "qc_paths" / "project.qde").read_text(encoding="utf-8").replace(
        'plainTextPath="board_2017.txt"', f'plainTextPath="{path}"')
    files = {"project.qde": qde, **{f"sources/{p.name}": p.read_bytes() for p in (QDPX / "qc_paths" / "sources").iterdir()}}
    assert import_qdpx(zipped(tmp_path / "qc.qdpx", files), tmp_path / "out") == 2
    assert "the source text is outside the archive" in capsys.readouterr().out


# --- a mapping that matches nothing ------------------------------------------------------------

def test_a_mapping_naming_variables_the_project_lacks_exits_2_with_close_matches(tmp_path, capsys):
    mapping = (MAPPINGS / "qdpx-nvivo-example.yml").read_text(encoding="utf-8")
    mapping = mapping.replace("source variable Data type", "source variable Datatype").replace(
        "case variable Site ", "case variable Sites ").replace("{variable: Case type,", "{variable: Kind,")
    (tmp_path / "m.yml").write_text(mapping, encoding="utf-8")
    project = pack(QDPX / "nvivo_utf16", tmp_path / "nvivo.qdpx")
    assert import_qdpx(project, tmp_path / "out", tmp_path / "m.yml") == 2
    out = capsys.readouterr().out
    assert "m.yml, line 23: segments.columns.source: the project has no variable 'Datatype' (did you mean 'Data type'?)" in out
    assert "segments.columns.site_id: the project has no variable 'Sites' (did you mean 'Site'" in out
    assert "participants.cases.variable: the project has no variable 'Kind' (its variables: Age band, Case type, Data type," in out
    assert not (tmp_path / "out").exists()


# --- dry run -------------------------------------------------------------------------------------

def test_dry_run_says_what_would_be_written_and_writes_nothing(tmp_path, capsys):
    project = pack(QDPX / "nvivo_utf16", tmp_path / "nvivo.qdpx")
    out = tmp_path / "out"
    assert import_qdpx(project, out, MAPPINGS / "qdpx-nvivo-example.yml", "--dry-run") == 0
    assert not out.exists()
    printed = capsys.readouterr().out
    for line in (f"Would write {out / 'segments.csv'} (3 rows)", f"Would write {out / 'codings.csv'} (6 rows)",
                 f"Would write {out / 'participants.csv'} (1 rows)", "Merged 3 selection(s)",
                 "Positions counted in UTF-16 code units", "Dry run: nothing was written."):
        assert line in printed


# --- exports the official schema accepts ---------------------------------------------------------

def dataset(tmp_path, segments: bool, participants: bool):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("codebook.csv", "segments.csv", "codings.csv"):
        shutil.copy(EMBEDDED / name, data / name)
    if not segments:
        for name in ("segments.csv", "codings.csv"):
            first = (EMBEDDED / name).read_text(encoding="utf-8").splitlines()[0]
            (data / name).write_text(first + "\n", encoding="utf-8")
    else:  # segments of nobody in particular: no participant to make a case of
        lines = (EMBEDDED / "segments.csv").read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        column = header.index("participant_id")
        kept = [line for line in lines[1:] if line.split(",")[column] == ""]
        assert kept, "the embedded data has segments without a participant"
        (data / "segments.csv").write_text("\n".join([lines[0], *kept]) + "\n", encoding="utf-8")
        ids = {line.split(",")[0] for line in kept}
        codings = (EMBEDDED / "codings.csv").read_text(encoding="utf-8").splitlines()
        (data / "codings.csv").write_text("\n".join([codings[0], *(c for c in codings[1:] if c.split(",")[0] in ids)])
                                          + "\n", encoding="utf-8")
    if participants:
        shutil.copy(EMBEDDED / "participants.csv", data / "participants.csv")
    return data


@pytest.mark.parametrize("segments,participants", [(False, False), (True, False), (False, True)])
def test_exports_without_cases_or_sources_are_schema_valid(tmp_path, segments, participants):
    data = dataset(tmp_path, segments, participants)
    assert linkbook("export", "qdpx", "--data", data, "--out", tmp_path / "x.qdpx") == 0
    assert schema_problems(tmp_path / "x.qdpx") == []
    with zipfile.ZipFile(tmp_path / "x.qdpx") as archive:
        qde = archive.read("project.qde").decode("utf-8")
        names = archive.namelist()
    assert ("<Sources>" in qde) == segments and ("<Cases>" in qde) == participants
    assert "<Cases />" not in qde and "<Sources />" not in qde
    assert all(n == "project.qde" or n.startswith("sources/") for n in names)  # REFI-QDA 1.0, section 8.1
    assert import_qdpx(tmp_path / "x.qdpx", tmp_path / "back") == 0


def test_the_fixtures_written_in_tool_style_are_schema_valid_too(tmp_path):
    """The tool-style fixtures are REFI-QDA as the schema defines it: only the counting differs."""
    for folder, member in (("nvivo_utf16", "project.qde"), ("atlasti_crlf", "Trial.qde"), ("qc_paths", "project.qde"),
                           ("nvivo_style", "project.qde"), ("maxqda_style", "project.qde")):
        project = pack(QDPX / folder, tmp_path / f"{folder}.qdpx")
        assert schema_problems(project, member) == [], folder


def test_an_nvivo_import_exports_and_imports_back_unchanged(tmp_path):
    project = pack(QDPX / "nvivo_utf16", tmp_path / "nvivo.qdpx")
    assert import_qdpx(project, tmp_path / "first", MAPPINGS / "qdpx-nvivo-example.yml") == 0
    assert linkbook("export", "qdpx", "--data", tmp_path / "first", "--out", tmp_path / "again.qdpx") == 0
    assert schema_problems(tmp_path / "again.qdpx") == []
    assert import_qdpx(tmp_path / "again.qdpx", tmp_path / "second") == 0
    for name in ("codebook.csv", "segments.csv", "codings.csv"):
        assert (tmp_path / "second" / name).read_bytes() == (tmp_path / "first" / name).read_bytes(), name


def test_export_refuses_codes_nested_deeper_than_an_import_accepts(tmp_path, capsys):
    data = dataset(tmp_path, segments=False, participants=False)
    ids = [".".join(["c"] * n) for n in range(1, 2001)]
    lines = ["code_id,parent_id,label,kind,origin"] + [f"{i},{i[:-2]},C,concept,review" for i in ids]
    (data / "codebook.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert linkbook("export", "qdpx", "--data", data, "--out", tmp_path / "x.qdpx") == 2
    out = capsys.readouterr().out
    assert "codebook.csv, line 66, column code_id: code is nested more than 64 levels deep" in out
    assert "Traceback" not in out and not (tmp_path / "x.qdpx").exists()
