"""One streamed request on the remote engine's event loop, and what it has received so far.

`stream` runs as a task on the loop thread; the engine's worker thread polls the `Progress`
it fills (client.py). Cancelling the task closes the connection at once, even while the server
is still evaluating the prompt; leaving the `async with` on a stop rule does the same, and the
server stops generating when it sees the connection go.

One exception (`Request.drain`): a stream left by the stop rule may be read on for the cached
tokens in its last chunk (drain.py).
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from dataclasses import dataclass, field

import httpx

from coderd.engine.base import CancelToken, EngineError, GenerationLimits
from coderd.engine.remote.drain import CLOSE_WAIT_S, Late, drain
from coderd.engine.remote.endpoint import LLAMA, Endpoint
from coderd.engine.remote.errors import connect_error, http_error
from coderd.engine.remote.events import DONE, parse_event, parse_sse_line
from coderd.engine.remote.shapes import PromptText, request_body

# The local engine's stop rule and time-budget rule, so both backends cut text alike.
from coderd.engine.stopping import budget_cut, stop_position

POLL_S = 0.01  # how often the waiting thread looks at the CancelToken and the deadlines
__all__ = ["CLOSE_WAIT_S", "Progress", "RemoteTimeout", "Request", "stream", "wait_for"]


class RemoteTimeout(EngineError):
    """No answer in time: stop_reason "timeout" rather than "error"."""


@dataclass
class Progress:
    """Written by the loop thread only. The waiting thread polls `first_at` (for the deadlines)
    and reads the rest once `closed` is set."""

    text: str = ""
    events: int = 0
    first_at: float | None = None  # perf_counter() of the first event: generation has begun
    stop_reason: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    started: bool = False  # a task cancelled before its first step never runs, nor sets `closed`
    closed: threading.Event = field(default_factory=threading.Event)
    late: Late = field(default_factory=Late)  # counts after the text is final (drain.py)


@dataclass(frozen=True)
class Request:
    endpoint: Endpoint
    text: PromptText
    limits: GenerationLimits
    key_env: str
    key_set: bool
    model: str
    timeout: RemoteTimeout  # raised when the server is silent too long
    ask_usage: bool = True  # stream_options (shapes/__init__.py), unless the server refused it
    drain: bool = False  # read a stream left by the stop rule on, for its cached tokens
    usage_at_end: bool = False  # the server has sent a last usage chunk before


async def stream(client: httpx.AsyncClient, request: Request, progress: Progress) -> None:
    progress.started = True
    url = request.endpoint.url
    body = request_body(
        request.endpoint, request.text, request.limits, request.model, request.ask_usage
    )
    try:
        async with client.stream("POST", url, json=body) as response:
            if response.status_code >= 400:
                raise http_error(
                    response.status_code,
                    await response.aread(),
                    url,
                    key_env=request.key_env,
                    key_set=request.key_set,
                    model=request.model,
                )
            if "text/event-stream" not in response.headers.get("content-type", ""):
                # A server that ignored stream=true: its one JSON answer is the whole reply.
                whole = (await response.aread()).decode("utf-8", "replace")
                take(parse_sse_line("data: " + whole), request, progress)
                return
            lines = response.aiter_lines()
            async for line in lines:
                event = parse_sse_line(line)
                if take(event, request, progress):
                    if event is not DONE and reads_on(request, progress.counts):
                        await drain(lines, progress.late)
                    return  # leaving the block closes the connection: the server stops
    except httpx.ConnectError as exc:
        raise connect_error(url, exc) from None
    except httpx.TimeoutException:
        raise request.timeout from None
    except httpx.HTTPError as exc:
        raise EngineError(f"the request to {url} failed: {type(exc).__name__}: {exc}") from None
    finally:
        progress.closed.set()


def reads_on(request: Request, counts: dict[str, int]) -> bool:
    """Whether a stream the stop rule left is read on for its cached tokens (drain.py): not
    once it has them; else where the server sends usage, in every chunk (vLLM and SGLang asked
    for continuous usage: "prompt" counted) or at the end (seen before)."""
    if not request.drain or "reused" in counts:
        return False
    return "prompt" in counts or request.usage_at_end


def take(event: object, request: Request, progress: Progress) -> bool:
    """Add one stream event to `progress`; True when generation is over."""
    if event is None:
        return False
    if event is DONE:
        return True
    limits = request.limits
    text, finish, counts = parse_event(request.endpoint.wire, event)
    progress.counts.update(counts)
    if progress.first_at is None:
        progress.first_at = time.perf_counter()
    if text:
        progress.events += 1
        previous = len(progress.text)
        progress.text += text
        cut = stop_position(progress.text, previous, limits)
        if cut is not None:
            progress.text, progress.stop_reason = progress.text[:cut], "stop"
            return True
        overrun = time.perf_counter() - progress.first_at - limits.time_budget_s
        cut = budget_cut(progress.text, previous, overrun, limits)
        if cut is not None:
            progress.text, progress.stop_reason = progress.text[:cut], "time_budget"
            return True
    if finish:
        progress.stop_reason = finish
        # llama-server's last event is the end; OpenAI servers still send usage and [DONE].
        return request.endpoint.wire == LLAMA
    return False


def wait_for(
    future: concurrent.futures.Future[None],
    progress: Progress,
    limits: GenerationLimits,
    cancel: CancelToken,
    sent: float,
    timeout_s: float,
) -> str:
    """ "" when the stream ended by itself; else why it was stopped. Raises EngineError."""
    # A bound that holds whatever the server or the network does.
    hard_stop = sent + timeout_s + 2 * limits.time_budget_s + CLOSE_WAIT_S
    # The text is final when the request ends, or earlier when its stream is read on for its
    # usage (drain.py): either wakes this thread at once.
    final = progress.late.answered
    future.add_done_callback(lambda _: final.set())
    while True:
        if final.wait(POLL_S):
            if future.done():
                future.result()
            return ""
        now, first = time.perf_counter(), progress.first_at
        if cancel.cancelled:
            reason = "cancelled"
        elif first is None and now - sent > timeout_s:
            reason = "timeout"
        elif first is not None and now - first > 2 * limits.time_budget_s:
            reason = "time_budget"  # a stalled stream: stream.take handles one that flows
        elif now > hard_stop:
            reason = "timeout"
        else:
            continue
        future.cancel()  # cancels the task on the loop: httpx closes the connection
        if progress.started:
            progress.closed.wait(CLOSE_WAIT_S)
        return reason
