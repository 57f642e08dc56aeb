"""Keep a WorkspaceIndex fresh from file-system events (watchdog).

watchdog delivers events on its own thread; the handler only records the touched paths (cheap,
never parses). A separate applier thread waits until the events pause for `debounce_s`, or
until `max_delay_s` has passed since the first one, and applies the batch in one go:

* paths coalesce, so a file written ten times is parsed once; a move contributes both ends;
* a changed `.gitignore` or `.git/info/exclude` changes which files belong: full rescan;
* a storm (a `git checkout`, a build) of more than `storm_paths` paths becomes one stat-based
  rescan, which re-parses only files whose mtime or size changed.

Events under skipped directories (.git, node_modules, ...) and for secret-looking names are
dropped in the handler; everything else goes through the index, whose rules are the walk's.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from coderd.context.index import WorkspaceIndex
from coderd.context.walk import is_secret_name

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
        self._pending: set[str] = set()  # relative paths touched since the last batch
        self._rules_changed = False
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
        self._observer.schedule(_Handler(self), str(self.index.root), recursive=True)
        self._observer.start()
        self._applier.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the observer and the applier; a batch in progress is finished first."""
        self._observer.stop()
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._observer.join(timeout)
        if self._applier.is_alive():
            self._applier.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no event is pending and no batch is running (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._rules_changed or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    # ---- called on the observer's thread ------------------------------------------------------

    def _record(self, absolute: str) -> None:
        rel = self.index.relative(absolute)
        if rel is None:
            return
        parts = rel.split("/")
        rules_file = parts[-1] in _RULE_FILES or rel == _GIT_EXCLUDE
        if not rules_file:
            skipped = self.index.rules.options.skipped_dirs
            if any(part in skipped for part in parts[:-1]) or is_secret_name(parts[-1]):
                return  # .git churn, node_modules installs, secrets: never reach the index
        now = time.monotonic()
        with self._cond:
            if rules_file:
                self._rules_changed = True
            else:
                self._pending.add(rel)
            self._last_event_at = now
            if self._first_event_at is None:
                self._first_event_at = now
            self._cond.notify_all()

    # ---- the applier thread ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not (self._pending or self._rules_changed):
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
                batch, self._pending = self._pending, set()
                rules_changed, self._rules_changed = self._rules_changed, False
                self._first_event_at = None
                self._busy = True
            try:
                self._apply(batch, rules_changed)
            except Exception:  # a bad batch must not stop freshness for good
                log.exception("applying file events failed; rescanning %s", self.index.root)
                self._safe_rescan()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _apply(self, batch: set[str], rules_changed: bool) -> None:
        self.batches += 1
        if rules_changed or len(batch) > self.storm_paths:
            self.rescans += 1
            self.index.rules.invalidate()
            self.index.rescan()
            return
        # A new directory may hold a nested .gitignore we have not read yet; cached verdicts
        # about paths under it would be stale, so forget them (cheap: they are rebuilt lazily).
        if any(os.path.isdir(self.index.root / rel) for rel in batch):
            self.index.rules.invalidate()
        self.index.refresh(sorted(batch))

    def _safe_rescan(self) -> None:
        try:
            self.index.rules.invalidate()
            self.index.rescan()
        except Exception:
            log.exception("rescan of %s failed", self.index.root)


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


