"""The user's typing rhythm, per document: the server-side debounce.

While keys come fast, the worker still evaluates each prompt at once (keeping the KV cache in
step with the text) but waits before decoding: about one and a half usual gaps, at most
`completion.debounce_ms_max`, so a burst of keys does not start decodes the next key cancels.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Iterator

# Gaps longer than this mean the user paused: answer at once, no debounce.
PAUSE_S = 0.3
RHYTHM_KEYS = 8  # recent gaps between requests kept per document


class TypingRhythm:
    def __init__(self) -> None:
        self._times: dict[str, deque[float]] = {}  # document -> times of its recent requests

    def debounce(self, key: str, limit_s: float) -> float:
        """1.5x the median gap between this document's recent requests, while they come fast."""
        times = self._times.setdefault(key, deque(maxlen=RHYTHM_KEYS + 1))
        times.append(time.monotonic())
        gaps = [b - a for a, b in zip(times, list(times)[1:])]
        if limit_s <= 0 or len(gaps) < 2 or gaps[-1] > PAUSE_S:
            return 0.0
        return float(min(limit_s, 1.5 * statistics.median(gaps)))

    def forget(self, key: str) -> None:
        self._times.pop(key, None)

    def keys(self) -> Iterator[str]:
        yield from list(self._times)
