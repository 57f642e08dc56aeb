"""Building the context for a keystroke before its completion request arrives.

An editor sends the change (didChange) at once and the completion request after its debounce.
The index parses the new text on its buffer thread in between (index/workspace.py); right
after that parse, the same thread warms this session's memos for the document (builder.py
`warm`: the names the file uses, its imports resolved, the parse with the edited line
blanked) and builds the context at the position just edited, with the tokenizer, budget and
format of this provider's last request. The request then finds it ready (same text, same
position, same budget: the very result), or at least every memo warm. A first request in a
file costs three to four times a repeated one, so this is where the build's tail latency goes.

Only the newest text is looked ahead: a parse that a newer keystroke overtook is skipped.

Concurrency: the look-ahead builds on the buffer thread while the service's worker may build
for this or another session; nothing is serialised process-wide (the memos have their own
locks, builder.py). This object's own state (the result built ahead, the build in progress)
has a small lock. A request that matches the build in progress waits for it (at most
WAIT_S) and takes its result, rather than building the same thing a second time beside it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from coderd.context.retrieve.recent import common_suffix, first_difference

log = logging.getLogger(__name__)

WAIT_S = 1.0  # a look-ahead build takes milliseconds; past this the request builds itself


def edit_position(old: str | None, new: str) -> int | None:
    """Where the cursor most likely is after `old` became `new`: the end of the changed part
    (the text after it is the same in both). None on open: no edit to follow."""
    if old is None or old == new:
        return None
    head = first_difference(old, new)
    # The same from the end, not reaching back past `head` in either text.
    return len(new) - common_suffix(old, new, min(len(old), len(new)) - head)


class LookAhead:
    def __init__(
        self,
        build: Callable[..., object],
        warm: Callable[[Path, str | None, str], None] | None = None,
        stamp: Callable[[Path], object] | None = None,
        hint: Callable[[Path, str, int], object] | None = None,
    ) -> None:
        # build(path, text, offset, tokenize, budget, repo_format): ContextProvider._build_ahead
        self._build = build
        self._warm = warm  # warm(path, old, text): ContextProvider._warm
        # stamp(path): what a build for `path` depends on besides its text (the index's
        # other files): a result is carried over only while it is the same.
        self._stamp = stamp or (lambda _path: None)
        # hint(path, text, offset): the receiver hint at the edit, made ahead of its request
        # (ContextProvider._hint_ahead), on a carried-over context too: a `.` typed.
        self._hint = hint
        self._args: tuple | None = None  # (tokenize, budget, repo_format) of the last request
        self._lock = threading.Lock()
        self._ready: dict[str, tuple] = {}  # path -> (text, offset, budget, repo_format, packed)
        self._building: dict[str, tuple] = {}  # path -> (text, offset, budget, format, Future)
        # path -> (text, offset, budget, format, packed): the newest build, kept after `take`
        self._latest: dict[str, tuple] = {}
        self._stamps: dict[str, object] = {}  # path -> the stamp its newest build was made at

    def remember(self, tokenize, budget: int, repo_format) -> None:
        self._args = (tokenize, budget, repo_format)

    def forget(self, path: Path) -> None:
        """Drop the document's result; a build in progress for it will not store its own."""
        with self._lock:
            self._ready.pop(str(path), None)
            self._building.pop(str(path), None)
            self._latest.pop(str(path), None)
            self._stamps.pop(str(path), None)

    def clear(self) -> None:
        """Drop the contexts built ahead (the evaluation measures builds, not look-ups)."""
        with self._lock:
            self._ready.clear()

    def sizes(self) -> dict[str, int]:
        with self._lock:
            return {
                "ready": len(self._ready),
                "building": len(self._building),
                "latest": len(self._latest),
            }

    def latest(self, path: Path, text: str, offset: int, budget: int, repo_format):
        """The newest context built ahead for the document at about this cursor (the same
        line, or the one next to it, of the text it was built for), whatever edits came
        since; None when there is none, or it was built with another budget or format."""
        with self._lock:
            found = self._latest.get(str(path))
        if found is None or found[2:4] != (budget, repo_format):
            return None
        built_text, built_offset = found[0], found[1]
        row = text.count("\n", 0, offset)
        if abs(built_text.count("\n", 0, built_offset) - row) > 1:
            return None  # the cursor went elsewhere: what is near it may differ
        return found[4]

    def take(self, path: Path, text: str, offset: int, budget: int, repo_format):
        """The context built ahead for exactly this request, or None. Taken once: a second
        call for the same request gets None."""
        key, wanted = str(path), (text, offset, budget, repo_format)
        with self._lock:
            ready = self._ready.get(key)
            if ready is not None and ready[:4] == wanted:
                del self._ready[key]
                return ready[4]
            building = self._building.get(key)
            pending = building[4] if building is not None and building[:4] == wanted else None
        if pending is None:
            return None
        try:
            pending.result(WAIT_S)
        except Exception:  # timed out or failed: the request builds for itself
            return None
        with self._lock:
            ready = self._ready.get(key)
            if ready is not None and ready[:4] == wanted:
                del self._ready[key]
                return ready[4]
        return None

    def after_parse(
        self, path: Path, old: str | None, text: str, current: Callable[[], str | None]
    ) -> Callable[[], None] | None:
        """What the index's buffer thread runs once the parse of `text` is committed
        (`WorkspaceIndex.set_buffer(..., then=)`): warm the memos, then build the context at
        the edit. `current()` is the buffer's newest text: an overtaken one is skipped."""
        offset, args = edit_position(old, text), self._args
        if self._warm is None and self._hint is None and (offset is None or args is None):
            return None

        def then() -> None:
            if current() is not text:
                return
            try:
                # Typed on the line of the last build: the same context, carried over.
                if offset is None or not self._carry_over(path, text, offset):
                    if self._warm is not None:
                        self._warm(path, old, text)
                    if offset is not None and args is not None:
                        self._build_at(path, text, offset, args)
                if offset is not None and self._hint is not None:
                    self._hint(path, text, offset)
            except Exception:  # a look-ahead must never break the buffer thread
                log.debug("context look-ahead for %s failed", path, exc_info=True)

        return then

    def _carry_over(self, path: Path, text: str, offset: int) -> bool:
        """When `text` differs from the text of the document's newest build only on the line
        of its cursor, before it (typing at the cursor), the context is the same by design
        (retrieval never reads that part: candidates.py): record it for `text` instead of
        building again. Each keystroke of a line would otherwise re-run retrieval on the
        buffer thread, in the request's way (the GIL)."""
        key = str(path)
        with self._lock:
            found, stamp = self._latest.get(key), self._stamps.get(key)
        if found is None or stamp != self._stamp(path):
            return False  # nothing built yet, or another file changed since
        old, old_offset = found[0], found[1]
        start = text.rfind("\n", 0, offset) + 1
        if old_offset < start or text[offset:] != old[old_offset:] or old[:start] != text[:start]:
            return False
        if "\n" in old[start:old_offset] or "\n" in text[start:offset]:
            return False
        entry = (text, offset, *found[2:])
        with self._lock:
            if self._latest.get(key) is found:
                self._latest[key] = self._ready[key] = entry
        return True

    def _build_at(self, path: Path, text: str, offset: int, args: tuple) -> None:
        key, building = str(path), Future[None]()
        entry = (text, offset, args[1], args[2], building)
        stamp = self._stamp(path)  # before the build: a change during it is seen next time
        with self._lock:
            self._building[key] = entry
        packed = None
        try:
            packed = self._build(path, text, offset, *args)
        finally:
            with self._lock:
                if self._building.get(key) is entry:  # not forgotten, nor replaced meanwhile
                    del self._building[key]
                    if packed is not None:
                        self._ready[key] = (text, offset, args[1], args[2], packed)
                        self._latest[key] = self._ready[key]
                        self._stamps[key] = stamp
            building.set_result(None)
