"""Suggestions already computed, so that typing along one costs no model call.

When the user types the first characters of the suggestion on screen, the rest of it is still
the answer: the next request is served from here, on the caller's thread, in microseconds.
The same holds when a request repeats (the editor asks again at the same place) and for what
speculation computed ahead (the continuation after a suggestion is accepted).

An entry is keyed by where it was computed: the length of the text before the cursor, the last
`ANCHOR_CHARS` of that text, and the first `SUFFIX_CHARS` after the cursor. Memory is bounded:
at most `PER_DOCUMENT` entries per document and `TOTAL` in all, least recently used out first.

A daemon's entries outlive it (completion/warm.py): `export` gives them by document URI, and the
next daemon `adopt`s them; a document's session key (`session|uri`) claims its URI's entries at
its first lookup, and the anchor and suffix checks decide, as for any entry, whether they still
match the text.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace

ANCHOR_CHARS = 2048
SUFFIX_CHARS = 256
MAX_TYPED = 512  # typed-through text longer than this is a new situation, not a cache hit
PER_DOCUMENT = 16
TOTAL = 512


@dataclass(frozen=True)
class Entry:
    prefix_len: int
    anchor: str  # the text just before the cursor when the suggestions were made
    suffix_head: str
    texts: tuple[str, ...]  # suggestions, best first
    ids: tuple[str, ...] = ()  # their suggestion ids, when they were handed out (not speculation)


@dataclass(frozen=True)
class Hit:
    texts: tuple[str, ...]  # what is left of each matching suggestion, best first
    typed: int  # characters the user typed through since the entry was made
    ids: tuple[str | None, ...] = ()  # the same suggestion keeps its id while typed through


def uri_of(key: str) -> str:
    """A document key's URI: `session|uri` in the daemon, the URI itself standalone."""
    return key.partition("|")[2] or key


def _key_parts(text: str, offset: int) -> tuple[str, str]:
    return text[max(0, offset - ANCHOR_CHARS) : offset], text[offset : offset + SUFFIX_CHARS]


class CompletionCache:
    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[str, int, str, str], Entry] = OrderedDict()
        self._lock = threading.Lock()  # stored by the worker, looked up by the event loop
        self.hits = 0
        self.misses = 0
        self._adopted: dict[str, list[Entry]] = {}  # by URI, least recent first (a past daemon's)

    def store(
        self, key: str, text: str, offset: int, texts: tuple[str, ...], ids: tuple[str, ...] = ()
    ) -> None:
        if not any(texts):
            return
        anchor, suffix_head = _key_parts(text, offset)
        entry = Entry(offset, anchor, suffix_head, tuple(texts), tuple(ids))
        with self._lock:
            self._entries[(key, offset, anchor, suffix_head)] = entry
            self._entries.move_to_end((key, offset, anchor, suffix_head))
            mine = [k for k in self._entries if k[0] == key]
            for stale in mine[: max(0, len(mine) - PER_DOCUMENT)]:
                del self._entries[stale]
            while len(self._entries) > TOTAL:
                self._entries.popitem(last=False)

    def lookup(self, key: str, text: str, offset: int) -> Hit | None:
        """The rest of a cached suggestion that the text before the cursor continues, if any."""
        suffix_head = text[offset : offset + SUFFIX_CHARS]
        with self._lock:
            if self._adopted:
                for entry in self._adopted.pop(uri_of(key), ()):
                    self._entries[(key, entry.prefix_len, entry.anchor, entry.suffix_head)] = entry
                while len(self._entries) > TOTAL:
                    self._entries.popitem(last=False)
            candidates = [(k, e) for k, e in reversed(self._entries.items()) if k[0] == key]
            for cache_key, entry in candidates:
                typed = offset - entry.prefix_len
                if not 0 <= typed <= MAX_TYPED or entry.suffix_head != suffix_head:
                    continue
                start = max(0, entry.prefix_len - ANCHOR_CHARS)
                if text[start : entry.prefix_len] != entry.anchor:
                    continue
                typed_text = text[entry.prefix_len : offset]
                ids = entry.ids or (None,) * len(entry.texts)
                matching = [
                    (t[typed:], i)
                    for t, i in zip(entry.texts, ids)
                    if t.startswith(typed_text) and len(t) > typed
                ]
                if matching:
                    self._entries.move_to_end(cache_key)
                    self.hits += 1
                    return Hit(tuple(t for t, _ in matching), typed, tuple(i for _, i in matching))
            self.misses += 1
            return None

    def export(self) -> list[tuple[str, Entry]]:
        """Every entry by its document's URI, least recent first, without suggestion ids (they
        were this daemon's), past daemons' entries no document claimed first."""
        with self._lock:
            adopted = [(uri, e) for uri, entries in self._adopted.items() for e in entries]
            mine = [(uri_of(k[0]), e) for k, e in self._entries.items()]
        return [(uri, replace(e, ids=())) for uri, e in adopted + mine]

    def adopt(self, entries: list[tuple[str, Entry]]) -> None:
        """A past daemon's `export`, for the documents that open again (the last TOTAL)."""
        with self._lock:
            for uri, entry in entries[-TOTAL:]:
                mine = self._adopted.setdefault(uri, [])
                mine.append(entry)
                del mine[:-PER_DOCUMENT]

    def keys(self) -> Iterator[str]:
        with self._lock:
            documents = {k[0] for k in self._entries}
        yield from documents

    def forget(self, key: str) -> None:
        with self._lock:
            for stale in [k for k in self._entries if k[0] == key]:
                del self._entries[stale]
