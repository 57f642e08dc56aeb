"""The symbol index of one workspace root, built in the background and updated in place.

Concurrency contract:

* One lock guards every map. Parsing (the expensive part) runs outside it; only the swap of a
  file's entry runs inside, so readers wait microseconds, never for a parse.
* `build()` starts a background thread and returns at once; `ready` is set when the first walk
  ends. Until then queries answer from what is indexed so far: a completion never waits for it.
* Writers race (the build, the watcher, editor buffers). Each write takes a ticket, a global
  counter, before it reads its source; a commit older than the last one committed for that path
  is dropped, so a slow build can never put back content that a later event replaced or deleted.
* An open editor buffer overrides the disk: while a path has a buffer, disk writes to it are
  dropped. `set_buffer` only stores the text (cheap enough for the event loop); a single worker
  thread parses it, skipping versions that a newer one replaced.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from coderd.context.extract import Definition, FileSymbols, extract
from coderd.context.languages import language_for_path
from coderd.context.walk import WalkOptions, WorkspaceRules, content_is_indexable, walk

Stamp = tuple[int, int]  # (mtime_ns, size) of the disk version indexed


log = logging.getLogger(__name__)


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


class WorkspaceIndex:
    def __init__(self, root: str | os.PathLike[str], options: WalkOptions | None = None) -> None:
        self.root = Path(root).resolve()
        self.rules = WorkspaceRules(self.root, options)
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._files: dict[str, FileSymbols] = {}
        self._stamps: dict[str, Stamp | None] = {}  # None for buffer content
        self._by_name: dict[str, dict[str, tuple[Definition, ...]]] = {}
        self._committed: dict[str, int] = {}  # path -> ticket of its last commit
        self._by_dir: dict[str, set[str]] = {}  # "a/b" -> indexed files directly in it
        self._by_basename: dict[str, set[str]] = {}  # "models.py" -> indexed files so named
        self._tickets = itertools.count(1)
        self._buffers: dict[str, tuple[int, str]] = {}  # path -> (version, text)
        self._buffer_versions = itertools.count(1)
        self._buffer_worker = ThreadPoolExecutor(1, thread_name_prefix="coderd-index-buffers")
        self._build_thread: threading.Thread | None = None
        self._build_ms: float | None = None
        self._closed = threading.Event()
        self.generation = 0  # bumped by every commit that changes the index

    # ---- paths -------------------------------------------------------------------------------

    def relative(self, path: str | os.PathLike[str]) -> str | None:
        """`path` (absolute, or relative to the root) as a "/"-path inside the root, or None."""
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        try:
            rel = Path(os.path.normpath(candidate)).relative_to(self.root)
        except ValueError:
            return None
        text = rel.as_posix()
        return None if text in ("", ".") else text

    def _indexable_name(self, rel: str) -> bool:
        return language_for_path(rel) is not None and self.rules.path_allowed(rel)

    # ---- writers -----------------------------------------------------------------------------

    def build(self) -> WorkspaceIndex:
        """Start the first walk in a background thread (once); returns at once."""
        with self._lock:
            if self._build_thread is None:
                self._build_thread = threading.Thread(
                    target=self._run_build, name="coderd-index-build", daemon=True
                )
                self._build_thread.start()
        return self

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)

    def _run_build(self) -> None:
        started = time.perf_counter()
        try:
            self.rescan()
        finally:
            self._build_ms = (time.perf_counter() - started) * 1000
            self.ready.set()

    def rescan(self, start: str = "") -> None:
        """Bring everything under `start` in line with the disk: parse new and changed files
        (by mtime and size), drop vanished and newly ignored ones. Used for the first build,
        for event storms and when a .gitignore changes."""
        seen: set[str] = set()
        for rel in walk(self.rules, lambda rel: language_for_path(rel) is not None, start):
            if self._closed.is_set():
                return
            if len(seen) >= self.rules.options.max_files:
                log.warning("%s: more than %d source files; indexing only the first ones",
                            self.root, self.rules.options.max_files)
                break
            seen.add(rel)
            stamp = _stamp(self.root / rel)
            with self._lock:
                if stamp is not None and rel in self._files and self._stamps.get(rel) == stamp:
                    continue
            self.update(rel)
        prefix = f"{start}/" if start else ""
        with self._lock:
            gone = [p for p in self._files if p.startswith(prefix) and p not in seen]
        for rel in gone:
            self.update(rel)  # re-checks the rules and the disk; removes what fails them

    def update(self, path: str | os.PathLike[str]) -> None:
        """Re-read one file from disk: index it, or drop it if it is gone or no longer allowed."""
        rel = self.relative(path)
        if rel is None:
            return
        with self._lock:
            if rel in self._buffers:
                return
            ticket = next(self._tickets)
        symbols, stamp = None, None
        if self._indexable_name(rel):
            stamp = _stamp(self.root / rel)
            data = self.rules.read_if_indexable(rel) if stamp is not None else None
            if data is not None:
                symbols = extract(data, language_for_path(rel) or "", rel)
        self._commit(rel, ticket, symbols, stamp, from_disk=True)

    def remove(self, path: str | os.PathLike[str]) -> None:
        """Drop a file, or every file under a directory (deleted or moved away)."""
        rel = self.relative(path)
        if rel is None:
            return
        with self._lock:
            doomed = [p for p in self._files if p == rel or p.startswith(rel + "/")]
            tickets = [next(self._tickets) for _ in doomed]
        for victim, ticket in zip(doomed, tickets):
            self._commit(victim, ticket, None, None, from_disk=True)

    def rename(self, old: str | os.PathLike[str], new: str | os.PathLike[str]) -> None:
        """A file or directory moved from `old` to `new`."""
        self.remove(old)
        self.refresh([new])

    def refresh(self, paths) -> None:
        """Apply a batch of changed paths, whatever happened to them: a directory is rescanned,
        a file re-read, a missing path dropped (with everything under it)."""
        for path in paths:
            rel = self.relative(path)
            if rel is None:
                continue
            full = self.root / rel
            if full.is_dir() and not full.is_symlink():
                self.rescan(rel)
            elif full.exists():
                self.update(rel)
            else:
                self.remove(rel)

    def _commit(self, rel, ticket, symbols: FileSymbols | None, stamp, from_disk: bool) -> None:
        with self._lock:
            if self._committed.get(rel, 0) > ticket or (from_disk and rel in self._buffers):
                return
            self._committed[rel] = ticket
            old = self._files.pop(rel, None)
            self._stamps.pop(rel, None)
            directory, _, basename = rel.rpartition("/")
            if old is not None and symbols is None:
                for table, key in ((self._by_dir, directory), (self._by_basename, basename)):
                    members = table.get(key)
                    if members is not None:
                        members.discard(rel)
                        if not members:
                            del table[key]
            elif symbols is not None:
                self._by_dir.setdefault(directory, set()).add(rel)
                self._by_basename.setdefault(basename, set()).add(rel)
            if old is not None:
                for definition in old.definitions:
                    owners = self._by_name.get(definition.name)
                    if owners is not None:
                        owners.pop(rel, None)
                        if not owners:
                            del self._by_name[definition.name]
            if symbols is not None:
                self._files[rel] = symbols
                self._stamps[rel] = stamp
                grouped: dict[str, list[Definition]] = {}
                for definition in symbols.definitions:
                    grouped.setdefault(definition.name, []).append(definition)
                for name, found in grouped.items():
                    self._by_name.setdefault(name, {})[rel] = tuple(found)
            if old is not None or symbols is not None:
                self.generation += 1

    # ---- editor buffers ----------------------------------------------------------------------

    def set_buffer(self, path: str | os.PathLike[str], text: str) -> Future | None:
        """The editor's text of `path` replaces the disk's; parsed on the buffer worker.
        Returns the parse's future (tests wait on it), or None for a path we do not index."""
        rel = self.relative(path)
        if rel is None or not self._indexable_name(rel):
            return None
        with self._lock:
            version = next(self._buffer_versions)
            self._buffers[rel] = (version, text)
        return self._buffer_worker.submit(self._apply_buffer, rel, version)

    def clear_buffer(self, path: str | os.PathLike[str]) -> Future | None:
        """The editor closed `path`: the disk is the truth again (re-read on the worker)."""
        rel = self.relative(path)
        if rel is None:
            return None
        with self._lock:
            if self._buffers.pop(rel, None) is None:
                return None
        return self._buffer_worker.submit(self.update, rel)

    def _apply_buffer(self, rel: str, version: int) -> None:
        with self._lock:
            current = self._buffers.get(rel)
            if current is None or current[0] != version:
                return  # closed, or a newer keystroke is queued behind us
            ticket = next(self._tickets)
        data = current[1].encode("utf-8", "surrogatepass")
        symbols = None
        if content_is_indexable(data):  # a pasted private key must not enter the index
            symbols = extract(data, language_for_path(rel) or "", rel)
        self._commit(rel, ticket, symbols, None, from_disk=False)

    # ---- readers -----------------------------------------------------------------------------

    def lookup(self, name: str) -> list[DefinitionRef]:
        """Every definition called `name`, ordered by path then line."""
        with self._lock:
            owners = self._by_name.get(name)
            if not owners:
                return []
            found = [(p, d) for p, defs in owners.items() for d in defs]
        return [DefinitionRef(p, d) for p, d in sorted(found, key=lambda i: (i[0], i[1].start_line))]

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
            return sorted(self._by_dir.get(directory, ()))

    def files_named(self, basename: str) -> list[str]:
        """Indexed files whose last path component is `basename`, sorted."""
        with self._lock:
            return sorted(self._by_basename.get(basename, ()))

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
            memory_bytes=_estimate_bytes(files) if estimate_memory else None,
        )

    def dump(self) -> list[tuple]:
        """A canonical, comparable form of the whole index (tests compare it to a rebuild)."""
        return [
            (rel, s.language, s.definitions, s.imports, tuple(sorted(s.identifiers)), s.size)
            for rel, s in sorted(self.snapshot().items())
        ]

    def close(self) -> None:
        """Stop the build between files and the buffer worker; the index stays readable."""
        self._closed.set()
        self._buffer_worker.shutdown(wait=True, cancel_futures=True)
        if self._build_thread is not None:
            self._build_thread.join(timeout=5)


def _stamp(path: Path) -> Stamp | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _estimate_bytes(files: dict[str, FileSymbols]) -> int:
    """Rough: container and string sizes, each interned string counted once."""
    seen: set[int] = set()
    total = sys.getsizeof(files)

    def measure(obj) -> int:
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        return sys.getsizeof(obj)

    for rel, symbols in files.items():
        total += measure(rel) + measure(symbols) + measure(symbols.identifiers)
        total += sum(measure(name) for name in symbols.identifiers)
        total += measure(symbols.definitions) + measure(symbols.imports)
        for d in symbols.definitions:
            total += measure(d) + measure(d.name) + measure(d.signature) + measure(d.doc)
        for i in symbols.imports:
            total += measure(i) + measure(i.module) + measure(i.names)
    return total
