"""LineIndex.edited: the index after an edit, scanning only the lines the edit touches, equals
the index of the new text scanned whole, "\\r\\n" pairs made or broken by the edit included."""

from __future__ import annotations

import random

from coderd.positions import LineIndex

PIECES = ["\r", "\n", "\r\n", "a", "bc", "é", "😀", " "]


def random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(PIECES) for _ in range(length))


def test_an_edited_index_equals_a_fresh_one_for_any_edit():
    rng = random.Random(7)
    for _ in range(20_000):
        text = random_text(rng, rng.randrange(0, 30))
        lo = rng.randrange(0, len(text) + 1)
        hi = rng.randrange(lo, len(text) + 1)
        inserted = random_text(rng, rng.randrange(0, 4))
        edited = LineIndex.of(text).edited(lo, hi, inserted)
        expected = LineIndex.of(text[:lo] + inserted + text[hi:])
        assert edited == expected, (text, lo, hi, inserted)


def test_breaks_that_the_edit_joins_or_splits():
    cases = [
        ("a\rb", 2, 3, "\nb"),  # "\r" + "\n": one break now
        ("a\r\nb", 2, 2, "x"),  # "\r\n" split in two
        ("a\r\nb", 1, 2, ""),  # its "\r" deleted
        ("\r", 1, 1, "\n"),  # at the end
        ("x\n\ny", 0, 4, ""),  # everything
    ]
    for text, lo, hi, inserted in cases:
        edited = LineIndex.of(text).edited(lo, hi, inserted)
        assert edited == LineIndex.of(text[:lo] + inserted + text[hi:])
