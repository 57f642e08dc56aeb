"""The queries of a workspace index (mixed into WorkspaceIndex, workspace.py).

Every query takes the index's one lock for a dictionary read or a copy, never longer: writers
parse outside the lock and swap a file's entry inside it, so a reader never waits for a parse.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import tree_sitter

from coderd.context.index.extract import Definition, FileSymbols
from coderd.context.index.tables import SymbolTables, estimate_bytes


@dataclass(frozen=True, slots=True)
class DefinitionRef:
    path: str
    definition: Definition


@dataclass(frozen=True, slots=True)
class IndexStats:
    files: int
    definitions: int
    imports: int
    ready: bool
    build_ms: float | None  # wall time of the first walk and parse; None while it runs
    memory_bytes: int | None  # rough size of the kept symbols; None unless asked for


class IndexReaders:
    """Read access to WorkspaceIndex's tables. The attributes are WorkspaceIndex's (set in
    its __init__); they are declared here so that the readers are checked against them."""

    root: Path
    ready: threading.Event
    _lock: threading.Lock
    _tables: SymbolTables
    _files: dict[str, FileSymbols]
    _committed: dict[str, int]  # path -> ticket of its last commit (its version)
    _buffers: dict[str, tuple[int, str]]  # path -> (buffer version, text)
    _trees: dict[str, tuple[bytes, tree_sitter.Tree]]
    _build_ms: float | None

    def relative(self, path: str | os.PathLike[str]) -> str | None:
        """`path` (absolute, or relative to the root) as a "/"-path inside the root, or None."""
        if isinstance(path, str):
            if clean_relative(path):
                return path  # the common case on the hot path: already what we would return
            # An editor's absolute path below the root (recent regions, buffers): no Path
            # objects (a build asked 20 of them, 1 ms).
            prefix = str(self.root) + "/"
            if path.startswith(prefix) and clean_relative(path[len(prefix) :]):
                return path[len(prefix) :]
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        try:
            rel = Path(os.path.normpath(candidate)).relative_to(self.root)
        except ValueError:
            return None
        text = rel.as_posix()
        return None if text in ("", ".") else text

    def lookup(self, name: str) -> list[DefinitionRef]:
        """Every definition called `name`, ordered by path then line."""
        return self._refs(self._tables.by_name, name)

    def members(self, container: str) -> list[DefinitionRef]:
        """Every definition whose container (class, impl or receiver type) is called
        `container`, in any file, ordered by path then line."""
        return self._refs(self._tables.by_container, container)

    def members_in(self, path: str, container: str) -> list[Definition]:
        """The definitions of `path` whose container is `container`, in file order (a lookup:
        object's elf.rs holds thousands of definitions, scanned for every type a build shows)."""
        with self._lock:
            return list(self._tables.by_container.get(container, {}).get(path, ()))

    def subclasses(self, name: str) -> list[DefinitionRef]:
        """Classes naming a base whose last word is `name`, ordered by path then line."""
        return self._refs(self._tables.by_base, name)

    def ending_in(self, word: str) -> list[DefinitionRef]:
        """Top-level capitalised names of two words or more whose last word is `word`
        (lowercase): `state` -> BlockState, InlineState."""
        return self._refs(self._tables.by_last_word, word)

    def _refs(
        self, table: dict[str, dict[str, tuple[Definition, ...]]], key: str
    ) -> list[DefinitionRef]:
        cache_key = (id(table), key)
        with self._lock:
            cached = self._tables.sorted.get(cache_key)
            if cached is not None:
                return list(cached)
            owners = table.get(key)
            if not owners:
                return []
            found = sorted(
                ((p, d) for p, defs in owners.items() for d in defs),
                key=lambda i: (i[0], i[1].start_line),
            )
            # Under the lock: a commit changes `owners` in place and then drops this entry.
            refs = self._tables.sorted[cache_key] = tuple(DefinitionRef(p, d) for p, d in found)
        return list(refs)

    @property
    def layout(self) -> int:
        """A number that changes whenever a file is added to or dropped from the index (not
        when one changes): resolve.py memoises import resolution under it (index/memos.py)."""
        return self._tables.layout

    def popularity(self, names, exclude: str = "") -> dict[str, int]:
        """How many indexed files use each of `names` (as an identifier anywhere), the file
        `exclude` left out (the one being edited: what is typed must not count)."""
        with self._lock:
            table = self._tables.files_using
            own = self._files.get(exclude)
            mine = own.identifiers if own is not None else frozenset()
            return {name: table.get(name, 0) - (name in mine) for name in names}

    def called_on(self, receiver: str, exclude: str = "") -> dict[str, int]:
        """How many indexed files call each member on a name `receiver` (`block.parse(`),
        the file `exclude` left out (the one being edited)."""
        with self._lock:
            found = dict(self._tables.calls_on.get(receiver, {}))
            own = self._files.get(exclude)
            for call in own.calls if own is not None else ():
                name, _, member = call.partition(".")
                if name == receiver and found.get(member, 0) > 1:
                    found[member] -= 1
                elif name == receiver:
                    found.pop(member, None)
            return found

    def buffer_tree(self, path: str | os.PathLike[str]) -> tuple[bytes, tree_sitter.Tree] | None:
        """(source, syntax tree) of an open buffer's last parse, or None. Never edit the tree:
        copy it first (it is shared)."""
        rel = self.relative(path)
        with self._lock:
            return self._trees.get(rel) if rel is not None else None

    def version(self, path: str | os.PathLike[str]) -> int:
        """A number that changes every time a parse (or the removal) of `path` is committed,
        0 before the first: what memos of a file's contents are keyed by (index/memos.py)."""
        rel = path if isinstance(path, str) and _plain(path) else self.relative(path)
        with self._lock:
            return self._committed.get(rel, 0) if rel is not None else 0

    def entry(self, path: str | os.PathLike[str]) -> tuple[FileSymbols | None, int]:
        """(symbols, version) of `path`, read together: a memo keyed by the version then
        never holds an answer computed from another parse."""
        rel = path if isinstance(path, str) and _plain(path) else self.relative(path)
        if rel is None:
            return None, 0
        with self._lock:
            return self._files.get(rel), self._committed.get(rel, 0)

    def buffer(self, path: str | os.PathLike[str]) -> tuple[int, str] | None:
        """(version, text) of the open editor buffer of `path`, or None. The version changes
        with every text handed over (set_buffer), before that text's parse is committed."""
        rel = self.relative(path)
        with self._lock:
            return self._buffers.get(rel) if rel is not None else None

    def file(self, path: str | os.PathLike[str]) -> FileSymbols | None:
        if isinstance(path, str) and not path.startswith("/"):
            with self._lock:  # the fast path: already a relative "/"-path
                found = self._files.get(path)
            if found is not None or ".." not in path and "\\" not in path and "./" not in path:
                return found
        rel = self.relative(path)
        with self._lock:
            return self._files.get(rel) if rel is not None else None

    def buffer_paths(self) -> list[str]:
        """Paths with an open editor buffer, in the order they were opened."""
        with self._lock:
            return list(self._buffers)

    def files_in(self, directory: str) -> list[str]:
        """Indexed files directly in `directory` ("" for the root), sorted."""
        with self._lock:
            return sorted(self._tables.by_dir.get(directory, ()))

    def files_named(self, basename: str) -> list[str]:
        """Indexed files whose last path component is `basename`, sorted."""
        with self._lock:
            return sorted(self._tables.by_basename.get(basename, ()))

    def buffer_text(self, path: str | os.PathLike[str]) -> str | None:
        """The open editor buffer's text for `path`, or None when the disk is authoritative."""
        rel = self.relative(path)
        with self._lock:
            entry = self._buffers.get(rel) if rel is not None else None
        return entry[1] if entry else None

    def snapshot(self) -> dict[str, FileSymbols]:
        """A consistent copy of path -> symbols (the values are immutable)."""
        with self._lock:
            return dict(self._files)

    def imports(self, path: str | os.PathLike[str]):
        symbols = self.file(path)
        return symbols.imports if symbols is not None else ()

    def stats(self, estimate_memory: bool = False) -> IndexStats:
        files = self.snapshot()
        return IndexStats(
            files=len(files),
            definitions=sum(len(s.definitions) for s in files.values()),
            imports=sum(len(s.imports) for s in files.values()),
            ready=self.ready.is_set(),
            build_ms=self._build_ms,
            memory_bytes=estimate_bytes(files) if estimate_memory else None,
        )

    def dump(self) -> list[tuple]:
        """A canonical, comparable form of the whole index (tests compare it to a rebuild)."""
        return [
            (rel, s.language, s.definitions, s.imports, tuple(sorted(s.identifiers)), s.size)
            for rel, s in sorted(self.snapshot().items())
        ]


def _plain(path: str) -> bool:
    """The hot path's quick test (what `file` checks too): a relative "/"-path that needs no
    normalising. Retrieval passes the index's own paths, which always pass it."""
    return (
        bool(path)
        and not path.startswith("/")
        and ".." not in path
        and "\\" not in path
        and "./" not in path
    )


def clean_relative(path: str) -> bool:
    """Already a normalised "/"-path below the root (no `..`, `.`, `//`, backslash, absolute)."""
    return (
        bool(path)
        and not path.startswith("/")
        and "\\" not in path
        and "//" not in path
        and not path.endswith("/")
        and ".." not in path
        and "/./" not in path
        and not path.startswith("./")
        and path != "."
    )
