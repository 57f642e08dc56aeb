"""The workspace folders of one session and their indexes, and the one thread that changes them.

The event loop calls `add_root` / `remove_root` / `files_changed` / `report_builds` / `close`,
which only queue a job: one background thread ("coderd-workspace") runs those jobs in order,
so creating an index (a recursive watch takes a while on a big tree) and releasing one (it
joins threads) never hold up a caller, and an add followed by a remove of the same folder
cannot be reordered. Indexes come from the registry (shared by the sessions on the same root);
this object holds one reference per root it uses and gives them back at `close`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from coderd.context.index.registry import BuildListener, IndexRegistry
from coderd.context.index.workspace import WorkspaceIndex

log = logging.getLogger(__name__)


class WorkspaceRoots:
    def __init__(self, roots: Iterable[Path], registry: IndexRegistry | None = None) -> None:
        # Replaced, never mutated, and only under _acquire_lock: any thread may iterate it.
        self.roots: tuple[Path, ...] = _deepest_first(r.resolve() for r in roots)
        self.registry = registry or IndexRegistry()
        # Roots this object holds one registry reference to. Written under _acquire_lock,
        # which the event loop never takes (it only reads, and a dict read is atomic).
        self._indexes: dict[Path, WorkspaceIndex] = {}
        self._acquire_lock = threading.Lock()
        self.background = False  # start() was called: indexes come from the jobs thread
        self._listener_for: Callable[[Path], BuildListener] | None = None
        self._on_ready: Callable[[Path], None] | None = None  # under _acquire_lock
        self._jobs: queue.SimpleQueue[Callable[[], object] | None] = queue.SimpleQueue()
        self._jobs_thread: threading.Thread | None = None
        self._jobs_lock = threading.Lock()
        self._closed = False

    def start(self) -> None:
        """Create (walk, watch, build) the roots' indexes in the background, not on first use:
        starting a recursive watch takes a while on a big tree and must not hold up a caller."""
        self.background = True
        for root in self.roots:
            self._later(partial(self._acquire, root))

    def indexes(self) -> list[WorkspaceIndex]:
        with self._acquire_lock:
            return list(self._indexes.values())

    def index_for(self, path: Path, *, create: bool = True) -> WorkspaceIndex | None:
        """The index of the workspace root holding `path` (resolved); created on first use
        unless `create` is False (the event loop's calls: they only ever find one)."""
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

    def on_index_ready(self, callback: Callable[[Path], None]) -> None:
        """From now on, `callback(root)` once each root's index has finished its first build
        (at once for those built already), on a coderd thread: the documents opened before
        then were prompted with what was indexed so far."""

        def subscribe() -> None:
            with self._acquire_lock:
                self._on_ready = callback
                indexes = list(self._indexes.items())
            for root, index in indexes:
                index.when_ready(partial(callback, root))

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
                if self._on_ready is not None:
                    index.when_ready(partial(self._on_ready, root))
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

    def close(self) -> None:
        """Release these roots, in the background (it joins threads, and the caller
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
