"""The lines above the cursor's line: what the nearby-identifier source and the recent-window
similarity read. Never the cursor's line itself, which the user is typing on: what is derived
from these stays the same while they type (the context block is kept byte-identical)."""

from __future__ import annotations

from coderd.context.retrieve.usage import IDENTIFIER


def window_above(text: str, offset: int, lines: int) -> str:
    """The `lines` lines above the cursor's line: never the line being typed, so what is
    derived from it stays the same while the user types."""
    end = text.rfind("\n", 0, offset) + 1
    start = end
    for _ in range(lines):
        if start == 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    return text[start:end]


def nearby_identifiers(text: str, offset: int, lines: int, skip_rows=()) -> list[str]:
    """Identifiers in the `lines` lines above the cursor's line, nearest line first; rows in
    `skip_rows` (0-based: import statements, whose `from` and names say nothing new) left out."""
    names: list[str] = []
    row = text.count("\n", 0, offset)
    for line in reversed(window_above(text, offset, lines).splitlines()):
        row -= 1
        if row in skip_rows:
            continue
        for name in IDENTIFIER.findall(line):
            if len(name) > 2 and name not in names:
                names.append(name)
    return names
