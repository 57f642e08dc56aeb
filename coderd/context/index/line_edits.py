"""Edits of an open buffer: the one edit between two texts, and whether it can change symbols.

An editor sends a `didChange` per keystroke, and the index's buffer thread used to parse the
whole buffer and run the symbol queries over it for each one: 18 ms of CPU on an 1,100-line
Python file (6 ms parse, 12 ms queries), holding the GIL, on the machine that is also
running the model. Most keystrokes change one line of a function body, and the symbols
(extract.py) never read one: a definition's signature and docstring, the comment above it and
the import statements are on their own rows. For such an edit the buffer thread reparses
incrementally (under a millisecond: type inference and the suggestion check want the tree of
the text as it is) and keeps the symbols of the last full extraction; a newline, a paste over
several lines or a keystroke on one of those rows extracts again.

What stays stale meanwhile: the identifiers typed on that line (the workspace's popularity
counts) until the next extraction, at the latest when the line is done.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from coderd.context.index.extract import FileSymbols, Import
from coderd.context.index.languages import parser_for

# A definition's doc is the first line of the docstring just after its header or of the
# comment block just above it.
_COMMENT_LINE = re.compile(r"^\s*(#|//|/\*|\*|--)")
_DOCSTRING_START = re.compile(r"^\s*[rRbBuU]?(\"\"\"|\'\'\'|\"|\'|#|//|/\*)")
_ONLY_QUOTES = re.compile(r"^\s*[rRbBuU]?(\"\"\"|\'\'\'|/\*+)\s*$")


def common_prefix(a: bytes, b: bytes, start: int = 0) -> int:
    """Length of the common prefix of `a` and `b`: slice comparisons (in C), halving the step."""
    limit = min(len(a), len(b))
    step = 1 << 16
    while step:
        while start + step <= limit and a[start : start + step] == b[start : start + step]:
            start += step
        step >>= 1
    return start


def changed_span(old: bytes, new: bytes) -> tuple[int, int, int]:
    """(start, old_end, new_end): the one edit that turns `old` into `new`, common prefix and
    suffix kept (the suffix never overlaps the prefix)."""
    start = common_prefix(old, new)
    tail = common_prefix(old[start:][::-1], new[start:][::-1])
    return start, len(old) - tail, len(new) - tail


def point(source: bytes, offset: int) -> tuple[int, int]:
    """(row, byte column) of a byte offset, as tree-sitter counts them."""
    return source.count(b"\n", 0, offset), offset - (source.rfind(b"\n", 0, offset) + 1)


def tree_edit(old: bytes, new: bytes) -> dict:
    """The arguments of tree_sitter.Tree.edit for the edit from `old` to `new`."""
    start, old_end, new_end = changed_span(old, new)
    return {
        "start_byte": start,
        "old_end_byte": old_end,
        "new_end_byte": new_end,
        "start_point": point(old, start),
        "old_end_point": point(old, old_end),
        "new_end_point": point(new, new_end),
    }


_EXPORT_LIST = re.compile(r"__all__\s*(?:\+=|=|:[^=]*=)")


def import_rows(lines: list[str], imports: Iterable[Import]) -> set[int]:
    """0-based rows of the file's import statements (continuation lines of `(...)` included)."""
    rows: set[int] = set()
    for statement in imports:
        row = statement.line - 1
        depth = 0
        while 0 <= row < len(lines) and len(rows) < 5000:
            rows.add(row)
            depth += (
                lines[row].count("(")
                + lines[row].count("{")
                - lines[row].count(")")
                - lines[row].count("}")
            )
            if depth <= 0:
                break
            row += 1
    return rows


def export_rows(lines: list[str]) -> set[int]:
    """0-based rows of a Python module's `__all__ = [...]` (or `+=`) statements: the names
    there are strings that say what the module exports, not uses of them."""
    rows: set[int] = set()
    for start, line in enumerate(lines):
        if not line.startswith("__all__") or not _EXPORT_LIST.match(line):
            continue
        depth, row = 0, start
        while row < len(lines) and row - start < 5000:
            rows.add(row)
            depth += sum(lines[row].count(c) for c in "([{") - sum(
                lines[row].count(c) for c in ")]}"
            )
            if depth <= 0:
                break
            row += 1
    return rows


def symbol_rows(symbols: FileSymbols, source: bytes) -> frozenset[int]:
    """The 0-based rows that extract.py reads symbols from: definition headers, the rows where
    their docstrings start, the comment blocks just above them, import statements."""
    lines = source.decode("utf-8", "replace").split("\n")
    rows = import_rows(lines, symbols.imports)
    for d in symbols.definitions:
        first = d.start_line - 1
        header = d.signature.count("\n") + 1
        rows.update(range(first, first + header))
        rows.update(_docstring_rows(lines, first + header))
        above = first - 1
        while above >= 0 and _COMMENT_LINE.match(lines[above]):
            rows.add(above)
            above -= 1
    return frozenset(rows)


def _docstring_rows(lines: list[str], row: int) -> list[int]:
    """The rows that hold the first line of a docstring (or comment) opening a body at `row`:
    that row when it opens one, and the next too when it holds only the opening quotes."""
    if row >= len(lines) or not _DOCSTRING_START.match(lines[row]):
        return []
    return [row, row + 1] if _ONLY_QUOTES.match(lines[row]) else [row]


def within_plain_line(old: bytes, new: bytes, rows: frozenset[int]) -> bool:
    """Whether `new` differs from `old` inside one line (no newline added or removed) that is
    not among `rows` (symbol_rows of `old`): then `old`'s symbols hold for `new`."""
    start, old_end, new_end = changed_span(old, new)
    if b"\n" in old[start:old_end] or b"\n" in new[start:new_end]:
        return False
    return old.count(b"\n", 0, start) not in rows


def reparse(kept: tuple[bytes, tree_sitter.Tree], data: bytes, language: str) -> tree_sitter.Tree:
    """`data` parsed incrementally from the tree of `kept`'s text (under a millisecond for a
    one-line edit, where a full parse of a big file costs several)."""
    old_source, old_tree = kept
    tree = old_tree.copy()
    tree.edit(**tree_edit(old_source, data))
    return parser_for(language).parse(data, tree)
