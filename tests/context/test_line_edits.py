"""Keystrokes inside a body line keep the buffer's symbols (coderd/context/index/line_edits.py).

The buffer thread reparses such an edit incrementally instead of extracting the symbols
again; everything else (a header, a docstring's first line, the comment above a definition,
an import, a newline, a paste over lines) is extracted again, so the index never holds a
symbol the text no longer has.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import DEADLINE_S, names

from coderd.context.index import buffers as buffers_module
from coderd.context.index.extract import extract
from coderd.context.index.line_edits import symbol_rows, within_plain_line
from coderd.context.index.workspace import WorkspaceIndex

SOURCE = '''import os
from pkg import (
    helper,
)


# Tells how big.
def size(path):
    """Bytes of the file."""
    total = os.path.getsize(path)
    return total


class Box:
    def area(self):
        """
        Area of the box.
        """
        width = 3
        return width * 2
'''


def rows_of(source: str) -> frozenset[int]:
    return symbol_rows(extract(source.encode(), "python", "a.py"), source.encode())


def changed(source: str, old: str, new: str) -> bool:
    """Whether replacing `old` (once) by `new` is a body-line edit (symbols kept)."""
    edited = source.replace(old, new, 1)
    return within_plain_line(source.encode(), edited.encode(), rows_of(source))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("total = os", "totals = os"),  # a body line of a function
        ("width * 2", "width * 2 + 1"),  # a body line of a method
    ],
)
def test_a_keystroke_in_a_body_line_keeps_the_symbols(old: str, new: str) -> None:
    assert changed(SOURCE, old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("def size(path)", "def size(path, n)"),  # a signature
        ('"""Bytes of', '"""Size in bytes of'),  # a docstring's first line
        ("# Tells how big.", "# Tells how large."),  # the comment above a definition
        ("import os", "import sys"),  # an import
        ("    helper,", "    helper, other,"),  # an import's continuation line
        ("width = 3", "width = 3\n        depth = 4"),  # a newline
        ("total = os", "total = \\\nos"),  # a newline in the middle of a line
        ("class Box:", "class Crate:"),  # a class header
        ("Area of the box", "Surface of the box"),  # a docstring's text after its quotes
    ],
)
def test_an_edit_that_can_change_symbols_is_extracted_again(old: str, new: str) -> None:
    assert not changed(SOURCE, old, new)


def test_the_buffer_thread_skips_extraction_for_body_keystrokes(tmp_path: Path, monkeypatch):
    calls = []
    real = buffers_module.extract_with_tree

    def counting(data, language, rel):
        calls.append(rel)
        return real(data, language, rel)

    monkeypatch.setattr(buffers_module, "extract_with_tree", counting)
    index = WorkspaceIndex(tmp_path)
    text = SOURCE
    index.set_buffer("a.py", text).result(DEADLINE_S)
    assert calls == ["a.py"]
    first = index.file("a.py")
    cursor = text.index("return total") + len("return total")
    for ch in " + 1":  # typing at the end of a body line
        text = text[:cursor] + ch + text[cursor:]
        cursor += 1
        index.set_buffer("a.py", text).result(DEADLINE_S)
    assert calls == ["a.py"]  # no extraction for those four keys
    assert index.file("a.py") is first
    source, tree = index.buffer_tree("a.py")
    assert source == text.encode()  # the tree is the text's as it is now (reparsed)
    assert not tree.root_node.has_error and "+ 1" in tree.root_node.text.decode()
    # Renaming the function: its header row, so the symbols are extracted again.
    text = text.replace("def size(path)", "def measure(path)")
    index.set_buffer("a.py", text).result(DEADLINE_S)
    assert len(calls) == 2
    assert "measure" in names(index, "a.py") and "size" not in names(index, "a.py")
    # A newline in a body: extracted again (a definition's end line may move).
    text = text.replace("width = 3", "width = 3\n        depth = 4")
    index.set_buffer("a.py", text).result(DEADLINE_S)
    assert len(calls) == 3
    area = next(r for r in index.lookup("area") if r.path == "a.py").definition
    assert area.end_line == text.count("\n")
    index.close()


def test_a_closed_buffer_forgets_its_rows(tmp_path: Path) -> None:
    index = WorkspaceIndex(tmp_path)
    index.set_buffer("a.py", SOURCE).result(DEADLINE_S)
    index.clear_buffer("a.py").result(DEADLINE_S)  # never saved: gone with the buffer
    assert index.file("a.py") is None and index.buffer_tree("a.py") is None
    # Opened again with other text: nothing of the first buffer decides what to extract.
    index.set_buffer("a.py", SOURCE.replace("size", "length")).result(DEADLINE_S)
    assert "length" in names(index, "a.py")
    index.close()
