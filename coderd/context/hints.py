"""The hint for right above the cursor's line, inside the prefix (pack/hint.py renders it):

- after a receiver (`ctx.`, `Number::`), the members of its type (retrieve/receiver.py);
- where a bare name is typed, the names its line points at (retrieve/line_names.py):
  `YAML = ` gets gin's `yamlBinding`.

Each is kept per document (`Hints`, the builder's) while what it was made from stays the same:
the text before the receiver's separator or before the name being typed, the text after the
cursor's line, the rest of the index and the budget. Typing the member's or the name's
characters keeps it (a receiver's members starting with what was typed replace its last
lines); a new block beside it re-renders it from what was found, without looking it up again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coderd.context.index.memos import Lru
from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.pack.hint import BlockShown, ReceiverHint, render_hint, render_names
from coderd.context.retrieve.infer_parse import ParseMemo
from coderd.context.retrieve.line_follows import followers
from coderd.context.retrieve.line_names import WrittenAbove, line_names, name_at
from coderd.context.retrieve.receiver import ReceiverMembers, receiver_members
from coderd.context.retrieve.receiver_text import Receiver
from coderd.context.retrieve.scope import scope_of
from coderd.context.retrieve.skeletons import near_words

# Per document: what the hint was made from, what was found (a receiver's members, or the
# names a line points at), what was typed and the block beside it, the hint.
Found = ReceiverMembers | list[DefinitionRef] | None
Hints = Lru[str, tuple[tuple, Found, tuple, ReceiverHint | None]]


@dataclass(frozen=True)
class HintInput:
    index: WorkspaceIndex
    rel: str
    text: str
    offset: int
    lines_of: Callable[[str], list[str] | None]  # a file's lines (its open buffer's, if any)
    text_of: Callable[[str], str | None]  # a file's text (the same)
    tokenize: Callable[[str], list[int]]  # the model's, its counts memoised
    budget: int
    shown: BlockShown  # what the context block beside it shows: left out of the hint


def receiver_hint(
    kept: Hints, key: str, given: HintInput, receiver: Receiver, parse: ParseMemo
) -> ReceiverHint | None:
    """The receiver's members; None when its type is not known."""
    text, offset = given.text, given.offset
    look = (receiver.typed, given.shown)
    cached, signature = _kept(kept, key, given, receiver.end, "receiver")
    if cached is not None and cached[2] == look:
        return cached[3]
    found = (
        cached[1]
        if cached is not None
        else receiver_members(
            given.index,
            given.rel,
            text,
            receiver,
            near_words(text, offset),
            parse,
            given.text_of,
        )
    )
    hint = None
    if isinstance(found, ReceiverMembers):
        hint = render_hint(
            found,
            current_path=given.rel,
            indent=_indent(text, offset),
            lines_of=given.lines_of,
            tokenize=given.tokenize,
            budget=given.budget,
            typed=receiver.typed,
            shown=given.shown,
        )
    return _keep(kept, key, cached, signature, found, look, hint)


def line_hint(kept: Hints, key: str, given: HintInput) -> ReceiverHint | None:
    """The names the line points at; None where no bare name is typed, or none shares a word
    with the line."""
    at = name_at(given.text, given.offset)
    if at is None:
        return None
    look = ("", given.shown)
    cached, signature = _kept(kept, key, given, at.end, "line")
    if cached is not None and cached[2] == look:
        return cached[3]
    found = cached[1] if cached is not None else None
    if not isinstance(found, list):
        index, rel = given.index, given.rel
        symbols = index.file(rel)
        scope = scope_of(index, rel, symbols, symbols.language if symbols else "")
        follows = followers(index, rel, given.text, at.end, given.text_of)
        above = WrittenAbove(given.text, at.end, symbols.imports if symbols else ())
        found = line_names(index, rel, scope, at, follows, above)
    hint = render_names(
        found,
        current_path=given.rel,
        indent=_indent(given.text, at.end),
        lines_of=given.lines_of,
        tokenize=given.tokenize,
        budget=given.budget,
        shown=given.shown,
    )
    return _keep(kept, key, cached, signature, found, look, hint)


def _kept(kept: Hints, key: str, given: HintInput, end: int, kind: str):
    """The document's kept hint if made from the same text before `end` (and the rest), and
    the signature of what this one is made from."""
    line_end = given.text.find("\n", given.offset)
    signature = (
        kind,
        given.index.identity,
        given.index.generation_without(given.rel),
        given.budget,
        given.text[:end],
        given.text[line_end:] if line_end >= 0 else "",
    )
    cached = kept.get(key)
    return (cached if cached is not None and cached[0] == signature else None), signature


def _keep(kept: Hints, key: str, cached, signature, found: Found, look, hint):
    if cached is not None and hint is not None and hint == cached[3]:
        hint = cached[3]  # the same lines: the very same hint
    kept.put(key, (signature, found, look, hint))
    return hint


def _indent(text: str, offset: int) -> str:
    line = text[text.rfind("\n", 0, offset) + 1 : offset]
    return line[: len(line) - len(line.lstrip())]
