"""The words a line of code says, and how many of them a name shares: what the line hint
(line_names.py) and a receiver's member order (receiver.py, expected.py `by_line`) go by.

A word matches its plural, a longer or shorter form of it (`prev` and `previous`, four
letters at least) and a name written as one word (`MsgPack` and `msgpackBinding`).
"""

from __future__ import annotations

import re

from coderd.context.retrieve.skeletons import subwords

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
# Words that say what the line does, not what it names.
KEYWORDS = frozenset(
    {
        "return", "case", "chan", "func", "var", "const", "type", "struct", "map", "range",
        "else", "defer", "select", "switch", "interface", "package", "import", "nil", "true",
        "false", "let", "mut", "def", "self", "this", "await", "yield", "pub", "impl", "use",
        "match", "none", "not", "and", "elif", "while", "lambda", "class", "export", "async",
        "static", "readonly", "string", "int", "bool", "error", "null", "undefined", "void",
        "any", "str", "dict", "err", "ok", "ctx", "fmt",
    }
)  # fmt: skip
MIN_WORD = 3
# A word of the line and a word of a name this long or longer match when one starts the other:
# serf's `var prev []*` wants `PreviousNode`, raft's `addr, trans :=` `NewInmemTransport`.
MIN_PREFIX = 4


def words_of(identifier: str) -> frozenset[str]:
    """`ProtoBuf` -> {proto, buf, protobuf}; `reporters` -> {reporter}: its words, a plural's
    `s` dropped, and the whole name in lower case (gin's `MsgPack = msgpackBinding`)."""
    return parts_of(identifier) | {
        w for w in (stem(identifier.lower()),) if len(w) >= MIN_WORD and w not in KEYWORDS
    }


def parts_of(identifier: str) -> frozenset[str]:
    """`ProtoBuf` -> {proto, buf}: its words, a plural's `s` dropped, keywords aside."""
    found = {stem(w) for w in subwords(identifier) if len(w) >= MIN_WORD}
    return frozenset(w for w in found if w not in KEYWORDS)


def words_in(code: str, leave_out: str = "") -> frozenset[str]:
    """The words of the identifiers of `code` (keywords aside), but those of `leave_out`."""
    found: set[str] = set()
    for identifier in _IDENTIFIER.findall(code):
        if identifier.lower() not in KEYWORDS:
            found |= words_of(identifier)
    return frozenset(found - words_of(leave_out)) if leave_out else frozenset(found)


class LineWords:
    """A line's words, and how many words of a name it says."""

    def __init__(self, words: frozenset[str]) -> None:
        self.words = words
        self._lengths = sorted({len(w) for w in words if len(w) >= MIN_PREFIX})
        # What a line's word starts with: a word of a name that is one of these, shorter.
        self._starts = {w[:n] for w in words for n in range(MIN_PREFIX, len(w))}

    def __bool__(self) -> bool:
        return bool(self.words)

    def shared(self, name: str, parts: frozenset[str] | None = None) -> int:
        """How many words of `name` (its `parts_of`, if known) the line says, its whole name
        counting as one when none of its words does (`msgpack` for `Msgpack`; never twice,
        as `prev` starts both `previous` and `previousnode`)."""
        if not self.words:
            return 0
        found = sum(map(self._says, parts_of(name) if parts is None else parts))
        return found or int(stem(name.lower()) in self.words)

    def _says(self, word: str) -> bool:  # the word, a longer form of it or a shorter one
        if word in self.words or (len(word) >= MIN_PREFIX and word in self._starts):
            return True
        return any(word[:n] in self.words for n in self._lengths if n < len(word))


def stem(word: str) -> str:
    """A plural's `s` dropped (`reporters` -> `reporter`; `address` stays)."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
