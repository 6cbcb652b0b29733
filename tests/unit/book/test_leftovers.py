"""A build killed or stopped by a full disk leaves no copy behind: the next build removes
`_build/.html-new-*` (and an old book not yet deleted), and a failed copy removes its own."""

from __future__ import annotations

import errno
import shutil

import pytest

from helpers.book import build
from helpers.cli.main import main
from helpers.core.project import Project


class FakeSphinx:
    """Writes a one-page book where jupyter-book would."""

    def build(self, argv, log):
        out = argv[argv.index("--out") + 1]
        page = __import__("pathlib").Path(out) / "_build" / "html" / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<p>a page</p>")
        return 0


@pytest.fixture
def project(tmp_path):
    (tmp_path / "_config.yml").write_text("title: t\n")
    (tmp_path / "_toc.yml").write_text("root: index\n")
    (tmp_path / "book" / "generated").mkdir(parents=True)
    (tmp_path / "book" / "generated" / "_toc.yml").write_text("root: index\n")
    return Project(tmp_path)


def test_the_next_build_removes_copies_a_killed_build_left(project):
    half = project.build / ".html-new-abc123"
    (half / "book").mkdir(parents=True)
    (half / "book" / "page.html").write_text("half a book")
    old = project.build / ".html.old-def456"
    old.mkdir()
    assert build.build_html(project, FakeSphinx(), out=lambda *_: None) == 0
    assert sorted(p.name for p in project.build.iterdir()) == ["html"]
    assert (project.build / "html" / "index.html").read_text() == "<p>a page</p>"


def test_a_copy_stopped_by_a_full_disk_removes_itself_and_says_so(project, monkeypatch, capsys):
    real = shutil.copytree

    def full_disk(source, target, **kw):
        real(source, target, **kw)  # the copy got this far...
        raise OSError(errno.ENOSPC, "No space left on device", str(target / "index.html"))

    monkeypatch.setattr(build.shutil, "copytree", full_disk)
    with pytest.raises(OSError):
        build.build_html(project, FakeSphinx(), out=lambda *_: None)
    assert not list(project.build.glob(".html-new-*")) and not (project.build / "html").exists()


@pytest.mark.parametrize("code,said", [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only file system"),
                                       (errno.EACCES, "is not writable")])
def test_storage_errors_are_one_line_naming_the_path_with_exit_2(monkeypatch, capsys, code, said):
    import helpers.cli.main as cli

    def fails(args):
        raise OSError(code, "whatever", "/srv/project/results/outcomes.csv")

    monkeypatch.setattr(cli, "cmd_validate", fails)
    assert main(["validate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "/srv/project/results/outcomes.csv" in err and said in err
    assert "bug" not in err

