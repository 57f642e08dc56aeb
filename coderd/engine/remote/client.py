"""The remote engine: completions from a server over HTTP, opt-in through [remote].

Nothing here runs unless the user sets remote.enabled = true (and network.offline is false):
then the prompt - repository context, the text before and after the cursor - leaves the
machine for remote.url. endpoint.py says where and in which shape (shapes/), stream.py reads
the answer; token counts come from the reversible approximation in approx_tokens.py, since
the server keeps its tokenizer.

Streaming is what makes cancellation real. Requests run on a private asyncio loop in a
thread of their own ("coderd-remote-http"); the calling worker thread waits on the result
while it polls the CancelToken and the deadlines, and on any of them cancels the request's
task, which closes its connection (stream.py). A failing request never raises: it returns an
empty completion whose stop_reason says "error" or "timeout", logs the reason once (naming
the setting to fix), and keeps it in `last_error`.

The server's own token counts go into each request's RequestStats (coderd/status `last`),
also when they come after the request returned (drain.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import httpx

from coderd.engine.base import (
    CancelToken,
    Completion,
    EngineError,
    FimPrompt,
    GenerationLimits,
    RequestStats,
)
from coderd.engine.remote.deepseek_api import is_deepseek_api
from coderd.engine.remote.drain import Draining, ServerCounts
from coderd.engine.remote.endpoint import AUTO, describe, resolve_endpoint
from coderd.engine.remote.errors import SuffixRefused, UsageOptionsRefused, key_env_problem
from coderd.engine.remote.probe import after_suffix_refused, settle_shape
from coderd.engine.remote.shapes import PromptText
from coderd.engine.remote.stream import (
    CLOSE_WAIT_S,
    Progress,
    RemoteTimeout,
    Request,
    stream,
    wait_for,
)
from coderd.engine.remote.tokens import remote_tokenizer
from coderd.engine.speed_profile import SpeedProfile
from coderd.engine.stopping import budget_cut

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RemoteOptions:
    url: str
    model: str = ""
    api_key_env: str = "CODERD_API_KEY"
    timeout_ms: int = 10_000  # to connect and receive the first token
    n_ctx: int = 2048  # what the token budgets were sized for (the server's own limit is unknown)
    format: str = AUTO  # remote.format: auto, suffix, infill, raw (endpoint.py)
    local_model: str = ""  # the GGUF the local engine would load: maybe the same vocabulary


class RemoteEngine:
    """The Engine protocol over HTTP. Only the worker thread calls it (see base.py)."""

    supports_slots = False  # the server keeps its own cache
    # Speculation would be one more request per suggestion to a server that may bill each one.
    supports_speculation = False
    measures_speed = False  # the budgets stay as configured

    def __init__(self, options: RemoteOptions, environ: Mapping[str, str] | None = None) -> None:
        self.endpoint = resolve_endpoint(options.url, options.format)
        # A prewarm fills a team server's prefix cache; to the hosted API it is a billed request
        # (whose own cache the next real request fills as well).
        self.prewarms = not is_deepseek_api(self.endpoint.url)
        if problem := key_env_problem(options.api_key_env):
            raise EngineError(problem)
        environ = os.environ if environ is None else environ
        key = environ.get(options.api_key_env, "") if options.api_key_env else ""
        self._key_env, self._key_set = options.api_key_env, bool(key)
        self._options = options
        self._timeout_s = options.timeout_ms / 1000
        self._tokenizer, self.tokenizer_name = remote_tokenizer(
            options.model,
            options.url,
            options.format,
            Path(options.local_model) if options.local_model else None,
        )
        self.last_error: EngineError | None = None
        self._reported: set[str] = set()
        self._ask_usage = True  # until the server refuses stream_options
        self._counts = ServerCounts()  # and whether streams left early are read on for them
        self._draining = Draining()
        headers = {"Accept": "text/event-stream", "User-Agent": "coderd"}
        if key:
            headers["Authorization"] = f"Bearer {key}"  # held by the client only, never logged
        self.info = describe(self.endpoint, options.model, options.n_ctx, options.api_key_env, key)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="coderd-remote-http", daemon=True
        )
        self._thread.start()
        self._client = self._call(self._make_client(headers))
        # httpx logs every request at INFO: one line per keystroke in coderd's log otherwise.
        if logging.getLogger("httpx").level == logging.NOTSET:
            logging.getLogger("httpx").setLevel(logging.WARNING)
        log.info(
            "remote backend: %s (%s shape, token budgets by the %s tokenizer); completion "
            "prompts are sent there",
            self.endpoint.url,
            self.endpoint.shape,
            self.tokenizer_name,
        )

    # -- the Engine protocol -------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        return self._tokenizer.tokenize(text)

    def detokenize(self, ids: Sequence[int]) -> str:
        return self._tokenizer.detokenize(ids)

    def complete(
        self,
        prompt: FimPrompt,
        limits: GenerationLimits,
        cancel: CancelToken,
        speculative: bool = False,
        slot: int = 0,
    ) -> Completion:
        """One streamed request. `slot` means nothing here; `speculative` is declined."""
        started = time.perf_counter()
        stats = RequestStats(
            prompt_tokens=len(prompt.context_ids) + len(prompt.prefix_ids) + len(prompt.suffix_ids),
            context_tokens=len(prompt.context_ids),
        )
        pieces = (
            ("context", tuple(prompt.context_ids)),
            ("prefix", tuple(prompt.prefix_ids)),
            ("suffix", tuple(prompt.suffix_ids)),
        )
        ids = tuple(i for _, part in pieces for i in part)

        def result(text: str, reason: str) -> Completion:
            stats.stop_reason = reason
            stats.total_ms = (time.perf_counter() - started) * 1000
            return Completion(text=text, stats=stats, prompt_ids=ids, pieces=pieces)

        # Speculation is declined (supports_speculation), reported as the service's "no result".
        if speculative or cancel.wait(limits.start_delay_s) or cancel.cancelled:
            return result("", "cancelled")
        self._draining.stop()  # this request's prompt is the one worth the server's time
        text = PromptText(
            context=self.detokenize(prompt.context_ids),
            prefix=self.detokenize(prompt.prefix_ids),
            suffix=self.detokenize(prompt.suffix_ids),
        )
        request = Request(
            endpoint=self.endpoint,
            text=text,
            limits=limits,
            key_env=self._key_env,
            key_set=self._key_set,
            model=self._options.model,
            timeout=self._timeout(),
            ask_usage=self._ask_usage,
            # Not to the hosted API: a stream read on there is billed text.
            drain=self.prewarms and self._counts.drains(self.endpoint.wire),
            usage_at_end=self._counts.usage_at_end,
        )
        progress = Progress()
        sent = time.perf_counter()
        future = asyncio.run_coroutine_threadsafe(self._send(request, progress), self._loop)
        try:
            reason = wait_for(future, progress, limits, cancel, sent, self._timeout_s)
            if reason == "timeout":
                raise self._timeout()
        except EngineError as exc:
            self._report(exc)
            reason = "timeout" if isinstance(exc, RemoteTimeout) else "error"
            if isinstance(exc, SuffixRefused) and self._options.format == AUTO:
                self.endpoint = after_suffix_refused(self.endpoint, self._options.model)
        if progress.late.answered.is_set() and not future.done():
            self._draining.keep(future, progress.closed)  # read on for its usage (drain.py)
        ended = time.perf_counter()
        first = progress.first_at or ended
        stats.prompt_ms = (first - sent) * 1000  # to the first token: the server's prompt time
        stats.generate_ms = (ended - first) * 1000
        # The server's own token counts where it reports them (OpenAI `usage`, llama-server
        # `timings`); else streamed pieces, and our approximate prompt count.
        stats.generated_tokens = progress.counts.get("generated", progress.events)
        self._counts.take(stats, progress.counts, late=False)
        progress.late.then(lambda counts: self._counts.take(stats, counts, late=True))
        stats.prewarm = limits.max_tokens <= 0  # the prompt goes into the server's cache
        out = progress.text if not reason and not stats.prewarm else ""
        if reason == "time_budget":  # stalled past twice the budget: keep its complete lines
            out = progress.text[
                : budget_cut(progress.text, len(progress.text), float("inf"), limits)
            ]
        if not reason:
            self.last_error = None
        return result(
            out, reason or ("prewarm" if stats.prewarm else progress.stop_reason or "eog")
        )

    def forget_slot(self, slot: int) -> None:
        """Nothing to drop: the server keeps its own cache."""

    def speed_profile(self) -> SpeedProfile | None:
        """Not measured: a server's speed is not this machine's."""
        return None

    def finish_reports(self, timeout_s: float) -> None:
        """Wait up to `timeout_s` for a stream read on for its usage (stream.py `drain`) to end,
        so the last request's stats hold the server's cached tokens: for tests and benches,
        which send their next request at once (and it would close that stream)."""
        self._draining.wait(timeout_s)

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._draining.stop()
        try:
            self._call(self._client.aclose())
            # Streams left early (a stop rule) leave their line iterators to the loop to close.
            self._call(self._loop.shutdown_asyncgens())
        except Exception:  # closing must not fail the worker's shutdown
            log.debug("closing the remote client failed", exc_info=True)
        getattr(self._tokenizer, "close", lambda: None)()  # a vocabulary's llama.cpp model
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CLOSE_WAIT_S)
        if not self._thread.is_alive():
            self._loop.close()

    def raw_prompt(self, prompt: FimPrompt) -> str:
        """The text the "raw" shape sends for `prompt` (shapes/raw.py), for tests and logs."""
        from coderd.engine.remote.shapes.raw import layout

        parts = (prompt.context_ids, prompt.prefix_ids, prompt.suffix_ids)
        return layout(PromptText(*(self.detokenize(p) for p in parts)))

    # -- internals ------------------------------------------------------------------------

    async def _send(self, request: Request, progress: Progress) -> None:
        """The request, after asking the server what it is when remote.format = "auto" left
        the shape open: inside the request's task, so the cancel and deadlines cover both."""
        if request.endpoint.shape == AUTO:
            now, self.endpoint = await settle_shape(
                self._client, request.endpoint, self._options.model
            )
            request = replace(request, endpoint=now)
        try:
            await stream(self._client, request, progress)
        except UsageOptionsRefused as refused:
            self._ask_usage = False  # and the same request again, without stream_options
            self._report(refused)
            progress.closed.clear()
            await stream(self._client, replace(request, ask_usage=False, drain=False), progress)

    def _call(self, coro: Coroutine[object, None, T]) -> T:
        """Run a short coroutine on the loop thread and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(
            self._timeout_s + CLOSE_WAIT_S
        )

    async def _make_client(self, headers: dict[str, str]) -> httpx.AsyncClient:
        # Created on the loop that uses it. HTTPS_PROXY/NO_PROXY apply as in other HTTP tools.
        return httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(self._timeout_s), follow_redirects=False
        )

    def _timeout(self) -> RemoteTimeout:
        return RemoteTimeout(
            f"no answer from {self.endpoint.url} within remote.timeout_ms = "
            f"{self._options.timeout_ms} ms"
        )

    def _report(self, error: EngineError) -> None:
        """Quiet failures: each distinct problem is logged once as a warning, then at debug."""
        self.last_error = error
        message = str(error)
        if message in self._reported:
            log.debug("%s", message)
        else:
            self._reported.add(message)
            log.warning("%s", message)
