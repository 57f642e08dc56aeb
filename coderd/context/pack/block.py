"""Packing retrieved definitions into a token budget, in a model's repository format.

DeepSeek Coder was trained on repositories as files concatenated in dependency order, each
starting with a comment that holds its path. So each chunk here is `<comment> <path>` followed
by the definitions taken from that file, files in the order the current file first refers to
them, and the block ends with the current file's own path header, right before its prefix.

Models with repository tokens (Qwen2.5-Coder: `<|repo_name|>`, `<|file_sep|>`) get
`RepoFormat(file_sep=..., repo_name=...)` instead: `<|repo_name|>name\n` once, then
`<|file_sep|>path\n` before each file, the current file's included. How it is picked: the
engine finds the two tokens in the vocabulary at load (single control tokens only,
`ModelInfo.repo_tokens`); the service then asks `context_for(..., repo_format=...)` for
stand-in markers that `fim.RepoMarkers` turns into exactly those ids, so a file that spells
`<|file_sep|>` stays plain text. Qwen puts that block before `<|fim_prefix|>`, where DeepSeek's
goes right after `<｜fim▁begin｜>` (coderd/engine/fim.py's layout, `context_first`).

What goes in: candidates come best first with a score (retrieve.py), each in its smallest
form (render.py: a signature, a type's header and first members); in the same order a type
at the cursor grows a few members at a time (to TYPE_SHARE of the budget while names the
reservation does not hold wait for their line), an imported type once every name in scope
had its line, and bodies come once every candidate had its turn. So
256 tokens hold the signatures the cursor most likely uses, 2,048 bodies too. The imported
names' first lines hold their room from the start (budget.py's Reservation): a list ranked
before them grows, never into it.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from coderd.context.index.extract import Definition
from coderd.context.pack.budget import SeamCheck, reserve_lines
from coderd.context.pack.render import Forms
from coderd.context.pack.shapes import FormsMemo, comment_for, forms_for, rank_members, read_file
from coderd.context.retrieve.candidates import Candidate, is_type

__all__ = [
    "FormsMemo",
    "PackedContext",
    "RepoFormat",
    "SeamCheck",
    "comment_for",
    "pack",
    "rank_members",
    "read_file",
]

MAX_CONSIDERED = 80  # guesses looked at, best first (bounds the tokenising)
# Never cut by MAX_CONSIDERED: what the file imports and the types of the names at the cursor.
IN_SCOPE = frozenset({"import", "module", "package", "sibling", "type"})
GROW_STEP = 0.1  # a member list grows to form f after the candidates ranked up to f buckets lower
# The list of a type at the cursor (source "type": what `x.` reaches) grows four times as
# fast: a Go package's lists, ranked a little after it, took the room it needed (dev method
# recall 0.285/0.431/0.642 -> 0.293/0.488/0.642 at 256/512/1024, cobra; package -1 at 1024).
TYPE_GROW_STEP = 0.025
LATE_GROWTH = 1.0  # on the scale of candidates.RANK: where guesses start
CHARS_PER_TOKEN_MAX = 8
_WORD_RUNS = re.compile(
    r"(?<![A-Za-z0-9\x80-\U0010ffff])[A-Za-z0-9]+(?![A-Za-z0-9\x80-\U0010ffff])"
)
MAX_SHARE = 0.6  # no candidate grows past this share of the budget
# A type at the cursor grows past this share only once every name in scope had its line
# (clap's ArgMatcher took 102 of 256 tokens, pushing imported names out): bench/README.md.
TYPE_SHARE = 0.3


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


def file_header(path: str, repo_format: RepoFormat | None = None) -> str:
    return repo_format.header(path) if repo_format else f"{comment_for(path)} {path}\n"


def pack(
    candidates: list[Candidate],
    *,
    current_path: str,
    read: Callable[[str], str | None],
    members_of: Callable[[str, str], list[Definition]],
    tokenize: Callable[[str], list[int]],
    budget: int,
    used_members: dict[str, int] | None = None,
    near: frozenset[str] = frozenset(),
    earlier: frozenset[str] = frozenset(),
    repo_format: RepoFormat | None = None,
    split: Callable[[str, str], list[str]] | None = None,
    seams: SeamCheck | None = None,
    memo: FormsMemo | None = None,
    whole: Callable[[str], list[int]] | None = None,
) -> PackedContext:
    """Candidates in their smallest form (render.py), best first, and growing forms of the best
    ones interleaved (`_grow_turn`), in order of score. Grouped per file in first-reference
    order, definitions in file order. `split(path, text)`: the text's lines (the builder
    memoises them across builds; by default `text.splitlines()`). `seams`: when the joined
    block needs tokenising to be sure of its budget (None: always), by `whole` (default
    `tokenize`; the builder's `tokenize` counts a piece line by line). `memo`: the forms of a
    definition kept across builds (shapes.py; None: computed here)."""
    lines_of = split or _split_lines
    header = file_header(current_path, repo_format)
    opening = repo_format.opening() if repo_format else ""
    remaining = budget - len(tokenize(opening + header))
    chosen: dict[str, list[list]] = {}  # path -> [[candidate, forms, form, cost, rank]]
    items: dict[int, list] = {}
    cache: dict[str, list[str] | None] = {}
    turns = [(c.score, rank, 0) for rank, c in enumerate(candidates) if _considered(c, rank)]
    heapq.heapify(turns)

    def shapes_of(rank: int) -> Forms:
        if rank not in shaped:
            shaped[rank] = forms_for(
                candidates[rank],
                cache,
                read,
                lines_of,
                members_of,
                (used_members, near, earlier),
                chosen,
                memo,
            )
        return shaped[rank]

    shaped: dict[int, Forms] = {}
    # TYPE_SHARE protects the names' lines the reservation does not hold: imported ones past
    # it, a Go package's (eleven sets, against always: method 0/+5/+3, module 0/0/-1).
    packages = any(c.source in ("package", "sibling") for c in candidates)
    reserve = reserve_lines(
        candidates,
        shapes_of,
        lambda text: _cost(tokenize, text),
        lambda path: _header_cost(tokenize, path, repo_format),
        remaining,
    )
    capped = packages or not reserve.complete
    while turns and remaining > 0:
        turn, rank, form = heapq.heappop(turns)
        free = remaining - reserve.pending  # what is not held for an imported name's line
        if form:  # grow an item already in
            item = items[rank]
            early = turn < LATE_GROWTH and (item[0].source == "type" or item[0].typed) and capped
            share = TYPE_SHARE if early else MAX_SHARE
            room = min(free, share * budget - item[3]) + item[3]  # for the whole item
            over = _surely_over(item[1][form], int(room))
            extra = (
                0 if over else _cost(tokenize, item[1][form]) - _cost(tokenize, item[1][item[2]])
            )
            if not over and extra <= free and item[3] + extra <= share * budget:
                remaining -= extra
                item[2], item[3] = form, item[3] + extra
            elif early:  # past its early share: the rest once every name in scope had its line
                heapq.heappush(turns, (turn + LATE_GROWTH, rank, form))
                continue
            elif over:
                continue  # a bigger form fits even less
            if form + 1 < len(item[1]):
                heapq.heappush(
                    turns, (_grow_turn(item[0], rank, form + 1, item[1]), rank, form + 1)
                )
            continue
        candidate = candidates[rank]
        shapes, path = shapes_of(rank), candidate.ref.path
        room = remaining if reserve.holds(rank) else free
        if not shapes or _surely_over(shapes[0], room):
            continue
        # A new file: its header, and the blank line that closes its part.
        head = 0 if path in chosen else _header_cost(tokenize, path, repo_format)
        cost = _cost(tokenize, shapes[0]) + head
        if cost <= room:
            remaining -= cost
            reserve.placed(rank, path)
            items[rank] = [candidate, shapes, 0, cost, rank]
            chosen.setdefault(path, []).append(items[rank])
            if len(shapes) > 1:
                heapq.heappush(turns, (_grow_turn(candidate, rank, 1, shapes), rank, 1))
    if budget <= 0:
        return PackedContext(text="")
    packed = _render(chosen, cache, opening, header, repo_format)
    # Pieces were counted one by one; joined, the tokenizer may merge or split at their seams.
    # The block must never pass its budget (the prompt's sizes rely on it): drop the least
    # ranked pieces until it fits (one tokenisation of the block; rarely more than one drop).
    if seams is not None and not seams.due():
        return packed  # this tokenizer's pieces have always added up exactly
    whole = whole or tokenize
    joined = len(whole(packed.text))
    if seams is not None:
        seams.saw(joined == budget - remaining)
    while joined > budget and items:
        worst = items.pop(max(items))
        kept = [i for i in chosen[worst[0].ref.path] if i is not worst]
        chosen[worst[0].ref.path] = kept
        if not kept:
            del chosen[worst[0].ref.path]
        packed = _render(chosen, cache, opening, header, repo_format)
        joined = len(whole(packed.text))
    return packed


def _render(chosen, cache, opening: str, header: str, repo_format) -> PackedContext:
    """The block: each file's header then its chosen pieces in file order, files in the order
    they were first chosen, the current file's header last."""
    parts, chunks = [], []
    for path, found in chosen.items():
        found.sort(key=lambda item: item[0].ref.definition.start_line)
        parts.append(file_header(path, repo_format) + "\n".join(i[1][i[2]] for i in found) + "\n\n")
        for candidate, shapes, form, cost, _ in found:
            d = candidate.ref.definition
            end = min(d.end_line, len(cache[path] or ())) if d.kind == "window" else d.end_line
            chunk = {
                "path": path,
                "name": d.name,
                "lines": [d.start_line, end],
                "source": candidate.source,
                "tokens": cost,
            }
            if shapes.shown and shapes.shown[form]:
                chunk["members"] = shapes.member_lines(form)
            chunks.append(chunk)
    return PackedContext(text=opening + "".join(parts) + header, chunks=chunks)


def _header_cost(tokenize, path: str, repo_format) -> int:
    """A file's header and the blank line that closes its part."""
    return len(tokenize(file_header(path, repo_format))) + 1


def _considered(candidate: Candidate, rank: int) -> bool:
    """What the file imports is always looked at (a cap must not make a name unreachable at
    any budget); guesses and windows only among the first MAX_CONSIDERED."""
    return rank < MAX_CONSIDERED or candidate.source in IN_SCOPE


def _cost(tokenize: Callable[[str], list[int]], text: str) -> int:
    """Tokens of `text` and its newline (one tokenizer call: llama.cpp's costs a fixed
    fraction of a millisecond each, whatever the length; the caller memoises)."""
    return len(tokenize(text + "\n"))


def _surely_over(text: str, room: int) -> bool:
    """Whether `text` cannot fit in `room` tokens, without tokenising it: code runs at three
    to four characters a token, never more than CHARS_PER_TOKEN_MAX; and each run of ASCII
    letters and digits is a token at least (DeepSeek's pre-tokenizer splits at its ends; a
    run next to a non-ASCII character is not counted: `café` may be one piece). With 300
    imported names and a few tokens left, each name's line was tokenised to find it did not
    fit: 161 tokenizer calls in itertools' first build at 256 tokens."""
    return len(text) > room * CHARS_PER_TOKEN_MAX or (
        len(text) > room and len(_WORD_RUNS.findall(text)) > room
    )


def _split_lines(path: str, text: str) -> list[str]:
    return text.splitlines()


def _grow_turn(candidate: Candidate, rank: int, form: int, shapes: Forms) -> float:
    """When growing to `form` (of `forms`) comes, on the scale of the candidates' scores. More
    members of a type can show what the cursor is about to use: soon (GROW_STEP score units
    per form). A body instead of a signature adds no new name (a type's last form is its head
    with fields and docstring): after every candidate had its turn."""
    definition = candidate.ref.definition
    last = form == len(shapes) - 1
    if definition.kind == "skeleton" or (candidate.members and not (last and shapes.head_last)):
        step = TYPE_GROW_STEP if candidate.source == "type" or candidate.typed else GROW_STEP
        turn = candidate.score + step * form  # a list chosen for the cursor (members.py)
        if candidate.source == "import" and not candidate.typed:  # an imported type's list:
            turn = max(turn, LATE_GROWTH)  # after every name in scope had its line (#13)
        return turn
    if is_type(definition) and not last:  # an imported type's members: after every
        return LATE_GROWTH + candidate.score + GROW_STEP * form  # name in scope had its line
    return 1000.0 + rank + MAX_CONSIDERED * form
