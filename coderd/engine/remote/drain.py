"""Reading a stream on after its text is final, for the cached tokens in its last chunk.

vLLM and SGLang say what their prefix cache held (`usage.prompt_tokens_details.cached_tokens`)
only in a stream's last chunk, after the text; the usage they put in every chunk when asked
(`continuous_usage_stats`) counts the prompt but never its cached part (both servers'
sources). coderd's stop rule usually leaves a stream before that chunk, and closing it is
what stops the server. So on a team server whose chunks carry usage, or that has ended a
stream with it before (`ServerCounts`), a stream the stop rule left is read on, its text
dropped, while the suggestion is already on its way: the server spends the rest of the
request's max_tokens (as with no stop rule), unless the next request or the engine's close
closes the stream first (`Draining`). The counts then land in that request's RequestStats,
which coderd/status shows as `last`.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from coderd.engine.base import EngineError, RequestStats
from coderd.engine.remote.endpoint import OPENAI
from coderd.engine.remote.events import DONE, parse_sse_line, server_counts

log = logging.getLogger(__name__)
CLOSE_WAIT_S = 1.0  # how long a cancelled request may take to close its connection
DRAIN_TRIES = 4  # streams read on for cached tokens before a server that never counts them


@dataclass
class Late:
    """Counts that come after the request returned: written by the loop thread, taken by a
    callback the worker thread sets; whichever comes second delivers them, once."""

    # The text is final: the request ended, or its stream is read on for the usage only.
    answered: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counts: dict[str, int] | None = None
    _callback: Callable[[dict[str, int]], None] | None = None

    def report(self, counts: dict[str, int]) -> None:
        with self._lock:
            self._counts, callback = counts, self._callback
        if callback is not None:
            callback(counts)

    def then(self, callback: Callable[[dict[str, int]], None]) -> None:
        with self._lock:
            self._callback, counts = callback, self._counts
        if counts is not None:
            callback(counts)


async def drain(lines: AsyncIterator[str], late: Late) -> None:
    """Read `lines` on to the usage chunk; what goes wrong here only loses the counts."""
    late.answered.set()
    counts: dict[str, int] = {}
    try:
        async for line in lines:
            event = parse_sse_line(line)
            if event is DONE:
                break
            if isinstance(event, Mapping):
                counts.update(server_counts(event))
                if "reused" in counts:
                    break
    except (EngineError, httpx.HTTPError, httpx.StreamError) as exc:
        log.debug("reading a stream on for its usage failed: %s", exc)
        return
    late.report(counts)


class Draining:
    """The one stream an engine reads on: (its request's future, the event set once its
    connection is closed). Only the engine's worker thread calls this."""

    def __init__(self) -> None:
        self._now: tuple[concurrent.futures.Future[None], threading.Event] | None = None

    def keep(self, future: concurrent.futures.Future[None], closed: threading.Event) -> None:
        self._now = (future, closed)

    def wait(self, timeout_s: float) -> None:
        if self._now is not None:
            concurrent.futures.wait([self._now[0]], timeout=timeout_s)

    def stop(self) -> None:
        """Close the stream: it holds a place in the server's batch."""
        now, self._now = self._now, None
        if now is not None and not now[0].done():
            now[0].cancel()  # cancels the task on the loop: httpx closes the connection
            now[1].wait(CLOSE_WAIT_S)


class ServerCounts:
    """The server's token counts into each request's RequestStats, and what they show about
    the server: whether it sends a last usage chunk, and counts cached tokens in it."""

    def __init__(self) -> None:
        self._reports_usage = self._cache_reported = False
        self._tries = DRAIN_TRIES  # streams read on that may come back with no cached count

    @property
    def usage_at_end(self) -> bool:
        """The server has sent a last usage chunk (llama-server's /v1/completions does)."""
        return self._reports_usage

    def drains(self, wire: str) -> bool:
        """Whether a stream the stop rule leaves may be read on: not on llama-server's own wire
        (its every event has the counts); on OpenAI's while the server has counted cached
        tokens in a last chunk, or for DRAIN_TRIES streams (vLLM counts them only when started
        with --enable-prompt-tokens-details, and leaves out a count of 0). stream.py reads on
        only a stream whose chunks carry usage (vLLM, SGLang) or a server's that ends with it
        (`usage_at_end`): llama-cpp-python's server sends no usage at all."""
        return wire == OPENAI and (self._cache_reported or self._tries > 0)

    def take(self, stats: RequestStats, counts: Mapping[str, int], late: bool) -> None:
        """`counts` into `stats`: at the request's end, and again when a drained stream's last
        chunk comes (`late`: the generated count then stays what the user got)."""
        fallback = stats.evaluated_tokens or stats.prompt_tokens  # our own count, no cache
        stats.evaluated_tokens = counts.get("evaluated", counts.get("prompt", fallback))
        stats.reused_tokens = counts.get("reused", stats.reused_tokens)
        self._reports_usage |= "reused" in counts
        if counts.get("cache_reported"):
            self._cache_reported = True
        elif late:
            self._tries -= 1
