"""The remote engine: completions from a server over HTTP, opt-in through [remote].

Nothing here runs unless the user sets remote.enabled = true (and network.offline is false):
then the prompt - repository context, the text before and after the cursor - leaves the
machine for remote.url. The wire format is in api.py; token counts come from the
reversible approximation in approx_tokens.py, since the server keeps its tokenizer.

Streaming is what makes cancellation real. Requests run on a private asyncio loop in a
thread of their own ("coderd-remote-http"); the calling worker thread waits on the result
while it polls the CancelToken and the deadlines, and on any of them cancels the request's
task. Cancelling an httpx stream closes its connection at once, even while the server is still
evaluating the prompt; llama-cpp-python's server stops generating at its next token (its log
says so; tests/engine/test_remote_backend.py watches for it). A failing request never raises:
it returns an empty completion whose stop_reason says "error" or "timeout", logs the reason
once (naming the setting to fix), and keeps it in `last_error`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from coderd.engine.base import (
    CancelToken,
    Completion,
    EngineError,
    FimPrompt,
    GenerationLimits,
    ModelInfo,
    RequestStats,
)
from coderd.engine.remote.api import (
    DONE,
    INFILL,
    http_error,
    key_env_problem,
    parse_event,
    parse_sse_line,
    request_body,
    resolve_endpoint,
)
from coderd.engine.remote.approx_tokens import ApproxTokenizer
from coderd.engine.speed_profile import SpeedProfile

# The local engine's stop rule and time-budget rule, so both backends cut text alike.
from coderd.engine.stopping import budget_cut as _budget_cut
from coderd.engine.stopping import stop_position as _stop_position

log = logging.getLogger(__name__)

POLL_S = 0.01  # how often the waiting thread looks at the CancelToken and the deadlines
CLOSE_WAIT_S = 1.0  # how long a cancelled request may take to close its connection
LOOPBACK = ("127.0.0.1", "::1", "localhost")

T = TypeVar("T")


class RemoteTimeout(EngineError):
    """No answer in time: stop_reason "timeout" rather than "error"."""


@dataclass(frozen=True)
class RemoteOptions:
    url: str
    model: str = ""
    api_key_env: str = "CODERD_API_KEY"
    timeout_ms: int = 10_000  # to connect and receive the first token
    n_ctx: int = 2048  # what the token budgets were sized for (the server's own limit is unknown)


@dataclass
class _Progress:
    """Written by the loop thread only. The waiting thread polls `first_at` (for the deadlines)
    and reads the rest once `closed` is set."""

    text: str = ""
    events: int = 0
    first_at: float | None = None  # perf_counter() of the first event: generation has begun
    stop_reason: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    started: bool = False  # a task cancelled before its first step never runs, nor sets `closed`
    closed: threading.Event = field(default_factory=threading.Event)


class RemoteEngine:
    """The Engine protocol over HTTP. Only the worker thread calls it (see base.py)."""

    supports_slots = False  # the server keeps its own cache
    # Speculation would be one more request per suggestion to a server that may bill each one.
    supports_speculation = False
    measures_speed = False  # the budgets stay as configured

    def __init__(self, options: RemoteOptions, environ: Mapping[str, str] | None = None) -> None:
        self.endpoint, self._dialect = resolve_endpoint(options.url)
        if problem := key_env_problem(options.api_key_env):
            raise EngineError(problem)
        environ = os.environ if environ is None else environ
        key = environ.get(options.api_key_env, "") if options.api_key_env else ""
        self._key_env, self._key_set = options.api_key_env, bool(key)
        self._options = options
        self._timeout_s = options.timeout_ms / 1000
        self._tokenizer = ApproxTokenizer()
        self.last_error: EngineError | None = None
        self._reported: set[str] = set()
        headers = {"Accept": "text/event-stream", "User-Agent": "coderd"}
        if key:
            headers["Authorization"] = f"Bearer {key}"  # held by the client only, never logged
        warnings = []
        host = urlsplit(self.endpoint).hostname or ""
        if not key and host not in LOOPBACK:
            unset = f"${options.api_key_env} is not set" if options.api_key_env else "it is empty"
            warnings.append(
                f"remote backend {self.endpoint}: no API key is sent (remote.api_key_env: {unset})"
            )
        self.info = ModelInfo(
            path=self.endpoint,
            name=options.model or host,
            architecture="remote",
            pre_tokenizer=None,
            n_ctx=options.n_ctx,
            n_ctx_train=0,
            n_vocab=0,
            # The server lays the FIM prompt out with its own marker ids; none are ours to use.
            fim_ids=(-1, -1, -1),
            gpu_layers=0,
            threads=0,
            warnings=tuple(warnings),
        )
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
            "remote backend: %s (%s API); completion prompts are sent there",
            self.endpoint,
            self._dialect,
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
        # Repository context goes first, inside the prompt, as the local engine lays it out.
        text_before = self.detokenize(prompt.context_ids) + self.detokenize(prompt.prefix_ids)
        body = request_body(
            self._dialect,
            prompt=text_before,
            limits=limits,
            suffix=self.detokenize(prompt.suffix_ids),
            model=self._options.model,
        )
        progress = _Progress()
        sent = time.perf_counter()
        future = asyncio.run_coroutine_threadsafe(self._stream(body, limits, progress), self._loop)
        try:
            reason = self._wait(future, progress, limits, cancel, sent)
            if reason == "timeout":
                raise self._timeout()
        except EngineError as exc:
            self._report(exc)
            reason = "timeout" if isinstance(exc, RemoteTimeout) else "error"
        ended = time.perf_counter()
        first = progress.first_at or ended
        stats.prompt_ms = (first - sent) * 1000  # to the first token: the server's prompt time
        stats.generate_ms = (ended - first) * 1000
        # The server's own token counts where it reports them (OpenAI `usage`, llama-server
        # `timings`); else streamed pieces, and our approximate prompt count.
        stats.generated_tokens = progress.counts.get("generated", progress.events)
        stats.evaluated_tokens = progress.counts.get("evaluated", stats.prompt_tokens)
        stats.reused_tokens = progress.counts.get("reused", 0)
        text = progress.text if not reason else ""
        if reason == "time_budget":  # stalled past twice the budget: keep its complete lines
            text = progress.text[
                : _budget_cut(progress.text, len(progress.text), float("inf"), limits)
            ]
        if not reason:
            self.last_error = None
        return result(text, reason or progress.stop_reason or "eog")

    def forget_slot(self, slot: int) -> None:
        """Nothing to drop: the server keeps its own cache."""

    def speed_profile(self) -> SpeedProfile | None:
        """Not measured: a server's speed is not this machine's."""
        return None

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._call(self._client.aclose())
        except Exception:  # closing must not fail the worker's shutdown
            log.debug("closing the remote client failed", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CLOSE_WAIT_S)
        if not self._thread.is_alive():
            self._loop.close()

    # -- internals ------------------------------------------------------------------------

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

    def _wait(
        self,
        future: concurrent.futures.Future[None],
        progress: _Progress,
        limits: GenerationLimits,
        cancel: CancelToken,
        sent: float,
    ) -> str:
        """ "" when the stream ended by itself; else why it was stopped. Raises EngineError."""
        # A bound that holds whatever the server or the network does.
        hard_stop = sent + self._timeout_s + 2 * limits.time_budget_s + CLOSE_WAIT_S
        while True:
            done, _ = concurrent.futures.wait([future], timeout=POLL_S)
            if done:
                future.result()
                return ""
            now, first = time.perf_counter(), progress.first_at
            if cancel.cancelled:
                reason = "cancelled"
            elif first is None and now - sent > self._timeout_s:
                reason = "timeout"
            elif first is not None and now - first > 2 * limits.time_budget_s:
                reason = "time_budget"  # a stalled stream: _take handles one that flows
            elif now > hard_stop:
                reason = "timeout"
            else:
                continue
            future.cancel()  # cancels the task on the loop: httpx closes the connection
            if progress.started:
                progress.closed.wait(CLOSE_WAIT_S)
            return reason

    async def _stream(
        self, body: dict[str, object], limits: GenerationLimits, progress: _Progress
    ) -> None:
        progress.started = True
        try:
            async with self._client.stream("POST", self.endpoint, json=body) as response:
                if response.status_code >= 400:
                    raise http_error(
                        response.status_code,
                        await response.aread(),
                        self.endpoint,
                        key_env=self._key_env,
                        key_set=self._key_set,
                    )
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    # A server that ignored stream=true: its one JSON answer is the whole reply.
                    whole = (await response.aread()).decode("utf-8", "replace")
                    self._take(parse_sse_line("data: " + whole), limits, progress)
                    return
                async for line in response.aiter_lines():
                    if self._take(parse_sse_line(line), limits, progress):
                        return  # leaving the block closes the connection: the server stops
        except httpx.ConnectError as exc:
            raise EngineError(
                f"cannot connect to the remote backend at {self.endpoint} ({exc}): "
                "start the server, fix remote.url, or set remote.enabled = false"
            ) from None
        except httpx.TimeoutException:
            raise self._timeout() from None
        except httpx.HTTPError as exc:
            raise EngineError(
                f"the request to {self.endpoint} failed: {type(exc).__name__}: {exc}"
            ) from None
        finally:
            progress.closed.set()

    def _take(self, event: object, limits: GenerationLimits, progress: _Progress) -> bool:
        """Add one stream event to `progress`; True when generation is over."""
        if event is None:
            return False
        if event is DONE:
            return True
        text, finish, counts = parse_event(self._dialect, event)
        progress.counts.update(counts)
        if progress.first_at is None:
            progress.first_at = time.perf_counter()
        if text:
            progress.events += 1
            previous = len(progress.text)
            progress.text += text
            cut = _stop_position(progress.text, previous, limits)
            if cut is not None:
                progress.text, progress.stop_reason = progress.text[:cut], "stop"
                return True
            overrun = time.perf_counter() - progress.first_at - limits.time_budget_s
            cut = _budget_cut(progress.text, previous, overrun, limits)
            if cut is not None:
                progress.text, progress.stop_reason = progress.text[:cut], "time_budget"
                return True
        if finish:
            progress.stop_reason = finish
            # llama-server's last event is the end; OpenAI servers still send usage and [DONE].
            return self._dialect == INFILL
        return False

    def _timeout(self) -> RemoteTimeout:
        return RemoteTimeout(
            f"no answer from {self.endpoint} within remote.timeout_ms = "
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
