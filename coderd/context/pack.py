"""Packing retrieved definitions into a token budget, in a model's repository format.

DeepSeek Coder was trained on repositories as files concatenated in dependency order, each
starting with a comment that holds its path. So each chunk here is `<comment> <path>` followed
by the definitions taken from that file, files in the order the current file first refers to
them, and the block ends with the current file's own path header, right before its prefix.

Models with repository tokens (Qwen2.5-Coder: `<|repo_name|>`, `<|file_sep|>`) get
`RepoFormat(file_sep=..., repo_name=...)` instead: `<|repo_name|>name\n` once, then
`<|file_sep|>path\n` before each file, the current file's included. How the engine picks it:
llama.cpp exposes the tokens as `llama_vocab_fim_rep(vocab)` and `llama_vocab_fim_sep(vocab)`
(-1 when the vocabulary has none); when both exist, their texts (`llama_token_to_piece`) make
the RepoFormat handed to `ContextProvider(..., repo_format=...)`. Qwen puts that block before
`<|fim_prefix|>`, where DeepSeek's goes right after `<｜fim▁begin｜>`: the engine's layout
(coderd/engine/fim.py) has to place it accordingly.
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
SHORT_MEMBERS = 4  # ... and this many in its short form (when the long one does not fit)


@dataclass(frozen=True)
class RepoFormat:
    """Repository-token rendering (Qwen2.5-Coder style); None in pack() means DeepSeek's."""

    file_sep: str = "<|file_sep|>"
    repo_name: str | None = "<|repo_name|>"
    name: str = ""  # the repository's name, after repo_name

    def header(self, path: str) -> str:
        return f"{self.file_sep}{path}\n"

    def opening(self) -> str:
        return f"{self.repo_name}{self.name}\n" if self.repo_name else ""


@dataclass
class PackedContext:
    text: str  # the whole block, current-file header included
    chunks: list[dict] = field(default_factory=list)  # path, lines, source, tokens: for --json


def comment_for(path: str) -> str:
    language = language_for_path(path)
    return LANGUAGES[language].line_comment if language else "#"


def select_members(members: list[Definition], used: dict[str, int] | None) -> list[Definition]:
    """At most MEMBER_SIGNATURES members, those the current file uses (nearest use first) before
    the others, shown in file order."""
    if len(members) <= MEMBER_SIGNATURES:
        return members
    if not used:
        return members[:MEMBER_SIGNATURES]
    ranked = sorted(members, key=lambda m: (used.get(m.name, 99), m.start_line))[:MEMBER_SIGNATURES]
    return sorted(ranked, key=lambda m: m.start_line)


def snippet_text(lines: list[str], definition: Definition, members: list[Definition], comment: str) -> str:
    if definition.kind == "window":  # a region of lines, not a definition: shown whole
        return "\n".join(lines[definition.start_line - 1 : min(definition.end_line, len(lines))])
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


def short_text(lines: list[str], definition: Definition, members: list[Definition], comment: str) -> str | None:
    """A definition's header alone (a type: its first line and a few member headers)."""
    if definition.kind == "window":
        return None
    if is_type(definition):
        shown = [lines[definition.start_line - 1].rstrip()]
        shown += [_header_line(lines, m.start_line - 1) for m in members[:SHORT_MEMBERS]]
        return "\n".join(shown)
    signature = definition.signature.split("\n")
    if definition.end_line - definition.start_line + 1 <= len(signature):
        return None
    indent = "    " if comment == "#" else "  "
    base = signature[0][: len(signature[0]) - len(signature[0].lstrip())]
    return "\n".join(signature + [f"{base}{indent}{comment} ..."])


def _header_line(lines: list[str], index: int) -> str:
    """A member's own first line, past its decorators (`@property` says little on its own)."""
    while index + 1 < len(lines) and lines[index].lstrip().startswith("@"):
        index += 1
    return lines[index].rstrip()


def file_header(path: str, repo_format: RepoFormat | None = None) -> str:
    return repo_format.header(path) if repo_format else f"{comment_for(path)} {path}\n"


def pack(candidates: list[Candidate], *, current_path: str, read: Callable[[str], str | None],
         members_of: Callable[[str, str], list[Definition]], tokenize: Callable[[str], list[int]],
         budget: int, used_members: dict[str, int] | None = None,
         repo_format: RepoFormat | None = None) -> PackedContext:
    """Greedy by rank into the budget, then grouped per file in first-reference order."""
    header = file_header(current_path, repo_format)
    opening = repo_format.opening() if repo_format else ""
    remaining = budget - len(tokenize(opening + header))
    chosen: dict[str, list[tuple[Candidate, str, int]]] = {}
    cache: dict[str, list[str] | None] = {}
    for candidate in candidates:
        path, definition = candidate.ref.path, candidate.ref.definition
        if path not in cache:
            text = read(path)
            cache[path] = text.splitlines() if text is not None else None
        lines = cache[path]
        if lines is None or (definition.end_line > len(lines) and definition.kind != "window"):
            continue
        if any(item[0].ref.definition.start_line <= definition.start_line <= item[0].ref.definition.end_line
               and item[0].ref.definition.kind != "window" and definition.kind == "window"
               for item in chosen.get(path, ())):
            continue  # a window inside a definition already shown
        comment = comment_for(path)
        members = members_of(path, definition.name) if is_type(definition) else []
        snippet = snippet_text(lines, definition, select_members(members, used_members), comment)
        if not snippet.strip():
            continue
        head = 0 if path in chosen else len(tokenize(file_header(path, repo_format)))
        cost = len(tokenize(snippet + "\n")) + head
        if cost > remaining:  # too big: its signature alone may still fit
            short = short_text(lines, definition, select_members(members, used_members), comment)
            if short is None or short == snippet:
                continue
            snippet, cost = short, len(tokenize(short + "\n")) + head
            if cost > remaining:
                continue
        remaining -= cost
        chosen.setdefault(path, []).append((candidate, snippet, cost))
    parts, chunks = [], []
    for path, items in chosen.items():
        items.sort(key=lambda item: item[0].ref.definition.start_line)
        parts.append(file_header(path, repo_format) + "\n".join(s for _, s, _ in items) + "\n\n")
        for candidate, _, cost in items:
            d = candidate.ref.definition
            end = min(d.end_line, len(cache[path] or ())) if d.kind == "window" else d.end_line
            chunks.append({"path": path, "name": d.name, "lines": [d.start_line, end],
                           "source": candidate.source, "tokens": cost})
    return PackedContext(text=opening + "".join(parts) + header if budget > 0 else "", chunks=chunks)


def read_file(root: Path, path: str) -> str | None:
    try:
        return (root / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
