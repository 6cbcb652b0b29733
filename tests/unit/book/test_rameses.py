"""Every RAMESES II item points at a place in the book that exists."""

from __future__ import annotations

import re

import yaml

from support import ROOT

SPEC = yaml.safe_load((ROOT / "book" / "rameses.yml").read_text(encoding="utf-8"))


def defined_labels() -> set[str]:
    """MyST labels `(name)=` in the chapters and in the notebook templates."""
    labels = set()
    for path in [*(ROOT / "book").glob("*.md"), *(ROOT / "notebooks").glob("*.md")]:
        labels |= set(re.findall(r"\(([a-z0-9-]+)\)=", path.read_text(encoding="utf-8")))
    return labels


def toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return {toc["root"]} | {c["file"] for part in toc["parts"] for c in part.get("chapters") or []}


def test_all_twenty_items_are_listed_once():
    assert [item["number"] for item in SPEC["items"]] == list(range(1, 21))


def test_every_item_has_a_target_that_exists():
    labels, files = defined_labels(), toc_files()
    for item in SPEC["items"]:
        targets = [key for key in ("ref", "doc") if item.get(key)]
        assert len(targets) == 1, f"item {item['number']} needs exactly one target"
        if "ref" in item:
            assert item["ref"] in labels, f"item {item['number']}: label {item['ref']!r} is not defined"
        else:
            assert f"book/{item['doc']}" in files, f"item {item['number']}: {item['doc']} is not in _toc.yml"
