"""The server-side debounce: decode at once unless the next key will most likely cancel it.

A request's prompt is always evaluated at once (that keeps the KV cache in step with the
text); what may wait is the decode. Two measurements decide, no fixed delay:

- the user's typing gap, per document, from the times of its edits (`didChange`). Not from
  request arrivals: a sequential client asks again only when answered, so its request gaps are
  the answer time, and a debounce based on them would feed on its own delay.
- what a decode costs on this machine, from the requests the engine actually decoded
  (`RequestStats.generate_ms`, the decode alone, without any wait). A measurement taken while
  the machine was busy ages out with the next requests.

When the decode costs less than the usual gap, the answer comes before the next key: no wait
(a GPU, a small model). When it costs more (a laptop CPU, a large model) and keys come
faster than that, the decode waits about one and a half usual gaps after the last edit: the
next key, if it comes, cancels nothing expensive; if it does not, the user paused and the
decode starts. A gap several times the usual one is a pause: no wait either.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Iterator

EDITS_KEPT = 9  # edit times kept per document: eight gaps
COSTS_KEPT = 8  # decode costs kept: the last requests, so a busy spell ages out
# Relative to the measured gap, not absolute: a gap this many times the usual one is a pause.
PAUSE_FACTOR = 4.0
# Wait this many usual gaps after the last edit: long enough that the next key of a steady
# rhythm arrives first, short enough that a pause is noticed in about one gap.
WAIT_GAPS = 1.5


class TypingRhythm:
    def __init__(self) -> None:
        self._edits: dict[str, deque[float]] = {}  # document -> times of its recent edits
        self._costs: deque[float] = deque(maxlen=COSTS_KEPT)  # seconds per decode
        self._lock = threading.Lock()  # edits from the event loop, costs from the worker

    def edited(self, key: str, at: float | None = None) -> None:
        """The document changed (didChange)."""
        with self._lock:
            times = self._edits.setdefault(key, deque(maxlen=EDITS_KEPT))
            times.append(time.monotonic() if at is None else at)

    def decoded(self, seconds: float) -> None:
        """A request decoded for this long (the worker, after each decode that ran)."""
        if seconds > 0:
            with self._lock:
                self._costs.append(seconds)

    def typing_gap(self, key: str) -> float | None:
        """The usual gap between this document's edits while the user types, or None when
        there are not enough edits to tell."""
        with self._lock:
            times = list(self._edits.get(key, ()))
        gaps = [b - a for a, b in zip(times, times[1:])]
        if len(gaps) < 2:
            return None
        usual = statistics.median(gaps)
        typing = [g for g in gaps if g <= PAUSE_FACTOR * usual]  # pauses say nothing of speed
        return float(statistics.median(typing)) if typing else None

    def decode_cost(self) -> float | None:
        with self._lock:
            costs = list(self._costs)
        return float(statistics.median(costs)) if costs else None

    def debounce(self, key: str, limit_s: float, now: float | None = None) -> float:
        """Seconds the decode of a request for `key` made now should wait (0: decode at once);
        never more than `limit_s` (completion.debounce_ms_max; 0 turns the debounce off)."""
        gap, cost = self.typing_gap(key), self.decode_cost()
        if limit_s <= 0 or gap is None or cost is None or cost <= gap:
            return 0.0
        with self._lock:
            times = self._edits.get(key)
            last_edit = times[-1] if times else None
        if last_edit is None:
            return 0.0
        since_edit = (time.monotonic() if now is None else now) - last_edit
        if since_edit > PAUSE_FACTOR * gap:
            return 0.0  # the request comes well after the last key: the user paused
        return max(0.0, min(limit_s, WAIT_GAPS * gap - since_edit))

    def until_paused(self, key: str, now: float | None = None) -> float | None:
        """Seconds until the user will have paused on `key` (`WAIT_GAPS` usual gaps after its
        last edit; 0 when that is past). What background work that a key would cancel waits
        for, whatever a decode costs: an answer that comes just before the next key leaves the
        engine no idle time between keys, and work started there only makes that key wait (a
        prompt chunk, a swap of KV states: 0.5-0.9 s a key with the 1.3B model on one thread,
        bench/README.md, session 8).

        Before this document has a rhythm (its first key after the open), the user's rhythm
        in the document edited last stands in; with none anywhere, None: nothing tells a
        pause from the next key yet, so the work waits for the next edit, which will
        (starting at once made the second key after an open wait 0.5-0.9 s for a chunk,
        session 9). A document with no key typed since its open (or no edits reported: the
        CLI) has no keys to wait for: 0."""
        with self._lock:
            times = list(self._edits.get(key, ()))
        if len(times) < 2:
            return 0.0  # only the open, or no edits reported (the CLI): nobody types here
        gap = self.typing_gap(key) or self._latest_gap(besides=key)
        if gap is None:
            return None
        last_edit = times[-1]
        since_edit = (time.monotonic() if now is None else now) - last_edit
        return max(0.0, WAIT_GAPS * gap - since_edit)

    def _latest_gap(self, besides: str) -> float | None:
        """The typing gap of the most recently edited other document that has one."""
        with self._lock:
            others = sorted(
                ((times[-1], k) for k, times in self._edits.items() if k != besides and times),
                reverse=True,
            )
        return next((g for _, k in others if (g := self.typing_gap(k)) is not None), None)

    # -- per-document state (documents.py) ----------------------------------------------------

    def forget(self, key: str) -> None:
        with self._lock:
            self._edits.pop(key, None)

    def keys(self) -> Iterator[str]:
        with self._lock:
            documents = list(self._edits)
        yield from documents
