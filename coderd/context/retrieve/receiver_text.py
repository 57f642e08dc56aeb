"""The receiver expression right before the cursor, read off the text: `ctx.`, `cmd.Root().Fl`,
`Number::`, and a chain going on at a line's start (`    .map(` under `items.iter()`).

Only the text before the cursor is read, and only its last MAX_RECEIVER_CHARS characters: the
receiver's type and members are receiver.py's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters before the cursor looked at: a longer receiver expression is not one to type, and
# a minified line of 100 KB must not cost a search from each of its characters.
MAX_RECEIVER_CHARS = 160
_INNERMOST_CALL = re.compile(r"\([^()]*\)")
_CONTINUED = re.compile(r"[ \t]*(\.|\?\.)([A-Za-z_$][\w$]*)?")  # a line going on with a chain
# `a.b(c).d::` and the like right before the cursor, the partial member name after it: the
# receiver, its separator and what was typed of the member.
_RECEIVER = re.compile(
    r"((?:[A-Za-z_$][\w$]*(?:\([^()]*\))?)(?:(?:\.|::|\?\.)[A-Za-z_$][\w$]*(?:\([^()]*\))?)*)"
    r"(\.|::|\?\.)([A-Za-z_$][\w$]*)?$"
)


@dataclass(frozen=True)
class Receiver:
    expression: str  # as written: `ctx`, `cmd.Root()`, `Number`
    end: int  # offset right after its separator: the hint depends on the text before it
    typed: str  # the member's name as typed so far ("" right after the separator)


def receiver_at(text: str, offset: int) -> Receiver | None:
    """The receiver expression the cursor is completing a member of, if any."""
    line_start = text.rfind("\n", max(0, offset - MAX_RECEIVER_CHARS), offset) + 1
    start = max(line_start, offset - MAX_RECEIVER_CHARS)
    window = _collapsed(text[start:offset])
    found = _RECEIVER.search(window)
    if found is None:
        return _continued(text, line_start, offset)
    if found.start(1) > 0 and window[found.start(1) - 1] in "\"'`":
        return None  # inside a string's first word
    if found.start(1) == 0 and start > line_start:
        return None  # longer than what was looked at: its start is cut off
    typed = found.group(3) or ""
    return Receiver(found.group(1), offset - len(typed), typed)


def _collapsed(text: str) -> str:
    """`text` with each call's arguments, innermost first, collapsed to `()`: a chain whose
    calls take closures or calls (rayon's `.inspect(|x| f(x))`, `foo(bar(x)).baz.`) reads
    as `a.inspect().b`, which the receiver's pattern and the type inference take; an open
    parenthesis with no close stays."""
    while True:
        shorter = _INNERMOST_CALL.sub("\0", text)
        if shorter == text:
            return text.replace("\0", "()")
        text = shorter


def _continued(text: str, line_start: int, offset: int) -> Receiver | None:
    """A chain going on at the start of a line (`    .enumerate()`, `  ?.then(`): the receiver
    is the expression the lines above end with, those lines joined as one."""
    found = _CONTINUED.fullmatch(text, line_start, offset)
    if found is None:
        return None
    pieces: list[str] = []
    end = line_start - 1  # the line break before the cursor's line
    while True:
        if end <= 0 or sum(map(len, pieces)) >= MAX_RECEIVER_CHARS:
            return None  # the chain's start is not within what is looked at
        start = text.rfind("\n", max(0, end - MAX_RECEIVER_CHARS), end) + 1
        if start == 0 and end > MAX_RECEIVER_CHARS:
            return None  # a line longer than what is looked at
        line = text[start:end].strip()
        pieces.insert(0, line)
        if not line.startswith((".", "?.")):
            break
        end = start - 1
    joined = "".join(pieces)
    if not joined or joined.startswith(".") or len(joined) > MAX_RECEIVER_CHARS:
        return None  # nothing above, or a chain going on from a blank line
    joined = _collapsed(joined) + found.group(1)
    receiver = _RECEIVER.search(joined)
    if receiver is None or receiver.start(1) and joined[receiver.start(1) - 1] in "\"'`":
        return None
    typed = found.group(2) or ""
    return Receiver(receiver.group(1), offset - len(typed), typed)
