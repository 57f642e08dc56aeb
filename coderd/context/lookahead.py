"""Building the context for a keystroke before its completion request arrives.

An editor sends the change (didChange) at once and the completion request after its debounce.
The index parses the new text on its buffer thread in between (index.py); right after that
parse, the same thread builds the context at the position just edited, with the tokenizer,
budget and format of this provider's last request. The request then finds it ready (same
text, same position, same budget: the very result), or at least every memo warm: the file's
imports resolved, the snippets' token counts, the types' fields. A first request in a file
costs three to four times a repeated one, so this is where the build's tail latency goes.

Only the newest text is looked ahead: a parse that a newer keystroke overtook is skipped.
Builds are serialised process-wide (BUILD_LOCK): their memos are shared module state, and
the service's worker and the buffer threads of every index would otherwise build at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from coderd.context.retrieve.recent import first_difference

log = logging.getLogger(__name__)

BUILD_LOCK = threading.Lock()


def edit_position(old: str | None, new: str) -> int | None:
    """Where the cursor most likely is after `old` became `new`: the end of the changed part
    (the text after it is the same in both). None on open: no edit to follow."""
    if old is None or old == new:
        return None
    head = first_difference(old, new)
    # The same from the end, not reaching back past `head` in either text.
    tail = first_difference(old[head:][::-1], new[head:][::-1])
    return len(new) - tail


class LookAhead:
    def __init__(self, build: Callable[..., object]) -> None:
        self._build = (
            build  # ContextProvider._build(path, text, offset, tokenize, budget, repo_format)
        )
        self._args: tuple | None = None  # (tokenize, budget, repo_format) of the last request
        self._ready: dict[str, tuple] = {}  # path -> (text, offset, budget, repo_format, packed)

    def remember(self, tokenize, budget: int, repo_format) -> None:
        self._args = (tokenize, budget, repo_format)

    def forget(self, path: Path) -> None:
        self._ready.pop(str(path), None)

    def clear(self) -> None:
        """Drop the contexts built ahead (the evaluation measures builds, not look-ups)."""
        self._ready.clear()

    def take(self, path: Path, text: str, offset: int, budget: int, repo_format):
        """The context built ahead for exactly this request, or None."""
        ready = self._ready.get(str(path))
        if ready is not None and ready[0] == text and ready[1:4] == (offset, budget, repo_format):
            self._ready.pop(str(path), None)
            return ready[4]
        return None

    def after_parse(
        self,
        path: Path,
        old: str | None,
        text: str,
        parsed: Future,
        current: Callable[[], str | None],
    ) -> Future:
        """A Future that completes once `parsed` has and the context at the edit is built
        (`current()` is the buffer's newest text: an overtaken one is not built)."""
        offset, args = edit_position(old, text), self._args
        if offset is None or args is None:
            return parsed
        done: Future = Future()

        def build(finished: Future) -> None:
            if finished.cancelled():  # the index is closing
                done.cancel()
                return
            error = finished.exception()
            try:
                if error is None and current() is text:
                    packed = self._build(path, text, offset, *args)
                    self._ready[str(path)] = (text, offset, args[1], args[2], packed)
            except Exception:  # a look-ahead must never break the buffer thread
                log.debug("context look-ahead for %s failed", path, exc_info=True)
            finally:
                if error is not None:
                    done.set_exception(error)
                else:
                    done.set_result(finished.result())

        parsed.add_done_callback(build)
        return done
