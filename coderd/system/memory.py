"""Giving the memory a closed document used back to the system (issue #11: the daemon's RSS
stays flat across hundreds of open/close cycles).

Two parts here, and a third elsewhere: per-line caches belong to their document, not to the
process (context/retrieve/usage.py). Any one left out leaves most of it mapped (bench/README
"Open/close cycles"):

* The daemon runs on the C allocator (`PYTHONMALLOC=malloc`, put in its environment by the
  relay that starts it). CPython's own small-object allocator keeps a 1 MiB arena mapped
  while any object in it lives, and a 200 KB document's parse and context build leave tens of
  MiB of arenas that a few long-lived cache entries, made during the same work, pin for good.
* After a document closes and the index has let go of it, `malloc_trim(0)` (glibc) hands the
  freed pages back. Elsewhere (macOS, musl) there is no such call and nothing is done: the
  allocators there give pages back on their own terms.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future

log = logging.getLogger(__name__)

# Set for the daemon unless the user chose an allocator: the daemon lives for hours and
# opens documents of every size, where giving memory back matters more than pymalloc's speed.
ALLOCATOR_ENV = ("PYTHONMALLOC", "malloc")


def daemon_environment(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with the allocator setting the daemon runs best with (the user's own wins)."""
    name, value = ALLOCATOR_ENV
    return {name: value, **env}


def glibc_malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None where the C library has none."""
    if os.name != "posix":
        return None
    try:
        # The process's own symbols: libc is loaded already (no library search, no subprocess).
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # a CDLL call releases the GIL: trimming never stalls the event loop


class FreedMemory:
    """Trims the heap once the work that freed a document's memory is done. Trims coalesce:
    closes that come while one is queued share it."""

    def __init__(self, trim: Callable[[int], int] | None) -> None:
        """`trim`: `glibc_malloc_trim()` in the daemon; None does nothing."""
        self._trim = trim
        self._lock = threading.Lock()
        self._queued = False
        self.trims = 0  # how many ran (tests)

    @property
    def available(self) -> bool:
        return self._trim is not None

    def release_after(self, work: Future | None) -> None:
        """Trim once `work` (the index dropping the document; None: nothing pending) is done."""
        if self._trim is None:
            return
        if work is None:
            self._queue()
        else:
            work.add_done_callback(lambda _done: self._queue())

    def _queue(self) -> None:
        with self._lock:
            if self._queued:
                return
            self._queued = True
        threading.Thread(target=self._run, name="coderd-trim", daemon=True).start()

    def _run(self) -> None:
        with self._lock:
            self._queued = False  # a close from now on needs a trim after this one
        try:
            assert self._trim is not None
            self._trim(0)
            self.trims += 1
        except OSError as exc:  # a C library that refuses: memory stays, nothing breaks
            log.debug("malloc_trim failed: %s", exc)
