"""Python's cyclic garbage collector, paced for a daemon whose every millisecond is a user's:
full collections run when the completion worker has nothing to do, not inside a request.

Why: the index is frozen out of the collector once built (context/index/workspace.py), but
what the daemon keeps after it (memo caches of lines and parses, the look-ahead's builds)
lands in the oldest generation. A full collection walks all of it: 5 ms at first, up to 22 ms
after a thousand context builds on a big Go package (33 before the token counts were kept as
tuples: pack/counts.py), and most of them started inside a build, the code that allocates
the most (bench/gc_pauses.py prints where they land).

How: Python starts a full collection once ten young-generation collections have passed and
the oldest generation has grown by a quarter since the last one. Paced, that start is put off
(a threshold twenty times higher, a safety net for a daemon that is never idle), and
`idle()` runs the same rule itself where no keystroke waits: the completion worker calls it
once it has answered, no ticket is queued and the user has paused (completion/worker.py
`_next`). Young collections stay automatic: they walk only what is new, under 3 ms.
"""

from __future__ import annotations

import gc
import threading
import time

# How much later than Python's own rule an automatic full collection may start while paced:
# only a daemon that never idles (a request queued at every answer) reaches it.
SAFETY_FACTOR = 20
GROWTH = 1.25  # CPython's rule: the oldest generation grew by a quarter since the last full one


class IdleCollector:
    """Takes over the full collections of this process while installed (`install` and
    `uninstall` bracket the daemon's worker; thresholds are process-wide, so one at a time).
    `paced=False` (the CLI, tests): install does nothing, Python keeps its own pace."""

    def __init__(self, paced: bool = True) -> None:
        self.paced = paced
        self._lock = threading.Lock()
        self._saved: tuple[int, int, int] | None = None
        self._survivors = 0  # objects in the oldest generation after the last full collection
        self.collections = 0  # run by idle()
        self.last_ms = 0.0
        self.total_ms = 0.0

    @property
    def installed(self) -> bool:
        return self._saved is not None

    def install(self) -> None:
        with self._lock:
            if self._saved is not None or not self.paced:
                return
            self._saved = gc.get_threshold()
            young, middle, old = self._saved
            gc.set_threshold(young, middle, old * SAFETY_FACTOR)
            self._survivors = len(gc.get_objects(generation=2))

    def uninstall(self) -> None:
        with self._lock:
            if self._saved is not None:
                gc.set_threshold(*self._saved)
                self._saved = None

    def due(self) -> bool:
        """Python's own rule for starting a full collection (its thresholds before install)."""
        if self._saved is None or gc.get_count()[2] < self._saved[2]:
            return False
        # One list of pointers to the oldest generation: small while the index is frozen.
        size = len(gc.get_objects(generation=2))
        # Smaller than after the last collection: an index was frozen (or let go) since.
        self._survivors = min(self._survivors, size)
        return size > self._survivors * GROWTH

    def idle(self) -> float | None:
        """Run the full collection that Python would have started by now; its milliseconds,
        or None when none was due (or not installed)."""
        with self._lock:
            if not self.due():
                return None
            started = time.perf_counter()
            gc.collect()
            self._survivors = len(gc.get_objects(generation=2))
            self.last_ms = (time.perf_counter() - started) * 1000
            self.total_ms += self.last_ms
            self.collections += 1
            return self.last_ms

    def status(self) -> dict[str, object]:
        return {
            "paced": self.installed,
            "idle_collections": self.collections,
            "last_ms": round(self.last_ms, 1),
            "total_ms": round(self.total_ms, 1),
        }
