"""Keep a WorkspaceIndex fresh from file-system events: watchdog's, and the editor's.

Two sources feed one batch. watchdog delivers events on its own thread; the editor's
`workspace/didChangeWatchedFiles` (the fallback when inotify watches run out or the file system
is remote) arrives through `report()`. Both only record the touched paths (cheap, never parse).
A separate applier thread waits until the events pause for `debounce_s`, or until
`max_delay_s` has passed since the first one, and applies the batch in one go:

* paths coalesce, so a file written ten times is parsed once; a move contributes both ends;
* a changed `.gitignore` or `.git/info/exclude` changes which files belong: full rescan;
* a storm (a `git checkout`, a build) of more than `storm_paths` paths becomes one stat-based
  rescan, which re-parses only files whose mtime or size changed;
* a path only the editor reported is skipped when the index already agrees with the disk
  (same mtime and size, or absent from both): the observer has usually applied it already,
  so hearing of a change twice costs a stat, not a parse.

Events under skipped directories (.git, node_modules, ...) and for secret-looking names are
dropped when recorded; everything else goes through the index, whose rules are the walk's.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from coderd.context.index.walk import is_secret_name
from coderd.context.index.workspace import WorkspaceIndex

log = logging.getLogger(__name__)

_RULE_FILES = (".gitignore",)
_GIT_EXCLUDE = ".git/info/exclude"


class WorkspaceWatcher:
    def __init__(
        self,
        index: WorkspaceIndex,
        debounce_s: float = 0.1,  # quiet time that ends a batch
        max_delay_s: float = 1.0,  # a batch is applied at the latest this long after its first event
        storm_paths: int = 200,  # more paths than this in one batch: rescan instead
    ) -> None:
        self.index = index
        self.debounce_s = debounce_s
        self.max_delay_s = max_delay_s
        self.storm_paths = storm_paths
        # Relative paths touched since the last batch -> True when the observer saw them (always
        # re-read), False when only the editor reported them (re-read unless already current).
        self._pending: dict[str, bool] = {}
        self._rule_stamps: dict[str, tuple[int, int] | None] = {}  # rules files as last rescanned
        self._first_event_at: float | None = None
        self._last_event_at = 0.0
        self._cond = threading.Condition()
        self._stopping = False
        self._busy = False  # a batch is being applied
        self.batches = 0  # batches applied (tests and logs)
        self.rescans = 0  # of which were full rescans
        self._observer = Observer()
        self._observer.daemon = True
        self._applier = threading.Thread(target=self._run, name="coderd-index-watch", daemon=True)

    def start(self) -> WorkspaceWatcher:
        """Watch the root recursively and apply batches. Raises OSError when the observer cannot
        start (inotify watch limit, unsupported file system); `report()` works all the same."""
        self._ensure_applier()
        self._observer.schedule(_Handler(self), str(self.index.root), recursive=True)
        self._observer.start()
        return self

    def report(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        """Paths the editor says were created, changed or deleted (absolute, or relative to the
        root): applied in the same debounced batches as the observer's events."""
        for path in paths:
            self._record(os.fspath(path), observed=False)
        self._ensure_applier()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the observer and the applier; a batch in progress is finished first."""
        self._observer.stop()
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._observer.is_alive():
            self._observer.join(timeout)
        if self._applier.is_alive():
            self._applier.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no event is pending and no batch is running (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def _ensure_applier(self) -> None:
        with self._cond:  # report() and start() may race; a thread starts once
            if not self._stopping and self._applier.ident is None:
                self._applier.start()

    # ---- called on the observer's thread, or the caller's of report() -----------------------

    def _record(self, absolute: str, observed: bool = True) -> None:
        rel = self.index.relative(absolute)
        if rel is None:
            return
        parts = rel.split("/")
        if not _is_rules_file(rel):
            skipped = self.index.rules.options.skipped_dirs
            if any(part in skipped for part in parts[:-1]) or is_secret_name(parts[-1]):
                return  # .git churn, node_modules installs, secrets: never reach the index
        now = time.monotonic()
        with self._cond:
            if self._stopping:
                return
            self._pending[rel] = self._pending.get(rel, False) or observed
            self._last_event_at = now
            if self._first_event_at is None:
                self._first_event_at = now
            self._cond.notify_all()

    # ---- the applier thread ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._pending:
                    self._cond.wait()
                if self._stopping:
                    return
                # Debounce: wait for a quiet spell, but not longer than max_delay_s in all.
                while not self._stopping:
                    now = time.monotonic()
                    quiet_at = self._last_event_at + self.debounce_s
                    latest = (self._first_event_at or now) + self.max_delay_s
                    if now >= min(quiet_at, latest):
                        break
                    self._cond.wait(min(quiet_at, latest) - now)
                if self._stopping:
                    return
                batch, self._pending = self._pending, {}
                self._first_event_at = None
                self._busy = True
            try:
                self._apply(batch)
            except Exception:  # a bad batch must not stop freshness for good
                log.exception("applying file events failed; rescanning %s", self.index.root)
                self._safe_rescan()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _apply(self, batch: dict[str, bool]) -> None:
        rules = {rel: observed for rel, observed in batch.items() if _is_rules_file(rel)}
        paths = {rel: observed for rel, observed in batch.items() if rel not in rules}
        changed_rules = {rel: _stamp(self.index.root / rel) for rel in rules}
        changed_rules = {
            rel: stamp
            for rel, stamp in changed_rules.items()
            if rules[rel] or self._rule_stamps.get(rel, ()) != stamp
        }
        if changed_rules or len(paths) > self.storm_paths:
            self.batches += 1
            self.rescans += 1
            self._rule_stamps.update(changed_rules)
            self.index.rules.invalidate()
            self.index.rescan()
            return
        stale = sorted(
            rel for rel, observed in paths.items() if observed or not self.index.is_current(rel)
        )
        if not stale:
            return  # the editor told us what the observer already applied
        self.batches += 1
        # A new directory may hold a nested .gitignore we have not read yet; cached verdicts
        # about paths under it would be stale, so forget them (cheap: they are rebuilt lazily).
        if any(os.path.isdir(self.index.root / rel) for rel in stale):
            self.index.rules.invalidate()
        self.index.refresh(stale)

    def _safe_rescan(self) -> None:
        try:
            self.index.rules.invalidate()
            self.index.rescan()
        except Exception:
            log.exception("rescan of %s failed", self.index.root)


def _is_rules_file(rel: str) -> bool:
    return rel.rpartition("/")[2] in _RULE_FILES or rel == _GIT_EXCLUDE


def _stamp(path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


class _Handler(FileSystemEventHandler):
    """Turns every watchdog event into touched paths; what happened is re-read from disk."""

    def __init__(self, watcher: WorkspaceWatcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads change nothing
        if event.is_directory and event.event_type == "modified":
            return  # a directory's mtime moves when a file in it is created or deleted,
            # and that file gets its own event; rescanning the directory would be wasted work
        self._watcher._record(os.fsdecode(event.src_path))
        dest = getattr(event, "dest_path", "")
        if dest:
            self._watcher._record(os.fsdecode(dest))


def start_watching(index: WorkspaceIndex, **options) -> WorkspaceWatcher:
    """A started watcher for `index` (see WorkspaceWatcher for the options)."""
    return WorkspaceWatcher(index, **options).start()
