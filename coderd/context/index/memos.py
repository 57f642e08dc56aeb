"""Memos that describe one workspace index, held by it (`WorkspaceIndex.memos`).

Retrieval (coderd/context/retrieve) computes what goes in here; the index only owns the
containers, so that everything a memo describes lives and dies with the index it describes:
two sessions on one root share them, a released root drops them, and no state is
process-wide. Nothing here knows what retrieval stores: the index package imports nothing
from retrieve/, pack/ or the provider.

Keys name what an answer depends on, never `id()` of an object the memo does not keep
alive (CPython reuses an address once the object is gone, and FileSymbols are replaced on
every parse):

* `WorkspaceIndex.version(path)`: a number that changes every time a parse (or a removal)
  of that path is committed;
* `WorkspaceIndex.layout`: changes whenever a file is added or dropped (import resolution);
* the text itself, where the text is what the answer is computed from.

Every memo is bounded (least recently used out first) and takes its own small lock: the
service's worker thread and the index's buffer thread (the look-ahead) use them at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_RESOLVED = 20_000  # resolve.py: (layout, file, import) -> files
MAX_NAMED = 20_000  # scope.py: a name through barrel files -> where it is defined
MAX_SHAPES = 8192  # scope.py: a file's top-level names and resolved imports
MAX_FIELDS = 512  # typed.py: the fields a type in another file declares
MAX_WINDOWS = 64  # recent.py: identifier windows of a file's text near some lines
MAX_GO_MODULES = 2  # resolve.py: the root's go.mod module paths, by its (mtime, size)
MAX_NAME_WORDS = 4096  # line_names.py: a file's top-level names and their words, by version
MAX_LISTINGS = 1024  # members.py: the names a module alias lists of a file, by version


class Lru(Generic[K, V]):
    """A bounded, thread-safe mapping: the least recently used entry goes first. A value is
    computed outside the lock (two threads may compute the same one; the last put wins).

    Writers take the lock (a put is several steps). A read is on the hot path (a build makes
    hundreds) and takes none: it is two single OrderedDict calls, each atomic under the GIL
    for keys made of built-in types (no Python __eq__ or __hash__ runs inside them), which
    is all the keys used here; a read that loses its entry to a concurrent eviction is a miss."""

    def __init__(self, maxsize: int, versioned: bool = False) -> None:
        self.maxsize = maxsize
        # Keys `(owner, version, ...)` where an owner's newer version makes its older ones
        # unreachable (a buffer's text after a keystroke): a put drops the owner's other
        # versions at once. Otherwise, with three editors typing, each keystroke's version
        # would sit in the memo until `maxsize` newer ones pushed it out, and the memo (whole
        # files' windows or lines) would keep growing for minutes before it is full.
        self.versioned = versioned
        self._data: OrderedDict[K, V] = OrderedDict()
        # Versioned only: each owner's keys, so that a put finds the versions it supersedes
        # without scanning the whole memo (a build put ~110 lines lists: go-github's
        # scans were 5 ms of a 40 ms build under the profiler).
        self._owned: dict[Hashable, set[K]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            try:
                self._data.move_to_end(key)
            except KeyError:  # evicted in between: still a valid answer
                pass
        return value

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._place(key, value)
        return value

    def _place(self, key: K, value: V) -> None:
        """Puts `key` last (the caller holds the lock)."""
        if self.versioned:
            assert isinstance(key, tuple)
            owned = self._owned.setdefault(key[0], set())
            for old in [k for k in owned if _superseded(k, key)]:
                owned.discard(old)
                del self._data[old]
            owned.add(key)
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._forget(self._data.popitem(last=False)[0])

    def _forget(self, key: K) -> None:
        """Drops `key` from its owner's keys (the caller holds the lock)."""
        if self.versioned:
            assert isinstance(key, tuple)
            owned = self._owned.get(key[0])
            if owned is not None:
                owned.discard(key)
                if not owned:
                    del self._owned[key[0]]

    def setdefault(self, key: K, make: Callable[[], V]) -> V:
        """The value of `key`, or `make()`'s put there (under the lock: one value per key)."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                value = make()
                self._place(key, value)
            else:
                self._data.move_to_end(key)
            return value

    def pop(self, key: K) -> V | None:
        with self._lock:
            self._forget(key)
            return self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._owned.clear()

    def drop_where(self, dead: Callable[[K], bool]) -> None:
        with self._lock:
            for key in [k for k in self._data if dead(k)]:
                self._forget(key)
                del self._data[key]

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data


def _superseded(old: Hashable, new: Hashable) -> bool:
    """`old` is another version of `new`'s owner (keys `(owner, version, ...)`)."""
    assert isinstance(old, tuple) and isinstance(new, tuple)
    return old[0] == new[0] and old[1] is not new[1] and old[1] != new[1]


class IndexMemos:
    """The retrieval memos of one index. Values are opaque here (see the modules named)."""

    def __init__(self) -> None:
        self.resolved: Lru[tuple, list[str]] = Lru(MAX_RESOLVED)
        self.named: Lru[tuple, tuple] = Lru(MAX_NAMED)
        self.shapes: Lru[str, tuple] = Lru(MAX_SHAPES)
        self.fields: Lru[tuple, dict] = Lru(MAX_FIELDS)
        self.returns: Lru[tuple, str] = Lru(MAX_FIELDS)  # returns.py: what a function returns
        self.windows: Lru[tuple, list] = Lru(MAX_WINDOWS, versioned=True)
        self.go_modules: Lru[tuple, tuple[str, ...]] = Lru(MAX_GO_MODULES)
        self.name_words: Lru[tuple, tuple] = Lru(MAX_NAME_WORDS, versioned=True)
        self.listings: Lru[tuple, tuple] = Lru(MAX_LISTINGS, versioned=True)

    def sizes(self) -> dict[str, int]:
        """Entries per memo (tests, `coderd/workspace` reports)."""
        return {name: len(memo) for name, memo in vars(self).items() if isinstance(memo, Lru)}

    def drop_file(self, rel: str) -> None:
        """`rel` left the index (deleted, or a closed buffer of a file not on disk): what
        describes it can never be asked for again, and would stay until evicted."""
        self.shapes.pop(rel)
        for memo in (self.fields, self.returns, self.windows, self.name_words, self.listings):
            memo.drop_where(lambda key: key[0] == rel)

    def clear(self) -> None:
        for memo in vars(self).values():
            if isinstance(memo, Lru):
                memo.clear()
