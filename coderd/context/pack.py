"""Packing retrieved definitions into a token budget, in DeepSeek's repository format.

DeepSeek Coder was trained on repositories as files concatenated in dependency order, each
starting with a comment that holds its path. So each chunk here is `<comment> <path>` followed
by the definitions taken from that file, files in the order the current file first refers to
them, and the block ends with the current file's own path header, right before its prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .extract import Definition
from .languages import LANGUAGES, language_for_path
from .retrieve import Candidate, is_type

MAX_SNIPPET_LINES = 12  # a longer definition keeps its head and ends with a marker
MEMBER_SIGNATURES = 12  # a class shows at most this many of its method signatures


@dataclass
class PackedContext:
    text: str  # the whole block, current-file header included
    chunks: list[dict] = field(default_factory=list)  # path, lines, source, tokens: for --json


def comment_for(path: str) -> str:
    language = language_for_path(path)
    return LANGUAGES[language].line_comment if language else "#"


def snippet_text(lines: list[str], definition: Definition, members: list[Definition], comment: str) -> str:
    body = lines[definition.start_line - 1 : definition.end_line]
    if is_type(definition) and members:
        head_end = members[0].start_line - definition.start_line
        shown = body[: max(1, min(head_end, MAX_SNIPPET_LINES))]
        for member in members[:MEMBER_SIGNATURES]:
            shown.append(_header_line(lines, member.start_line - 1))
        return "\n".join(shown)
    if len(body) > MAX_SNIPPET_LINES:
        indent = body[1][: len(body[1]) - len(body[1].lstrip())] if len(body) > 1 else ""
        return "\n".join(body[:MAX_SNIPPET_LINES] + [f"{indent}{comment} ..."])
    return "\n".join(body)


def _header_line(lines: list[str], index: int) -> str:
    """A member's own first line, past its decorators (`@property` says little on its own)."""
    while index + 1 < len(lines) and lines[index].lstrip().startswith("@"):
        index += 1
    return lines[index].rstrip()


def pack(candidates: list[Candidate], *, current_path: str, read: Callable[[str], str | None],
         members_of: Callable[[str, str], list[Definition]], tokenize: Callable[[str], list[int]],
         budget: int) -> PackedContext:
    """Greedy by rank into the budget, then grouped per file in first-reference order."""
    header = f"{comment_for(current_path)} {current_path}\n"
    remaining = budget - len(tokenize(header))
    chosen: dict[str, list[tuple[Candidate, str, int]]] = {}
    cache: dict[str, list[str] | None] = {}
    for candidate in candidates:
        path, definition = candidate.ref.path, candidate.ref.definition
        if path not in cache:
            text = read(path)
            cache[path] = text.splitlines() if text is not None else None
        lines = cache[path]
        if lines is None or definition.end_line > len(lines):
            continue
        comment = comment_for(path)
        snippet = snippet_text(lines, definition, members_of(path, definition.name), comment)
        cost = len(tokenize(snippet + "\n")) + (0 if path in chosen else len(tokenize(f"{comment} {path}\n")))
        if cost > remaining:
            continue
        remaining -= cost
        chosen.setdefault(path, []).append((candidate, snippet, cost))
    parts, chunks = [], []
    for path, items in chosen.items():
        items.sort(key=lambda item: item[0].ref.definition.start_line)
        parts.append(f"{comment_for(path)} {path}\n" + "\n".join(s for _, s, _ in items) + "\n\n")
        for candidate, _, cost in items:
            d = candidate.ref.definition
            chunks.append({"path": path, "name": d.name, "lines": [d.start_line, d.end_line],
                           "source": candidate.source, "tokens": cost})
    return PackedContext(text="".join(parts) + header if budget > 0 else "", chunks=chunks)


def read_file(root: Path, path: str) -> str | None:
    try:
        return (root / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
