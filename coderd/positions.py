"""Every conversion between LSP positions and offsets into a Python string happens here.

LSP counts lines split by \\n, \\r\\n or \\r only (not str.splitlines(), which also splits on
\\f, \\v, U+2028 and more), and counts columns in the negotiated encoding: UTF-16 code units
by default, UTF-8 bytes or UTF-32 code points when negotiated. Python strings index code
points, so a column is converted by encoding the line, cutting, and decoding.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SURROGATE = re.compile("[\ud800-\udfff]")


class PositionError(ValueError):
    """A position that does not exist in the document (a line past the end)."""


@dataclass(frozen=True)
class LineIndex:
    """Start offsets of each line of one immutable text."""

    text: str
    starts: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> LineIndex:
        return cls(text, (0, *(m.end() for m in _LINE_BREAK.finditer(text))))

    def edited(self, lo: int, hi: int, inserted: str) -> LineIndex:
        """The index of this text with [lo, hi) replaced by `inserted`, scanning only the
        lines the edit touches (a didChange per key: a whole scan is a millisecond a key on a
        1,200-line file on two cores). The line before the edit is scanned too, and the edit
        ends two characters before the first line start kept: a "\r" and a "\n" on either
        side of the edit may become one line break, or stop being one."""
        text = self.text[:lo] + inserted + self.text[hi:]
        delta = len(inserted) - (hi - lo)
        first = max(0, bisect_right(self.starts, lo - 1) - 1)  # the line before lo's, or lo's
        after = bisect_right(self.starts, hi + 1)  # the first start kept: > hi + 1
        begin = self.starts[first]
        if after < len(self.starts):
            end = self.starts[after] + delta  # that start, in the new text
            middle = [m.end() for m in _LINE_BREAK.finditer(text, begin, end) if m.end() < end]
            tail = tuple(start + delta for start in self.starts[after:])
        else:
            middle = [m.end() for m in _LINE_BREAK.finditer(text, begin)]
            tail = ()
        return LineIndex(text, (*self.starts[: first + 1], *middle, *tail))

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_text(self, line: int) -> str:
        """The line's content without its line break."""
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        content = self.text[start:end]
        if content.endswith("\r\n"):
            return content[:-2]
        return content[:-1] if content.endswith(("\n", "\r")) else content

    def offset(self, line: int, character: int, encoding: str = UTF16) -> int:
        """LSP (line, character) to a code-point offset.

        A character past the end of the line means the end of the line (the LSP spec says so);
        a column inside a surrogate pair or a multi-byte UTF-8 sequence rounds down.
        """
        if line < 0 or character < 0:
            raise PositionError(f"negative position {line}:{character}")
        if line >= len(self.starts):
            raise PositionError(
                f"line {line} is past the end of the document ({len(self.starts)} lines)"
            )
        text = self.line_text(line)
        return self.starts[line] + column_to_index(text, character, encoding)

    def position(self, offset: int, encoding: str = UTF16) -> tuple[int, int]:
        """A code-point offset to LSP (line, character)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        column_text = self.text[self.starts[line] : offset]
        return line, units(column_text, encoding)


def units(text: str, encoding: str) -> int:
    """How long `text` is in the encoding's code units."""
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == UTF32:
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def column_to_index(line_text: str, character: int, encoding: str) -> int:
    if encoding == UTF32:
        return min(character, len(line_text))
    if _SURROGATE.search(line_text):
        # A lone surrogate (JSON "\udc80" from a JavaScript client) is one code unit, but the
        # "ignore" decoding below would drop it and shift the column: count one by one.
        total = 0
        for index, ch in enumerate(line_text):
            total += units(ch, encoding)
            if total > character:
                return index
        return len(line_text)
    if encoding == UTF8:
        data = line_text.encode("utf-8", "surrogatepass")
        return len(data[:character].decode("utf-8", "ignore"))
    data = line_text.encode("utf-16-le", "surrogatepass")
    return len(data[: 2 * character].decode("utf-16-le", "ignore"))


def normalise_encoding(kind: object) -> str:
    """lsprotocol's PositionEncodingKind or a plain string to one of our three names."""
    value = str(getattr(kind, "value", kind)).lower()
    return value if value in (UTF8, UTF16, UTF32) else UTF16
