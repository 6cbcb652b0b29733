"""Positions counted in UTF-16 units or with CRLF as one, turned into string indices: checked against Python's own codecs."""

from __future__ import annotations

import random

from helpers.importers.offsets import NVIVO, STANDARD, Counting, Text, choose


def utf16_position(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def test_utf16_positions_map_to_the_same_characters_as_the_utf16_codec():
    rng = random.Random(17)
    alphabet = ["a", "é", " ", "\n", "’", "😀", "🚶", "𝄞", "中"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        reading = Text(text, "as_stored")
        for index in range(len(text) + 1):
            assert reading.index(utf16_position(text, index), "utf16") == index
        inside = {utf16_position(text, i) + 1 for i, ch in enumerate(text) if ord(ch) > 0xFFFF}
        for position in inside:
            assert reading.index(position, "utf16") is None  # between the two halves of a surrogate pair
        assert reading.index(utf16_position(text, len(text)) + 1, "utf16") is None


def test_crlf_counted_once_indexes_the_text_with_lf_line_ends():
    raw = "one\r\ntwo\r\n\r\nthree"
    reading = Text(raw, "lf")
    assert reading.text == "one\ntwo\n\nthree"
    assert reading.text[reading.index(9, "code_points"):reading.index(14, "code_points")] == "three"


def test_choose_prefers_the_counting_that_puts_selections_on_words():
    text = "😀 " + " ".join(f"word{n}" for n in range(30))
    words = [(text.index(f"word{n}"), text.index(f"word{n}") + len(f"word{n}")) for n in (3, 10, 20)]
    as_utf16 = [(raw, utf16_position(raw, a), utf16_position(raw, b), "") for raw in [text] for a, b in words]
    assert choose(as_utf16, [STANDARD, NVIVO], None).counting == NVIVO
    as_points = [(text, a, b, "") for a, b in words]
    assert choose(as_points, [STANDARD, NVIVO], None).counting == STANDARD
    assert choose(as_points, [STANDARD, NVIVO], "NVivo for Windows 12").counting == STANDARD  # evidence over origin
    assert choose([("plain text", 0, 5, "")], [STANDARD, NVIVO, Counting("code_points", "lf")], None).counting == STANDARD
