"""What users do with suggestions: shown, accepted (all or part), rejected. Local only.

Editors report these with `coderd/didShow`, `coderd/didAccept` and `coderd/didReject`. The
counts feed `coderd/status` (acceptance rate in a status bar, `coderd bench` comparisons) and
the log; nothing leaves the machine. Suggestion ids are issued here so that a report can be
matched to the text that was offered.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Offered suggestions remembered for matching reports; older ones are forgotten.
REMEMBERED = 256
PARTIAL_KINDS = ("word", "line")


@dataclass(frozen=True)
class Offered:
    key: str  # document
    text: str


class Feedback:
    def __init__(self) -> None:
        # Ids start at a random point: a daemon restarted after a kill -9 must not take an
        # editor's report about the old daemon's "s1" for its own "s1".
        self._ids = itertools.count(1 + 1000 * secrets.randbelow(1_000_000))
        self._offered: OrderedDict[str, Offered] = OrderedDict()
        self._lock = threading.Lock()  # ids come from the worker, reports from the event loop
        self.counts = {
            "offered": 0,
            "shown": 0,
            "accepted": 0,
            "partial": 0,
            "rejected": 0,
            "accepted_chars": 0,
            "unknown_ids": 0,
        }

    def offer(self, key: str, text: str) -> str:
        with self._lock:
            suggestion_id = f"s{next(self._ids)}"
            self._offered[suggestion_id] = Offered(key, text)
            while len(self._offered) > REMEMBERED:
                self._offered.popitem(last=False)
            self.counts["offered"] += 1
            return suggestion_id

    def record(
        self, event: str, suggestion_id: object, kind: str = "all", accepted_text: str = ""
    ) -> None:
        """`event` is shown, accepted or rejected; unknown ids are counted, never an error."""
        with self._lock:
            offered = self._offered.get(suggestion_id) if isinstance(suggestion_id, str) else None
            if offered is None:
                self.counts["unknown_ids"] += 1
                log.info("%s for an unknown suggestion id %r", event, suggestion_id)
                return
            if event == "accepted":
                partial = kind in PARTIAL_KINDS and accepted_text != offered.text
                self.counts["partial" if partial else "accepted"] += 1
                self.counts["accepted_chars"] += len(accepted_text or offered.text)
            elif event in ("shown", "rejected"):
                self.counts[event] += 1
            log.info("suggestion %s %s (%s) in %s", suggestion_id, event, kind, offered.key)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)
