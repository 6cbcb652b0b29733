"""The helpers package is layered: a module imports only from its own layer or the layers below.

core < data < analysis < report < {importers, synth, pipeline} < book < cli. The three
middle peers do not import one another. Read from the source with ast, so a function-level
import that dodges a cycle counts too.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from support import ROOT

PACKAGE = ROOT / "src" / "helpers"
RANK = {"core": 0, "data": 1, "analysis": 2, "report": 3, "importers": 4, "synth": 4, "pipeline": 4,
        "book": 5, "cli": 6}
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE)


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0]


def imported_layers(path: Path) -> set[str]:
    """Layers of helpers named by every import in the file (module level or not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [node.module] + ([f"{node.module}.{a.name}" for a in node.names] if node.module == "helpers"
                                      else [])
    return {n.split(".")[1] for n in names if n.startswith("helpers.") and n.split(".")[1] in RANK}


def test_every_subpackage_has_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(RANK)
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py"]


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_no_module_imports_a_higher_layer_or_a_peer(path):
    own = layer_of(path)
    wrong = sorted(layer for layer in imported_layers(path)
                   if RANK[layer] > RANK[own] or (RANK[layer] == RANK[own] and layer != own))
    assert not wrong, f"{path.relative_to(PACKAGE)} ({own}) imports {', '.join(wrong)}"


def test_the_checker_catches_an_upward_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from helpers.book.build import build_book\n    import helpers.cli.main\n")
    assert imported_layers(module) == {"book", "cli"}


def test_no_two_public_functions_or_classes_share_a_name():
    where = defaultdict(list)
    for path in MODULES:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                where[node.name].append(str(path.relative_to(PACKAGE)))
    shared = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert not shared, shared
