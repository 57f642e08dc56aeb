"""Where a problem sits in a TOML config file: the line of a [section] or key, and tomllib's
error message split into its text and line (settings.py reports both: `config.toml:12: ...`).

Lines come from scanning the text for `[section]` headers and `key =` lines; that misses keys
set through inline tables and can be fooled by multi-line strings, which is good enough for
pointing at a typo.
"""

from __future__ import annotations

import re


class KeyLines:
    """Finds the line of a [section] or key in TOML text by scanning headers and `key =`."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
    _ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")

    def __init__(self, text: str) -> None:
        self.headers: dict[str, int] = {}
        self.keys: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            if header := self._HEADER.match(line):
                table = self._split(header.group(1))
                self.headers.setdefault(".".join(table), number)
            elif assignment := self._ASSIGNMENT.match(line):
                self.keys.setdefault(table + self._split(assignment.group(1)), number)

    @staticmethod
    def _split(dotted: str) -> tuple[str, ...]:
        return tuple(part.strip().strip("\"'") for part in dotted.split("."))

    def line_of(self, section: str, key: str | None) -> int | None:
        if key is not None:
            return self.keys.get((section, key))
        if section in self.headers:
            return self.headers[section]
        # `section = ...` or `section.key = ...` written at the top level
        return min((n for path, n in self.keys.items() if path[0] == section), default=None)


def describe_toml_error(exc: Exception) -> tuple[str, int | None]:
    """(message without the position, line): tomllib writes "... (at line N, column M)"."""
    text = str(exc)
    position = re.search(r"\s*\(at line (\d+), column (\d+)\)", text)
    if position is None:
        return text, getattr(exc, "lineno", None)
    message = text[: position.start()] + text[position.end() :]
    return f"{message} (column {position.group(2)})", int(position.group(1))
