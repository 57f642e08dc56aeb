"""Which names come next, elsewhere, after what the cursor's line says before the name being
typed: the line hint's first ranking signal (line_names.py), and the first order of a
receiver's members, which the line's words and expected result then refine (receiver.py:
`if not cmd.` goes on as it does in the files like this one).

    out, _ := |      pflag's bool_slice.go: its siblings write `out, _ := writeAsCSV(...)`
    toInsert = &|    go-toml's parser.go: `toInsert = &tomlValue{...}` a few lines up

The line's last tokens (at most MAX_CONTEXT, a line's start counting as one: `h = ` is "a
line that starts `h =`") are looked for in the rest of this file and in the folder's files
most like it (similar.py's measure, MAX_NEIGHBOURS of them), and each name written right after
them counts; a name found after more of them outranks one found after fewer. One token (`(`,
`return` in the middle of a line) is followed by too many names to say which, and counts for
nothing. Code repeats itself (a package's helpers are called the same way in file after file):
Go package names +38/+21/+3 of 988 samples at 256/512/1,024 tokens on all sets, imported
names +24/+5/0 of 3,483, none lost; methods +22/+19/+15 of 2,469.

What is looked at depends on the text before the name being typed and the text after the
cursor's line, as the hint does (hints.py keeps it while those stay the same).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.retrieve.similar import most_similar

MAX_CONTEXT = 3
MIN_CONTEXT = 2
# Files; each costs one regular-expression scan of its text per hint. Sixteen: method -8/-8/+1
# on all sets (the less alike add names that follow by chance).
MAX_NEIGHBOURS = 8
MAX_LINE_CHARS = 160  # of the line before the name (as line_names.py)
LINE_START = "^"
# Operators of two characters are one token (`:=` is not `:` then `=`), the rest one character.
_TOKEN = re.compile(r"[A-Za-z_$][\w$]*|\d[\w.]*|:=|==|!=|<=|>=|->|=>|::|&&|\|\||\+=|-=|\S")
_NAME = r"([A-Za-z_$][\w$]*)"
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def context_of(line: str) -> tuple[str, ...]:
    """The last MAX_CONTEXT tokens of `line`, LINE_START first when the line has fewer."""
    return (LINE_START, *_TOKEN.findall(line[-MAX_LINE_CHARS:]))[-MAX_CONTEXT:]


def followers(
    index: WorkspaceIndex,
    rel: str,
    text: str,
    end: int,
    text_of: Callable[[str], str | None],
) -> dict[str, tuple[int, int]]:
    """name -> (how many tokens before `end` precede it elsewhere, how often), for the names
    found after at least MIN_CONTEXT of them; `text_of` gives a file's text (its buffer's)."""
    line_start = text.rfind("\n", 0, end) + 1
    context = context_of(text[line_start:end])
    if len(context) < MIN_CONTEXT:
        return {}
    line_end = text.find("\n", end)
    # This file without the cursor's line: what is typed there must not count.
    texts = [text[:line_start] + (text[line_end:] if line_end >= 0 else "")]
    for file in most_similar(index, rel, MAX_NEIGHBOURS):
        found = text_of(file)
        if found:
            texts.append(found)
    # One scan a text for the shortest context that counts; each match then checks how many
    # of the tokens before those precede it. A pattern that starts with a literal is searched
    # for fast, so word boundaries and line starts are checked here, not in the pattern.
    head, tail = context[:-MIN_CONTEXT], context[-MIN_CONTEXT:]
    pattern = _pattern(tail)
    counts: dict[str, tuple[int, int]] = {}
    for found in texts:
        for match in pattern.finditer(found):
            if not _begins(found, match.start(), tail[0]):
                continue
            level = MIN_CONTEXT + _preceding(found, match.start(), head)
            name = match.group(1)
            old_level, seen = counts.get(name, (level, 0))
            if level > old_level:  # found after more tokens: those count, not fewer
                counts[name] = (level, 1)
            elif level == old_level:
                counts[name] = (level, seen + 1)
    return counts


def _pattern(tokens: tuple[str, ...]) -> re.Pattern[str]:
    """`_ :=` -> a name after those tokens, spaces or tabs between them (a line's start is
    checked by _begins)."""
    parts = [
        re.escape(t) + (r"(?![\w$])" if _is_word(t) else "") for t in tokens if t != LINE_START
    ]
    return re.compile(r"[ \t]*".join(parts) + r"[ \t]*" + _NAME)


def _begins(text: str, start: int, token: str) -> bool:
    """Whether a match at `start` begins at `token`'s start: no word before a word; only
    spaces or tabs before it on its line for LINE_START."""
    if token == LINE_START:
        return _at_line_start(text, start)
    return not (
        _is_word(token) and start and (text[start - 1].isalnum() or text[start - 1] in "_$")
    )


def _preceding(text: str, start: int, tokens: tuple[str, ...]) -> int:
    """How many of `tokens`, last first, precede `start` (spaces and tabs between)."""
    count = 0
    for token in reversed(tokens):
        if token == LINE_START:
            return count + _at_line_start(text, start)
        window = text[max(0, start - MAX_LINE_CHARS) : start]
        before = window.rstrip(" \t")
        if not before.endswith(token):
            return count
        start -= len(window) - len(before) + len(token)
        if not _begins(text, start, token):
            return count
        count += 1
    return count


def _at_line_start(text: str, start: int) -> bool:
    """Only spaces or tabs before `start` on its line."""
    return not text[text.rfind("\n", 0, start) + 1 : start].strip(" \t")


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] in "_$"


def shape(name: str) -> tuple[str, str] | None:
    """`NewListParser` -> ("new", "parser"): a name's first and last words (None for one)."""
    words = _WORD.findall(name)
    return (words[0].lower(), words[-1].lower()) if len(words) >= 2 else None


def first_word(name: str) -> str:
    """`TypeGPOS` -> "type", `ShellCompDirectiveError` -> "shell"; "" for no word."""
    words = _WORD.findall(name)
    return words[0].lower() if words else ""


def shapes(follows: dict[str, tuple[int, int]]) -> dict[tuple[str, str], int]:
    """The shapes of the names that follow (`followers`), each with its highest level: a name
    of the same shape that follows nowhere yet is likely next (goldmark's parser list goes on
    `util.Prioritized(NewListParser(), 300)` below `NewSetextHeadingParser()`)."""
    found: dict[tuple[str, str], int] = {}
    for name, (level, _) in follows.items():
        key = shape(name)
        if key is not None:
            found[key] = max(found.get(key, 0), level)
    return found
