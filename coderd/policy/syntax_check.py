"""The check before display: a suggestion must not break the parse of the code around it.

The buffer is parsed with the suggestion inserted (tree-sitter, incrementally from the tree of
the buffer without it: the index's tree of the open buffer when it holds this very text, else
one parse here) and its syntax errors (ERROR and MISSING nodes) are compared with the buffer's
own. A suggestion is shown only if its own lines hold no error when the cursor's line had none,
and the file has no more errors with it than without: an unbalanced bracket, or a `}` that
closes a scope the suggestion did not open (the document's own `}` is then left unmatched),
fails. Such a suggestion is cut back to its longest part that passes, at a line end or a token
end, or dropped.

Code that is incomplete anyway is not dropped for being incomplete: when the buffer already has
an error on the cursor's line (the user is in the middle of writing it: `x = foo(`, or an
opener whose body is the suggestion), errors in the suggestion's lines are the line's, and only
the number of errors in the file must not grow.

Errors are found by descending only into nodes that hold one (`has_error`), so a clean file of
any size costs a few node visits; the parse is incremental. `bench/syntax_check_cost.py`
measures the added time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import tree_sitter

from coderd.context.index.languages import language_for_lsp_id, language_for_path, parser_for

# Cut points tried after the whole suggestion, longest first: each is one incremental parse.
MAX_CUTS = 12
_TOKEN_END = re.compile(r"\w+|[^\w\s]")

BufferTree = tuple[bytes, tree_sitter.Tree]  # the source and its tree (the index's buffers)


class _HasIndex(Protocol):  # the session's ContextProvider (policy imports no provider)
    def index_for(self, path: Path, *, create: bool = ...) -> object | None: ...


@dataclass(frozen=True)
class Checked:
    text: str  # what to show: the suggestion, a cut of it, or "" (dropped)
    verdict: str  # "kept", "cut", "dropped" or "unchecked" (no grammar for the language)


def buffer_tree(context: _HasIndex | None, path: str | None) -> BufferTree | None:
    """The index's tree of the open buffer at `path`, when there is one."""
    if context is None or path is None:
        return None
    index = context.index_for(Path(path), create=False)
    found = getattr(index, "buffer_tree", None)
    return found(path) if found is not None else None


def check_suggestions(
    texts: Iterable[str],
    buffer: str,
    offset: int,
    language_id: str,
    path: str | None,
    base: BufferTree | None = None,
) -> list[str]:
    """The suggestions to show, each checked; dropped ones and duplicates of cuts leave."""
    shown: list[str] = []
    for text in texts:
        checked = check_suggestion(buffer, offset, text, language_id, path, base)
        if checked.text and checked.text not in shown:
            shown.append(checked.text)
    return shown


def check_suggestion(
    buffer: str,
    offset: int,
    suggestion: str,
    language_id: str = "",
    path: str | None = None,
    base: BufferTree | None = None,
) -> Checked:
    language = (language_for_path(path) if path else None) or language_for_lsp_id(language_id)
    if language is None or not suggestion:
        return Checked(suggestion, "unchecked")
    parser = parser_for(language)
    source = buffer.encode("utf-8", "surrogatepass")
    at = len(buffer[:offset].encode("utf-8", "surrogatepass"))
    tree = base[1] if base is not None and base[0] == source else parser.parse(source)
    line_start = source.rfind(b"\n", 0, at) + 1
    line_end = source.find(b"\n", at)
    line_end = len(source) if line_end == -1 else line_end
    before = _errors(tree)
    incomplete = any(_overlaps(e, line_start, line_end) for e in before)
    row = source.count(b"\n", 0, at)
    for n, candidate in enumerate(_cuts(suggestion)):
        inserted = candidate.encode("utf-8", "surrogatepass")
        edited = tree.copy()  # the index's tree is shared: never edited in place
        edited.edit(
            start_byte=at,
            old_end_byte=at,
            new_end_byte=at + len(inserted),
            start_point=(row, at - line_start),
            old_end_point=(row, at - line_start),
            new_end_point=_end_point(row, at - line_start, inserted),
        )
        after = _errors(parser.parse(source[:at] + inserted + source[at:], edited))
        # Where tree-sitter reports an error moves with every character typed, and recovery
        # may group it with more or less code around it: positions elsewhere are not compared,
        # only the number of errors, and whether the suggestion's own lines hold one.
        region_end = line_end + len(inserted)
        if not incomplete and any(_overlaps(e, line_start, region_end) for e in after):
            continue
        if len(after) <= len(before):
            return Checked(candidate, "kept" if n == 0 else "cut")
    return Checked("", "dropped")


_Error = tuple[int, int, str]  # start byte, end byte, node type ("ERROR" or the missing one's)


def _errors(tree: tree_sitter.Tree) -> list[_Error]:
    """The outermost ERROR nodes and the MISSING ones, visiting only nodes that hold one."""
    found: list[_Error] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append((node.start_byte, node.end_byte, "ERROR" if node.is_error else node.type))
        elif node.has_error:
            stack.extend(node.children)
    return found


def _overlaps(error: _Error, start: int, end: int) -> bool:
    return error[0] <= end and error[1] >= start


def _end_point(row: int, column: int, inserted: bytes) -> tuple[int, int]:
    breaks = inserted.count(b"\n")
    if not breaks:
        return (row, column + len(inserted))
    return (row + breaks, len(inserted) - inserted.rfind(b"\n") - 1)


def _cuts(suggestion: str) -> list[str]:
    """The suggestion, then its shorter parts worth showing, longest first: every line end,
    then every token end of its first non-blank line (at most MAX_CUTS in all)."""
    cuts = [suggestion]
    lines = suggestion.split("\n")
    for k in range(len(lines) - 1, 0, -1):
        part = "\n".join(lines[:k]).rstrip()
        if part.strip() and part not in cuts:
            cuts.append(part)
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    head = "".join(line + "\n" for line in lines[:first])
    for match in reversed(list(_TOKEN_END.finditer(lines[first]))[:-1]):
        part = head + lines[first][: match.end()]
        if part not in cuts:
            cuts.append(part)
    return cuts[: MAX_CUTS + 1]
