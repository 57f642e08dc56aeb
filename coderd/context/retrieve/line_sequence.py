"""A list going on: where nothing is typed on the cursor's line yet and the lines right above
it, indented as it is, each start with a name, the line likely starts with another name of
the family of the one above (its first word, declared in the same file) that the file has not
written yet, and most likely the one after it: in alphabetical order (a table kept sorted)
or in the order declared (a switch or a map over an enum, in its order).

    TypeGID:        func() RR { return new(GID) },
    |                   miekg/dns' ztypes.go: `TypeGPOS` (types.go), after TypeGID

The line hint (line_names.py) puts those names first, nearest successor first: where the line
is blank, it has no words of its own to go by. Go package names missed at 256 tokens with a
blank line: 56 of 196, 14 of them after a line starting with a name of the same first word.
On the 49 Go packages: package hits +14/+10/+2 of 1,228 at 256/512/1,024 tokens (miekg/dns
+13/+9/+2), none lost. The comment lines right above the cursor's line say what it does in
words (`comment_above`), which the line hint also goes by.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from coderd.context.index.workspace import DefinitionRef

MAX_LIST_LINES = 3  # lines above read: the nearest say what the list is
MAX_LINE_CHARS = 160
_FIRST_NAME = re.compile(r"([ \t]*)([A-Za-z_$][\w$]*)")
LAST = 1 << 20  # the rank of a name that is no successor
COMMENT_STARTS = ("#", "//", "/*", "*", "--")


def listed_above(text: str, line_start: int, indent: str) -> tuple[str, ...]:
    """The first names of the lines right above `line_start` that are indented by exactly
    `indent` (the cursor's line's, nothing else typed on it), nearest first; they stop at the
    first line that is not such."""
    names: list[str] = []
    end = line_start - 1
    while end > 0 and len(names) < MAX_LIST_LINES:
        start = line_start_before(text, end)
        match = _FIRST_NAME.match(text, start, end) if start >= 0 else None
        if match is None or match.group(1) != indent:
            break
        names.append(match.group(2))
        end = start - 1
    return tuple(names)


def successors(
    listed: tuple[str, ...], family: list[DefinitionRef], written: Callable[[str], bool]
) -> dict[str, int]:
    """Name -> its rank as what comes after `listed[0]` (1: next), for the names of `family`
    (`listed[0]`'s first word, its file) neither listed nor `written` above the cursor's line:
    the smaller of its distance after `listed[0]` in alphabetical order and in the order
    declared, those before it last. Empty when `listed[0]` is not of the family."""
    previous = listed[0]
    mine = [r for r in family if r.definition.name == previous]
    if not mine:
        return {}
    path = mine[0].path
    declared: dict[str, int] = {}
    for ref in sorted(family, key=lambda r: r.definition.start_line):
        name = ref.definition.name
        if ref.path == path and name not in declared:
            if name == previous or (name not in listed and not written(name)):
                declared[name] = len(declared)
    ranks: dict[str, int] = {}
    for order in (list(declared), sorted(declared)):
        here = order.index(previous)
        for place, name in enumerate(order):
            if name != previous:
                rank = place - here if place > here else len(order) + here - place
                ranks[name] = min(ranks.get(name, LAST), rank)
    return ranks


def comment_above(text: str, line_start: int) -> str:
    """The comment lines among the MAX_LIST_LINES lines right above `line_start` (no blank line
    between): what the code below them does, in words (goldmark's `// if code block line
    starts with a tab, keep a tab as it is` two lines above `preserveLeadingTabInCodeBlock(`)."""
    found: list[str] = []
    end = line_start - 1
    for _ in range(MAX_LIST_LINES):
        if end <= 0:
            break
        start = line_start_before(text, end)
        code = text[start:end].strip() if start >= 0 else ""
        if not code:
            break
        if code.startswith(COMMENT_STARTS):
            found.append(code)
        end = start - 1
    return "\n".join(found)


def line_start_before(text: str, end: int) -> int:
    """Where the line ending at `end` starts; -1 for a line longer than MAX_LINE_CHARS (pflag's
    190-character `case` list), which is read no further than that."""
    start = text.rfind("\n", max(0, end - MAX_LINE_CHARS), end) + 1
    return start if start or end <= MAX_LINE_CHARS else -1
