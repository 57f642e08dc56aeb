"""A list going on: where the lines right above the cursor's, indented as it is, each have a
name where the cursor is (their first name on a blank line; the name after the text the
cursor's line has so far, as `t.prepareKey(` under `t.prepareKey(KeyF24, ti.KeyF24)`), the
line likely names another of the family of the one above (its first word, declared in the
same file; or, for a name the file imports, the names it imports) that the file has not
written yet, and most likely the one after it: in alphabetical order (a table kept sorted)
or in the order declared or imported (a switch or a map over an enum, in its order).

    TypeGID:        func() RR { return new(GID) },
    |                   miekg/dns' ztypes.go: `TypeGPOS` (types.go), after TypeGID

The line hint (line_names.py) puts those names first, nearest successor first: where the line
is blank, it has no words of its own to go by. Go package names missed at 256 tokens with a
blank line: 56 of 196, 14 of them after a line starting with a name of the same first word.
On the 49 Go packages: package hits +14/+10/+2 of 1,228 at 256/512/1,024 tokens (miekg/dns
+13/+9/+2), none lost. Lines written as the ones above so far, and lists of imported names
(astroid's `ALL_NODE_CLASSES` tuple: `GeneratorExp` after `FunctionDef,`, imported from
another file): imported names +13/+9/+9 of 5,289 (astroid +9/+9/+9, a sample below the naive
list at 1,024 before), package +10/+1/0 of 1,658 (tcell's keys), none lost. The comment lines
right above the cursor's line say what it does in words (`comment_above`), which the line
hint also goes by.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from coderd.context.index.workspace import DefinitionRef

MAX_LIST_LINES = 3  # lines above read: the nearest say what the list is
MAX_LINE_CHARS = 160
_FIRST_NAME = re.compile(r"([ \t]*)([A-Za-z_$][\w$]*)")
_LITERAL = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|(?<![\w$])\d[\w.]*")
LAST = 1 << 20  # the rank of a name that is no successor
COMMENT_STARTS = ("#", "//", "/*", "*", "--")


def listed_above(text: str, line_start: int, line: str) -> tuple[str, ...]:
    """The names the lines right above `line_start` have where the cursor's line (`line`: its
    text before the name being typed) is: on a blank line, their first names; else the name
    each has right after the text this line has so far (literals and spaces aside), as
    tcell's `t.prepareKey(` under `t.prepareKey(KeyF24, ti.KeyF24)`. Nearest first; they stop
    at the first line indented otherwise or written otherwise."""
    indent = line[: len(line) - len(line.lstrip())]
    so_far = _plain(line)
    names: list[str] = []
    end = line_start - 1
    while end > 0 and len(names) < MAX_LIST_LINES:
        start = line_start_before(text, end)
        above = text[start:end] if start >= 0 else ""
        if not above.startswith(indent) or above[len(indent) : len(indent) + 1].isspace():
            break
        name = _name_after(so_far, above)
        if not name:
            break
        names.append(name)
        end = start - 1
    return tuple(names)


def _name_after(so_far: str, above: str) -> str:
    """The name `above` has right after `so_far` (both read as `_plain`), or ""."""
    plain = _plain(above)
    if not so_far:  # a blank line: the line's first name
        match = _FIRST_NAME.match(plain)
        return match.group(2) if match else ""
    if not plain.startswith(so_far):
        return ""
    rest = plain[len(so_far) :]
    if so_far[-1:].isalnum() and rest[:1] not in ("", " "):
        return ""  # the line's last word goes on there: another word
    match = _FIRST_NAME.match(rest)
    return match.group(2) if match else ""


def _plain(code: str) -> str:
    """`code` with its string, character and number literals alike and its spaces single:
    `'0': ` reads as `'.': RuneDArrow,` starts."""
    return " ".join(_LITERAL.sub("0", code).split())


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
    declared = sorted((r for r in family if r.path == path), key=lambda r: r.definition.start_line)
    return ranked_after(listed, [r.definition.name for r in declared], written)


def ranked_after(
    listed: tuple[str, ...], order: list[str], written: Callable[[str], bool]
) -> dict[str, int]:
    """Name -> its rank as what comes after `listed[0]` among `order` (names in the order they
    are declared or imported), as `successors` ranks them; empty when it is not there."""
    previous = listed[0]
    kept = [n for n in dict.fromkeys(order) if n == previous or n not in listed and not written(n)]
    if previous not in kept:
        return {}
    ranks: dict[str, int] = {}
    for each in (kept, sorted(kept)):
        here = each.index(previous)
        for place, name in enumerate(each):
            if name != previous:
                rank = place - here if place > here else len(each) + here - place
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
