"""The receiver's members (retrieve/receiver.py) as comment lines for right above the cursor's
line: the receiver hint; where a bare name is typed, the names its line points at
(retrieve/line_names.py, `render_names`): the line hint.

    x = ctx.            becomes, in the prompt only:     # ctx: Context (click/core.py)
                                                         #   def invoke(self, callback, ...):
                                                         #   def forward(self, cmd, ...):
                                                         x = ctx.
    YAML = |            becomes:                         // binding/yaml.go: type yamlBinding struct{}
                                                         YAML =

Comments in the file's own syntax, indented as the cursor's line, so the prompt still reads as
the file's code; each member on one line, as the context block lists members (render.py
`member_line`). It sits inside the prefix, not in the block at its head: only the hint and the
cursor's line are evaluated when it appears or changes, everything above stays in the KV cache
(prompt/builder.py). Its tokens are counted with the model's tokenizer and never pass `budget`.
A member that the context block of the same prompt already lists is left out (`BlockShown`),
and the next one takes its room: the two never show a member twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from coderd.context.index.workspace import DefinitionRef
from coderd.context.pack.render import header_line, member_line
from coderd.context.pack.shapes import comment_for
from coderd.context.retrieve.receiver import ReceiverMembers

MEMBER_INDENT = "  "  # a member under its type's line, after the comment marker
MAX_TYPED = 3  # members matching what was typed of the name, put in for the list's last lines


@dataclass(frozen=True)
class ReceiverHint:
    text: str  # whole comment lines, each ending with a line break
    ids: tuple[int, ...]  # `text` tokenised: what goes into the prompt
    chunks: tuple[dict, ...]  # path, lines, name, source "receiver": one per member shown
    guessed: bool = False  # the receiver's type is a guess from its name (receiver.py)


@dataclass(frozen=True)
class BlockShown:
    """What the context block of the same prompt shows: the hint leaves out a member the block
    already lists, and shows the next one in its place."""

    text: str  # the block as packed
    spans: frozenset[tuple[str, int, int]]  # path, first and last line of what a chunk covers

    @classmethod
    def of(cls, text: str, chunks) -> BlockShown:
        spans = set()
        for chunk in chunks:
            path = str(chunk["path"])
            for first, last in (chunk["lines"], *chunk.get("members", ())):
                spans.add((path, int(first), int(last)))
        return cls(text, frozenset(spans))

    def shows(self, path: str, line: int, header: str) -> bool:
        """A chunk of `path` spans `line` and the block has its `header` line (a body's
        opening brace aside: a listed member stops before it)."""
        return (
            any(p == path and first <= line <= last for p, first, last in self.spans)
            and header.strip().removesuffix("{").rstrip() in self.text
        )


NOTHING_SHOWN = BlockShown("", frozenset())


@dataclass(frozen=True)
class _Line:
    text: str
    count: Callable[[str], list[int]] = field(compare=False, repr=False)  # the tokenizer
    group: int = 0  # which of the receiver's types it belongs to
    chunk: dict | None = None  # a member's; None for its type's line
    names: bool = False  # a line naming the type's variants or fields, no definitions

    @cached_property
    def tokens(self) -> int:
        """Counted when a choice needs it: a module re-exporting 300 functions has 300 lines
        and a hint 10-20 (pydash: 110 ms a hint when every line was counted)."""
        return len(self.count(self.text))


def render_hint(
    found: ReceiverMembers,
    *,
    current_path: str,
    indent: str,
    lines_of: Callable[[str], list[str] | None],
    tokenize: Callable[[str], list[int]],
    budget: int,
    typed: str = "",
    shown: BlockShown = NOTHING_SHOWN,
) -> ReceiverHint | None:
    """The hint in at most `budget` tokens: each type's line, an enum's variants, its best
    members, then the names of its fields where room is left; None when nothing fits under a
    type's line.
    `lines_of(path)`: a file's lines (its open buffer's, if any).

    `typed`, what the user typed of the member's name: members starting with it that the list
    does not show replace its last lines (at most MAX_TYPED). The lines before stay as they
    were, so only the changed end of the hint and the cursor's line are evaluated again."""
    heads, members = _lines(found, comment_for(current_path), indent, lines_of, tokenize, shown)
    chosen = _best(heads, members, budget)
    if typed:
        wanted = [m for m in members if m not in chosen and _starts(m, typed)][:MAX_TYPED]
        if wanted:
            chosen = _with_typed(heads, chosen, wanted, budget)
    while any(line.chunk or line.names for line in chosen):
        text = "".join(line.text for line in chosen)
        ids = tokenize(text)
        if len(ids) <= budget:  # pieces counted line by line may not add up exactly
            chunks = tuple(line.chunk for line in chosen if line.chunk is not None)
            return ReceiverHint(text, tuple(ids), chunks, found.guessed)
        _drop_last(chosen)
    return None


def render_names(
    refs: list[DefinitionRef],
    *,
    current_path: str,
    indent: str,
    lines_of: Callable[[str], list[str] | None],
    tokenize: Callable[[str], list[int]],
    budget: int,
    shown: BlockShown = NOTHING_SHOWN,
) -> ReceiverHint | None:
    """The line hint (retrieve/line_names.py) in at most `budget` tokens: each name's line
    after its file, best first, those the block shows left out; None when none fits."""
    comment = comment_for(current_path)
    chosen: list[tuple[str, dict]] = []
    used = 0
    for ref in refs:
        source, d = lines_of(ref.path), ref.definition
        if not source or d.start_line > len(source):
            continue
        if shown.spans and shown.shows(ref.path, d.start_line, header_line(source, d)):
            continue
        text = f"{indent}{comment} {ref.path}: {member_line(source, d).strip()}\n"
        cost = len(tokenize(text))
        if "\x00" in text or used + cost > budget:
            continue
        chunk = {"path": ref.path, "lines": [d.start_line, d.end_line], "name": d.name}
        chosen.append((text, chunk | {"source": "line"}))
        used += cost
    while chosen:
        text = "".join(line for line, _ in chosen)
        ids = tokenize(text)
        if len(ids) <= budget:  # pieces counted line by line may not add up exactly
            return ReceiverHint(text, tuple(ids), tuple(chunk for _, chunk in chosen))
        chosen.pop()
    return None


def _lines(found, comment, indent, lines_of, tokenize, shown) -> tuple[list[_Line], list[_Line]]:
    """Each type's line, and every member's line (by type, best first), counted when asked."""
    heads, members = [], []
    for group, (owner, ranked) in enumerate(found.groups):
        head = f"{indent}{comment} {found.receiver.expression}: "
        head += f"{owner.definition.name} ({owner.path})\n"
        heads.append(_Line(head, tokenize, group))
        variants = found.variants[group] if group < len(found.variants) else ()
        if variants:  # `Class::` goes on with a variant more often than with a method
            text = f"{indent}{comment} {MEMBER_INDENT}variants: {', '.join(variants)}\n"
            members.append(_Line(text, tokenize, group, names=True))
        for member in ranked:
            source = lines_of(member.path)
            d = member.definition
            if not source or d.start_line > len(source):
                continue
            # Its own line, past decorators: a shown `@property` says nothing of the others.
            if shown.spans and shown.shows(member.path, d.start_line, header_line(source, d)):
                continue
            text = f"{indent}{comment} {MEMBER_INDENT}{member_line(source, d).strip()}\n"
            if "\x00" in text:  # never a repository-token stand-in (engine/fim.py) in a prompt
                continue
            chunk = {
                "path": member.path,
                "lines": [d.start_line, d.end_line],
                "name": d.name,
                "source": "receiver",
            }
            members.append(_Line(text, tokenize, group, chunk))
        fields = found.fields[group] if group < len(found.fields) else ()
        if fields:  # names, not definitions: after the members, where room is left
            text = f"{indent}{comment} {MEMBER_INDENT}fields: {', '.join(fields)}\n"
            members.append(_Line(text, tokenize, group, names=True))
    return heads, members


def _best(heads: list[_Line], members: list[_Line], budget: int) -> list[_Line]:
    """Each type's best members that fit, its line first (an enum's variants first, the
    fields last)."""
    chosen: list[_Line] = []
    used, full = 0, set()
    for line in members:
        if line.group in full:
            continue
        opened = any(c.group == line.group for c in chosen)
        need = line.tokens + (0 if opened else heads[line.group].tokens)
        if used + need > budget:
            full.add(line.group)  # best first: the rest of this type waits for no gap
            continue
        chosen += [line] if opened else [heads[line.group], line]
        used += need
    return chosen


def _with_typed(
    heads: list[_Line], chosen: list[_Line], wanted: list[_Line], budget: int
) -> list[_Line]:
    """`chosen` with `wanted` at its end, its last lines dropped until they fit."""
    kept = list(chosen)
    while True:
        tail, group = [], kept[-1].group if kept else -1
        for line in wanted:
            if line.group != group:
                tail.append(heads[line.group])
                group = line.group
            tail.append(line)
        if sum(line.tokens for line in kept + tail) <= budget:
            return kept + tail
        if not kept:
            return chosen
        _drop_last(kept)


def _drop_last(lines: list[_Line]) -> None:
    """Drop the last line, and a type's line left with nothing under it."""
    lines.pop()
    while lines and lines[-1].chunk is None and not lines[-1].names:
        lines.pop()


def _starts(line: _Line, typed: str) -> bool:
    return line.chunk is not None and str(line.chunk["name"]).lower().startswith(typed.lower())
