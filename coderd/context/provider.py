"""Repository context for one completion: the seam between the service and the index.

The event loop calls `set_buffer` / `clear_buffer` (cheap: the index parses in its own
thread, and they never create an index), and `add_root` / `remove_root` / `files_changed` /
`report_builds` / `close`, which only queue a job: one background thread ("coderd-workspace")
runs those jobs in order, so creating an index (a recursive watch takes a while on a big tree)
and releasing one (it joins threads) never hold up a caller, and an add followed by a remove
of the same folder cannot be reordered. The completion worker calls `context_for`, which
retrieves, packs and caches (builder.py): while the retrieved definitions and their files are
unchanged it returns the very same text, so the context block at the head of the prompt stays
in the KV cache. The index's buffer thread warms this provider's memos and builds the context
of a keystroke before its request comes (lookahead.py). Builds are not serialised: the
worker and the buffer threads of this and other sessions build at once (every memo has its
own lock). After `start()` the worker only reads indexes; without it (one-shot CLI runs,
tests) it creates the index on first use. `forget` drops all that is kept for a document.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path

from coderd.config.settings import ContextSettings
from coderd.context.builder import ContextBuilder
from coderd.context.index.registry import BuildListener, IndexRegistry
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.lookahead import LookAhead
from coderd.context.pack.block import PackedContext, RepoFormat
from coderd.context.retrieve.recent import RecentRegions

log = logging.getLogger(__name__)


class ContextProvider:
    def __init__(
        self,
        settings: ContextSettings,
        roots: list[Path],
        registry: IndexRegistry | None = None,
        *,
        repo_format: RepoFormat | None = None,
        recent: RecentRegions | None = None,
    ) -> None:
        self.settings = settings
        # Replaced, never mutated, and only under _acquire_lock: any thread may iterate it.
        self.roots: tuple[Path, ...] = _deepest_first(r.resolve() for r in roots)
        self.registry = registry or IndexRegistry()
        # Roots this provider holds one registry reference to. Written under _acquire_lock,
        # which the event loop never takes (it only reads, and a dict read is atomic).
        self._indexes: dict[Path, WorkspaceIndex] = {}
        self._acquire_lock = threading.Lock()
        self._background = False  # start() was called: indexes come from the jobs thread
        self._listener_for: Callable[[Path], BuildListener] | None = None
        self._jobs: queue.SimpleQueue[Callable[[], object] | None] = queue.SimpleQueue()
        self._jobs_thread: threading.Thread | None = None
        self._jobs_lock = threading.Lock()
        self._closed = False
        self._resolved: dict[str, Path] = {}  # path as given -> resolved (per document)
        self.repo_format = repo_format  # None: DeepSeek's "# path" headers
        self.recent = recent if recent is not None else RecentRegions()
        self.builder = ContextBuilder(settings.nearby_lines, self.recent)
        # The context of a keystroke, built before its request (and the memos warmed).
        self.ahead = LookAhead(self._build_ahead, warm=self._warm)

    def start(self) -> None:
        """Create (walk, watch, build) the roots' indexes in the background, not on first use:
        starting a recursive watch takes a while on a big tree and must not hold up a caller."""
        self._background = True
        for root in self.roots:
            self._later(partial(self._acquire, root))

    def index_for(self, path: Path, *, create: bool = True) -> WorkspaceIndex | None:
        """The index of the workspace root holding `path`; created on first use unless
        `create` is False (the event loop's calls: they only ever find an existing one)."""
        path = self._resolve(path)
        for root in self.roots:
            if path == root or root in path.parents:
                index = self._indexes.get(root)
                return index if index is not None or not create else self._acquire(root)
        return None

    # ---- workspace changes: the event loop queues them, the jobs thread applies them -------

    def add_root(self, path: Path) -> None:
        """A workspace folder added: indexed (and its build reported) in the background."""
        self._later(lambda: self._add_root(Path(path)))

    def remove_root(self, path: Path) -> None:
        """A workspace folder removed: no longer used for context; its index is released (the
        registry closes it when no other session uses it)."""
        self._later(lambda: self._remove_root(Path(path)))

    def files_changed(self, paths: Iterable[Path]) -> None:
        """Files the editor says were created, changed or deleted: each goes to the watcher of
        the root holding it, into the same debounced batches as the observer's events."""
        paths = list(paths)
        self._later(lambda: self._route(paths))

    def report_builds(self, listener_for: Callable[[Path], BuildListener]) -> None:
        """From now on, `listener_for(root)` hears about the first build of each root this
        provider acquires, and of a root whose build is still running now."""

        def subscribe() -> None:
            self._listener_for = listener_for
            for root in self.roots:
                if root in self._indexes:
                    self.registry.follow(root, listener_for(root))

        self._later(subscribe)

    def describe(self, names: Iterable[str] = ()) -> dict:
        """The roots, the state of their indexes, and where `names` are defined in them
        (`coderd/workspace`: bug reports, tests). Copies each index's table: not on the
        event loop."""
        roots: list[dict] = []
        found: dict[str, list[dict]] = {name: [] for name in names}
        for root in self.roots:
            index = self._indexes.get(root)
            stats = index.stats() if index is not None else None
            roots.append(
                {
                    "path": str(root),
                    "ready": bool(stats and stats.ready),
                    "files": stats.files if stats else 0,
                    "definitions": stats.definitions if stats else 0,
                    "users": self.registry.users(root),
                }
            )
            if index is None:
                continue
            for name in found:
                found[name] += [
                    {
                        "path": str(root / ref.path),
                        "line": ref.definition.start_line,
                        "kind": ref.definition.kind,
                    }
                    for ref in index.lookup(name)
                ]
        return {"roots": roots, "definitions": found}

    def settled(self, timeout: float | None = None) -> bool:
        """Wait until the jobs queued so far have run (tests; never on the event loop)."""
        done = threading.Event()
        if self._later(done.set):
            return done.wait(timeout)
        thread = self._jobs_thread  # closed: wait for the release
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _acquire(self, root: Path) -> WorkspaceIndex | None:
        with self._acquire_lock:
            if root not in self.roots:
                return None  # removed in the meantime
            index = self._indexes.get(root)
            if index is None:
                listener = self._listener_for(root) if self._listener_for is not None else None
                index = self._indexes[root] = self.registry.get_or_create(root, listener)
            return index

    def _add_root(self, path: Path) -> None:
        root = path.resolve()
        if not root.is_dir():
            log.warning("workspace folder %s is not a directory; ignored", path)
            return
        with self._acquire_lock:
            self.roots = _deepest_first([*self.roots, root])
        self._acquire(root)

    def _remove_root(self, path: Path) -> None:
        root = path.resolve()
        with self._acquire_lock:
            self.roots = tuple(r for r in self.roots if r != root)
            index = self._indexes.pop(root, None)
        if index is not None:
            self.registry.release(root)

    def _route(self, paths: list[Path]) -> None:
        by_root: dict[Path, list[Path]] = {}
        for path in paths:
            resolved = Path(path).resolve()  # not the cache: a deleted path may come back as a link
            root = next((r for r in self.roots if resolved == r or r in resolved.parents), None)
            if root is not None and root in self._indexes:
                by_root.setdefault(root, []).append(resolved)
        for root, found in by_root.items():
            self.registry.report(root, found)

    def _later(self, job: Callable[[], object]) -> bool:
        """Queue `job` for the jobs thread; False after close()."""
        with self._jobs_lock:
            if self._closed:
                return False
            self._jobs.put(job)
            if self._jobs_thread is None:
                self._jobs_thread = threading.Thread(
                    target=self._run_jobs, name="coderd-workspace", daemon=True
                )
                self._jobs_thread.start()
            return True

    def _run_jobs(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:  # one bad folder must not stop the others
                log.exception("workspace job failed")

    def _resolve(self, path: Path) -> Path:
        """Symlinks resolved once per document, not on every keystroke (it costs syscalls)."""
        key = str(path)
        resolved = self._resolved.get(key)
        if resolved is None:
            if len(self._resolved) > 4096:
                self._resolved.clear()
            resolved = self._resolved[key] = Path(path).resolve()
        return resolved

    def set_buffer(self, path: Path, text: str):
        """Returns a Future for the parse, the warm-up and the look-ahead build after it
        (lookahead.py; None outside every workspace, or while the index is not created yet:
        it then reads the file from disk). Also records the changed region (or, on open, the
        file) in the recent ring buffer."""
        index = self.index_for(path, create=False)
        if index is None:
            return None
        old = index.buffer_text(path)
        self.recent.record_change(Path(path), old, text)
        then = self.ahead.after_parse(Path(path), old, text, lambda: index.buffer_text(path))
        return index.set_buffer(path, text, then)

    def clear_buffer(self, path: Path) -> None:
        index = self.index_for(path, create=False)
        if index is not None:
            index.clear_buffer(path)

    def context_for(
        self,
        path: Path,
        text: str,
        offset: int,
        tokenize: Callable[[str], list[int]],
        budget: int | None = None,
        *,
        repo_format: RepoFormat | None = None,
    ) -> PackedContext | None:
        """`budget`: tokens for the context (default context.budget_tokens; the service passes
        the one sized for this machine's speed, coderd/budget.py). `repo_format`: the model's
        repository tokens (None: this provider's, by default DeepSeek's "# path" headers);
        without a name it gets the workspace folder's."""
        budget = self.settings.budget_tokens if budget is None else budget
        if not self.settings.enabled or budget <= 0:
            return None
        repo_format = repo_format or self.repo_format
        self.ahead.remember(tokenize, budget, repo_format)
        ready = self.ahead.take(path, text, offset, budget, repo_format)
        if ready is not None:
            self.recent.record(Path(path), text.count("\n", 0, offset) + 1, "view")
            return ready
        return self._build(path, text, offset, tokenize, budget, repo_format)

    def latest(
        self,
        path: Path,
        text: str,
        offset: int,
        tokenize: Callable[[str], list[int]],
        budget: int,
        *,
        repo_format: RepoFormat | None = None,
    ) -> PackedContext | None:
        """What the context at this cursor is, as far as the look-ahead knows, without building
        anything: the newest context built after an edit near it; an empty one when the
        document has no context any more (outside every workspace, context turned off); None
        when the look-ahead has nothing for it (the caller keeps what it has, or builds)."""
        if not self.settings.enabled or budget <= 0:
            return PackedContext(text="")
        if self.index_for(path, create=False) is None:
            return PackedContext(text="")
        repo_format = repo_format or self.repo_format
        self.ahead.remember(tokenize, budget, repo_format)  # the next look-ahead builds so
        packed = self.ahead.latest(path, text, offset, budget, repo_format)
        if packed is not None:
            self.recent.record(Path(path), text.count("\n", 0, offset) + 1, "view")
        return packed

    def _warm(self, path: Path, old: str | None, text: str) -> None:
        """On the index's buffer thread, after the parse of `text` landed (lookahead.py)."""
        index = self.index_for(path, create=False)
        rel = index.relative(path) if index is not None else None
        if index is not None and rel is not None:
            self.builder.warm(index, rel, str(path), old, text)
            self._drop_if_closed(index, path)

    def _build_ahead(self, path: Path, *args) -> PackedContext | None:
        packed = self._build(path, *args)
        index = self.index_for(path, create=False)
        if index is not None:
            self._drop_if_closed(index, path)
        return packed

    def _drop_if_closed(self, index: WorkspaceIndex, path: Path) -> None:
        """Work for a document that was closed (forget) while it ran leaves nothing behind."""
        if index.buffer(path) is None:
            self._drop(path)

    def _build(
        self,
        path: Path,
        text: str,
        offset: int,
        tokenize: Callable[[str], list[int]],
        budget: int,
        repo_format: RepoFormat | None,
    ) -> PackedContext | None:
        # In the server (start() called) the worker never creates an index: that may take a
        # while, and a completion does not wait for the workspace.
        index = self.index_for(path, create=not self._background)
        rel = index.relative(path) if index is not None else None
        if index is None or rel is None:
            return None
        if repo_format is not None and not repo_format.name:
            repo_format = replace(repo_format, name=index.root.name)
        packed = self.builder.build(
            index, rel, str(path), text, offset, tokenize, budget, repo_format
        )
        # The cursor's region of this file is "viewed": other files' completions may use it.
        self.recent.record(Path(path), text.count("\n", 0, offset) + 1, "view")
        return packed

    def document_counts(self) -> dict[str, int]:
        """Entries of every per-document holder of this session and of its indexes (the
        buffers and parse trees of open documents): `coderd/status` reports them."""
        with self._acquire_lock:
            indexes = list(self._indexes.values())
        ahead = self.ahead.sizes()
        return {
            "builder_last": len(self.builder.last),
            "builder_documents": len(self.builder.documents),
            "ahead_ready": ahead["ready"],
            "ahead_building": ahead["building"],
            "ahead_latest": ahead["latest"],
            "recent": self.recent.document_count(),
            "resolved": len(self._resolved),
            "index_buffers": sum(len(i.buffer_paths()) for i in indexes),
        }

    def forget(self, path: Path) -> None:
        """The editor closed `path` (didClose): its buffer goes (the disk is the truth again)
        and so does everything kept for the document: the builder's last result and memos,
        the look-ahead's result, its recent regions, its resolved path."""
        self.clear_buffer(path)
        self._drop(path)  # after clear_buffer, which resolves the path again

    def _drop(self, path: Path) -> None:
        self.builder.forget(str(path))
        self.ahead.forget(Path(path))
        self.recent.forget(Path(path))
        self._resolved.pop(str(path), None)

    def close(self) -> None:
        """Release this provider's roots, in the background (it joins threads, and the caller
        may be an event loop). Another session's roots, in a shared registry, stay open."""

        def release_all() -> None:
            with self._acquire_lock:
                self.roots = ()
                held, self._indexes = list(self._indexes), {}
            for root in held:
                self.registry.release(root)

        self._later(release_all)
        with self._jobs_lock:
            self._closed = True
            self._jobs.put(None)  # the jobs thread ends after the release


def _deepest_first(roots: Iterable[Path]) -> tuple[Path, ...]:
    """A nested workspace folder wins over its parent."""
    return tuple(sorted(set(roots), key=lambda r: len(r.parts), reverse=True))
