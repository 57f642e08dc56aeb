"""One index (and watcher) per workspace root, shared by every session that uses the root.

The composition root (the server) owns one `IndexRegistry`; sessions acquire a root when they
start (or when the editor adds a workspace folder) and release it when they end (or remove the
folder). The count of users is per root: the index is built and watched from the first acquire
and closed, its observer stopped, when the last user releases it, so two editors on one
repository parse it once and removing a folder from one session leaves the other's index alone.

The first build of a root reports its progress to `BuildListener`s: the session that created
the index, and any that joins while it runs. One that joins after it is built hears nothing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from coderd.context.index.walk import WalkOptions
from coderd.context.index.watch import WorkspaceWatcher
from coderd.context.index.workspace import IndexStats, WorkspaceIndex

log = logging.getLogger(__name__)

# Progress of a build is passed on at most this often (and once more when the walk is done).
PROGRESS_INTERVAL_S = 0.2


class BuildListener(Protocol):
    """Hears about the first build of one root, in this order: started, progress (zero or more
    times), finished. Called on coderd's threads (the build's, or the one that subscribed),
    never on an event loop, with a lock held: an implementation only hands the call over."""

    def build_started(self, root: Path) -> None: ...

    def build_progress(self, done: int, total: int) -> None: ...  # files parsed / files found

    def build_finished(self, stats: IndexStats) -> None: ...


class _BuildProgress:
    """Fans the first build's progress out to its listeners, throttled to `interval_s`."""

    def __init__(self, index: WorkspaceIndex, interval_s: float) -> None:
        self._index = index
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._listeners: list[BuildListener] = []
        self._state: tuple[int, int] | None = None  # the last (done, total) passed on
        self._last_at = float("-inf")  # build thread only
        self._finished = False

    def follow(self, listener: BuildListener) -> bool:
        """Add a listener while the build runs (it is told where the build stands); False once
        the build is over."""
        with self._lock:
            if self._finished:
                return False
            self._listeners.append(listener)
            _tell(listener.build_started, self._index.root)
            if self._state is not None:
                _tell(listener.build_progress, *self._state)
            return True

    def progress(self, done: int, total: int) -> None:
        """The build thread, after each file."""
        now = time.monotonic()
        if now - self._last_at < self._interval_s and done < total:
            return
        self._last_at = now
        with self._lock:
            self._state = (done, total)
            for listener in self._listeners:
                _tell(listener.build_progress, done, total)

    def finished(self) -> None:
        """The build thread, last (also when the build failed or the index was closed)."""
        stats = self._index.stats()
        with self._lock:
            self._finished = True
            listeners, self._listeners = self._listeners, []
            for listener in listeners:
                _tell(listener.build_finished, stats)


def _tell(method, *args) -> None:
    try:
        method(*args)
    except Exception:  # a listener must never stop a build
        log.exception("build listener failed")


@dataclass
class _Entry:
    index: WorkspaceIndex
    watcher: WorkspaceWatcher
    build: _BuildProgress
    users: int


class IndexRegistry:
    def __init__(
        self,
        options: WalkOptions | None = None,
        watch: bool = True,
        progress_interval_s: float = PROGRESS_INTERVAL_S,
    ) -> None:
        self._options = options
        self._watch = watch  # False: no observer (one-shot CLI runs, tests of the index alone)
        self._progress_interval_s = progress_interval_s
        self._lock = threading.Lock()
        self._entries: dict[Path, _Entry] = {}

    def get_or_create(
        self, root: str | os.PathLike[str], listener: BuildListener | None = None
    ) -> WorkspaceIndex:
        """The shared index of `root`, building and watching it on first use; counts a user.
        `listener` hears about the first build if it is still running (or starts now)."""
        key = Path(root).resolve()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                index = WorkspaceIndex(key, self._options)
                # The watcher also takes the editor's reports (`report`), observer or not.
                watcher = WorkspaceWatcher(index)
                if self._watch:
                    # Watch before building, so that no change made during the build is missed
                    # (the build's tickets keep an older read from overwriting a newer event).
                    _start_watcher(watcher)
                build = _BuildProgress(index, self._progress_interval_s)
                entry = self._entries[key] = _Entry(index, watcher, build, 0)
                if listener is not None:
                    build.follow(listener)
                index.build(progress=build.progress, finished=build.finished)
            elif listener is not None:
                entry.build.follow(listener)
            entry.users += 1
            return entry.index

    def follow(self, root: str | os.PathLike[str], listener: BuildListener) -> bool:
        """Let `listener` hear about the first build of `root` if it is still running."""
        with self._lock:
            entry = self._entries.get(Path(root).resolve())
        return entry is not None and entry.build.follow(listener)

    def report(self, root: str | os.PathLike[str], paths: Iterable[str | os.PathLike[str]]) -> bool:
        """Paths under `root` that the editor says changed: into the watcher's next batch."""
        with self._lock:
            entry = self._entries.get(Path(root).resolve())
        if entry is None:
            return False
        entry.watcher.report(paths)
        return True

    def release(self, root: str | os.PathLike[str]) -> None:
        """One user fewer; the last one stops the watcher and closes the index."""
        key = Path(root).resolve()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return
            entry.users -= 1
            if entry.users > 0:
                return
            del self._entries[key]
        entry.watcher.stop()
        entry.index.close()

    def users(self, root: str | os.PathLike[str]) -> int:
        with self._lock:
            entry = self._entries.get(Path(root).resolve())
            return entry.users if entry is not None else 0

    def close_all(self) -> None:
        """Shutdown: release every root whatever its count."""
        with self._lock:
            entries, self._entries = list(self._entries.values()), {}
        for entry in entries:
            entry.watcher.stop()
            entry.index.close()


def _start_watcher(watcher: WorkspaceWatcher) -> None:
    try:
        watcher.start()
    except OSError as error:  # inotify watch limit, unsupported file system
        log.warning(
            "cannot watch %s (%s); the index follows only the changes the editor reports",
            watcher.index.root,
            error,
        )
