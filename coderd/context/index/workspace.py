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
  thread parses it, skipping versions that a newer one replaced. The syntax tree of a buffer's
  last parse is kept (`buffer_tree`): type inference reparses it incrementally, so the first
  completion in a big file costs a reparse of one line, not of the file. The caller's work
  that needs the parse (retrieval warm-ups, the context look-ahead) is handed in as
  `set_buffer(..., then=)` and runs on that thread after the commit: the index runs no
  retrieval of its own and imports nothing from retrieve/, pack/ or the provider.
* Every commit of a path gives it a new version (its ticket: `version()`, `entry()`). The
  memos that describe this index (`memos`, memos.py) are keyed by versions and `layout`,
  and live as long as the index.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import tree_sitter

from coderd.context.index.buffers import EditorBuffers
from coderd.context.index.extract import FileSymbols, extract
from coderd.context.index.languages import language_for_path
from coderd.context.index.memos import IndexMemos
from coderd.context.index.readers import DefinitionRef, IndexStats
from coderd.context.index.tables import Stamp, SymbolTables
from coderd.context.index.walk import WalkOptions, WorkspaceRules, walk

__all__ = ["WorkspaceIndex", "DefinitionRef", "IndexStats"]  # the last two re-exported

log = logging.getLogger(__name__)


class WorkspaceIndex(EditorBuffers):
    def __init__(self, root: str | os.PathLike[str], options: WalkOptions | None = None) -> None:
        self.root = Path(root).resolve()
        self.rules = WorkspaceRules(self.root, options)
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._when_ready: list[Callable[[], None]] = []  # told once the first build ends
        self._tables = SymbolTables()
        self._files = self._tables.files  # path -> symbols (the same dict)
        self._committed: dict[str, int] = {}  # path -> ticket of its last commit
        self._trees: dict[str, tuple[bytes, tree_sitter.Tree]] = {}  # buffers: (source, tree)
        self._symbol_rows: dict[str, frozenset[int]] = {}  # buffers: rows symbols come from
        self._tickets = itertools.count(1)
        self._buffers: dict[str, tuple[int, str]] = {}  # path -> (version, text)
        self._buffer_versions = itertools.count(1)
        self._buffer_worker = ThreadPoolExecutor(1, thread_name_prefix="coderd-index-buffers")
        self._build_thread: threading.Thread | None = None
        self._build_ms: float | None = None
        self._closed = threading.Event()
        self.generation = 0  # bumped by every commit that changes the index
        self._changes: dict[str, int] = {}  # rel -> its commits that changed the index
        # What retrieval memoises about this index (memos.py): it lives as long as the index.
        self.memos = IndexMemos()
        # Stands for this index in memos that span indexes (a session's builder): kept alive
        # by them, so unlike id(index) it can never come to name another index.
        self.identity = object()

    def _indexable_name(self, rel: str) -> bool:
        return language_for_path(rel) is not None and self.rules.path_allowed(rel)

    # ---- writers -----------------------------------------------------------------------------

    def build(
        self,
        progress: Callable[[int, int], None] | None = None,
        finished: Callable[[], None] | None = None,
    ) -> WorkspaceIndex:
        """Start the first walk in a background thread (once); returns at once. On that thread,
        `progress(files done, files found)` follows each file and `finished()` comes last, also
        when the build fails or the index is closed (the language server's $/progress)."""
        with self._lock:
            if self._build_thread is None:
                self._build_thread = threading.Thread(
                    target=self._run_build,
                    args=(progress, finished),
                    name="coderd-index-build",
                    daemon=True,
                )
                self._build_thread.start()
        return self

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)

    def when_ready(self, callback: Callable[[], None]) -> None:
        """`callback()` once the first build has ended: on the build's thread, or at once on
        the caller's when it is over already. What was asked of the index before holds only
        what was indexed so far (a document opened at start-up has its context from here on)."""
        with self._lock:
            if not self.ready.is_set():
                self._when_ready.append(callback)
                return
        _tell(callback)

    def _run_build(self, progress=None, finished=None) -> None:
        started = time.perf_counter()
        try:
            self.rescan(progress=progress)
            # The index lives as long as its workspace folder: move it out of the cyclic
            # collector's way, or full collections (milliseconds over a big index) land on
            # requests. close() gives it back.
            gc.collect()
            gc.freeze()
        finally:
            self._build_ms = (time.perf_counter() - started) * 1000
            with self._lock:  # when_ready() either sees it set or is in the list told here
                self.ready.set()
                told, self._when_ready = self._when_ready, []
            for callback in told:
                _tell(callback)
            if finished is not None:
                finished()

    def rescan(self, start: str = "", progress: Callable[[int, int], None] | None = None) -> None:
        """Bring everything under `start` in line with the disk: parse new and changed files
        (by mtime and size), drop vanished and newly ignored ones. Used for the first build,
        for event storms and when a .gitignore changes. The walk lists the files before any is
        parsed (it is cheap next to parsing), so `progress(done, total)` knows the total."""
        found: list[str] = []
        for rel in walk(self.rules, lambda rel: language_for_path(rel) is not None, start):
            if self._closed.is_set():
                return
            if len(found) >= self.rules.options.max_files:
                log.warning(
                    "%s: more than %d source files; indexing only the first ones",
                    self.root,
                    self.rules.options.max_files,
                )
                break
            found.append(rel)
        seen = set(found)
        for done, rel in enumerate(found, 1):
            if self._closed.is_set():
                return
            stamp = _stamp(self.root / rel)
            with self._lock:
                current = (
                    stamp is not None
                    and rel in self._files
                    and self._tables.stamps.get(rel) == stamp
                )
            if not current:
                self.update(rel)
            if progress is not None:
                progress(done, len(found))
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
                try:
                    symbols = extract(data, language_for_path(rel) or "", rel)
                except Exception:  # a parser's refusal leaves one file out, not the index
                    log.exception("could not index %s", rel)
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

    def _commit(
        self,
        rel,
        ticket,
        symbols: FileSymbols | None,
        stamp,
        from_disk: bool,
        tree: tuple[bytes, tree_sitter.Tree] | None = None,
    ) -> None:
        with self._lock:
            if self._committed.get(rel, 0) > ticket or (from_disk and rel in self._buffers):
                return
            self._committed[rel] = ticket
            if tree is not None:
                self._trees[rel] = tree
            else:
                self._trees.pop(rel, None)
            self._symbol_rows.pop(rel, None)  # the caller sets the new ones, if any
            if self._tables.replace(rel, symbols, stamp):
                self.generation += 1
                if symbols is None:
                    self._changes.pop(rel, None)
                else:
                    self._changes[rel] = self._changes.get(rel, 0) + 1
        if symbols is None:
            self.memos.drop_file(rel)

    def generation_without(self, rel: str) -> int:
        """How many commits changed the index, those of `rel` aside: a context built for
        `rel` still holds while this stays the same (lookahead.py carries it over)."""
        with self._lock:
            return self.generation - self._changes.get(rel, 0)

    def close(self) -> None:
        """Stop the build between files and the buffer worker; the index stays readable."""
        self._closed.set()
        self._buffer_worker.shutdown(wait=True, cancel_futures=True)
        if self._build_thread is not None:
            self._build_thread.join(timeout=5)
        # Frozen objects are never collected: give this index's back to the collector (the
        # next build that finishes freezes what is still alive again).
        gc.unfreeze()

    def is_current(self, path: str | os.PathLike[str]) -> bool:
        """True when the index already agrees with the disk about `path`: indexed at the mtime
        and size the file has now, held in an editor buffer (which wins anyway), or absent from
        both. One stat; the watcher uses it to skip events it has already applied."""
        rel = self.relative(path)
        if rel is None:
            return True
        stamp = _stamp(self.root / rel)
        with self._lock:
            if rel in self._buffers:
                return True
            if stamp is None:
                prefix = rel + "/"
                return rel not in self._files and not any(p.startswith(prefix) for p in self._files)
            return rel in self._files and self._tables.stamps.get(rel) == stamp


def _stamp(path: Path) -> Stamp | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _tell(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:  # a listener's failure must not end the build thread
        log.exception("an index-ready callback failed")
