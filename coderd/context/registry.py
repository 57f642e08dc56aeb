"""One index (and watcher) per workspace root, shared by every session that uses the root.

The composition root (the server) owns one `IndexRegistry`; sessions acquire a root when they
start and release it when they end. The index is built and watched from the first acquire and
closed when the last user releases it, so two editors on one repository parse it once.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from coderd.context.index import WorkspaceIndex
from coderd.context.walk import WalkOptions
from coderd.context.watch import WorkspaceWatcher

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    index: WorkspaceIndex
    watcher: WorkspaceWatcher | None
    users: int


class IndexRegistry:
    def __init__(self, options: WalkOptions | None = None, watch: bool = True) -> None:
        self._options = options
        self._watch = watch  # False: no observer (one-shot CLI runs, tests of the index alone)
        self._lock = threading.Lock()
        self._entries: dict[Path, _Entry] = {}

    def get_or_create(self, root: str | os.PathLike[str]) -> WorkspaceIndex:
        """The shared index of `root`, building and watching it on first use; counts a user."""
        key = Path(root).resolve()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                index = WorkspaceIndex(key, self._options)
                watcher = None
                if self._watch:
                    # Watch before building, so that no change made during the build is missed
                    # (the build's tickets keep an older read from overwriting a newer event).
                    watcher = _start_watcher(index)
                index.build()
                entry = self._entries[key] = _Entry(index, watcher, 0)
            entry.users += 1
            return entry.index

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
        if entry.watcher is not None:
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
            if entry.watcher is not None:
                entry.watcher.stop()
            entry.index.close()


def _start_watcher(index: WorkspaceIndex) -> WorkspaceWatcher | None:
    try:
        return WorkspaceWatcher(index).start()
    except OSError as error:  # inotify watch limit, unsupported file system: index stays static
        log.warning("cannot watch %s (%s); the index will not follow changes", index.root, error)
        return None
