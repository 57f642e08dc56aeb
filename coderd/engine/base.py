"""The engine interface: what the completion service asks of a model, and what it gets back.

An engine owns one model and its KV cache. It is not thread-safe: exactly one worker thread
calls it (see ARCHITECTURE.md, "Concurrency contract"). Cancellation is the one thing other
threads may touch, through a `CancelToken`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from coderd.engine.speed_profile import SpeedProfile

# Given the text generated so far, return the index where the completion ends, or None to go on.
StopCheck = Callable[[str], "int | None"]


class CancelToken:
    """Set from any thread; polled by the engine between prompt chunks and tokens, and by
    llama.cpp inside a generation step (a prompt chunk in progress is let finish)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""
        # Set by `interrupt`: what is in progress is of no use to whoever cancelled (a prewarm
        # for another document than the request's), so llama.cpp may drop the chunk running.
        self.interrupting = False

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking at once if cancelled; True when cancelled."""
        return self._event.wait(seconds) if seconds > 0 else self.cancelled

    def cancel(self, reason: str = "cancelled") -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    def interrupt(self, reason: str) -> None:
        """Cancel, and stop inside the prompt chunk in progress too (it is dropped)."""
        self.interrupting = True  # before the event: whoever sees it cancelled sees this
        self.cancel(reason)

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class EngineError(Exception):
    """A model that cannot be loaded or used. The message says what to run to fix it."""


@dataclass(frozen=True)
class FimPrompt:
    """Text around the cursor as token ids, already cut to the token budgets.

    `context_ids` is stable material placed first (repository context, file header): it is
    what the KV cache keeps across keystrokes.
    """

    prefix_ids: Sequence[int]
    suffix_ids: Sequence[int]
    context_ids: Sequence[int] = ()


@dataclass(frozen=True)
class GenerationLimits:
    # 0: a prewarm. The prompt is evaluated into the KV cache and nothing is decoded (llama.vim
    # sends `n_predict: 0` for the same reason), so that the next request evaluates only what
    # changed; the completion's stop_reason is "prewarm", or "cancelled" when it stopped part
    # way (the chunks evaluated stay in the cache).
    max_tokens: int = 64
    time_budget_s: float = 1.5
    stop_strings: Sequence[str] = ()
    stop_check: StopCheck | None = None
    # More than 1: also continue from the next most likely first tokens, each greedily.
    candidates: int = 1
    # Wait this long after the prompt is evaluated before decoding (cancellable): a server-side
    # debounce that still keeps the KV cache in step with the typing.
    start_delay_s: float = 0.0
    # Evaluate a stale suffix again (RequestStats.suffix_stale), as the prewarm at a pause does;
    # otherwise a request lets it drift further rather than pay for that (the local engine).
    refresh_suffix: bool = False


@dataclass
class RequestStats:
    """What one request cost. Token counts are exact; times are wall-clock milliseconds."""

    prompt_tokens: int = 0  # tokens in the assembled prompt
    context_tokens: int = 0  # of which repository context
    reused_tokens: int = 0  # taken from the KV cache without evaluation
    restored_tokens: int = 0  # of which brought back from a saved state (another file's turn)
    evaluated_tokens: int = 0  # run through llama_decode as prompt
    generated_tokens: int = 0
    suffix_shifted: bool = False  # the suffix's KV was kept and moved instead of re-evaluated
    # Prefix tokens changed since the suffix's KV was last evaluated (the local engine's; 0
    # elsewhere), and whether that is past its refresh bound: a prewarm then refreshes it.
    suffix_drift: int = 0
    suffix_stale: bool = False
    prewarm: bool = False  # evaluated the prompt only (GenerationLimits.max_tokens == 0)
    prompt_ms: float = 0.0
    generate_ms: float = 0.0
    total_ms: float = 0.0
    # The service's own time around the engine (#12: the overhead outside it): waiting for the
    # worker, building the prompt (context, tokens), and finishing (policy, ids, cache). What a
    # client measures beyond total_ms plus these is the protocol, the relay and the pipes.
    threads: int = 0  # CPU threads the local engine decoded with (0: not a local engine)
    queued_ms: float = 0.0
    assemble_ms: float = 0.0
    finish_ms: float = 0.0
    # eog, stop, max_tokens, time_budget, cancelled, context_full, prewarm
    stop_reason: str = ""
    # The local engine's saved KV states after the request (kv_store.py): how many, the host
    # memory they hold and its bound (model.saved_states_mb). A cache that fills as the user
    # switches files and stops at the bound: this is where a daemon's growth shows.
    saved_states: int = 0
    saved_mb: float = 0.0
    saved_bound_mb: float = 0.0

    def as_dict(self) -> dict[str, int | float | bool | str]:
        return dict(self.__dict__)


@dataclass
class Completion:
    text: str
    stats: RequestStats = field(default_factory=RequestStats)
    # The exact prompt, for `coderd complete --json` and debugging: all ids, and the same ids
    # split into named pieces in prompt order (bos, fim_pre, context, prefix, fim_suf, ...).
    prompt_ids: Sequence[int] = ()
    pieces: Sequence[tuple[str, Sequence[int]]] = ()
    # Other candidates, best first, when GenerationLimits.candidates > 1 (raw, not post-processed).
    alternatives: Sequence[str] = ()

    @property
    def cancelled(self) -> bool:
        return self.stats.stop_reason == "cancelled"


@dataclass(frozen=True)
class ModelInfo:
    path: str
    name: str
    architecture: str
    pre_tokenizer: str | None
    n_ctx: int
    n_ctx_train: int
    n_vocab: int
    fim_ids: (
        tuple[int, int, int] | None
    )  # (pre, suf, mid) as llama.cpp names them; None = prefix-only
    gpu_layers: int
    threads: int
    warnings: tuple[str, ...] = ()
    # Ids of `<|repo_name|>` and `<|file_sep|>` (Qwen2.5-Coder) when the vocabulary has them as
    # control tokens: repository context then uses them instead of "# path" headers.
    repo_tokens: tuple[int | None, int | None] = (None, None)

    @property
    def prefix_only(self) -> bool:
        return self.fim_ids is None


@runtime_checkable  # tests check each engine has every member
class Engine(Protocol):
    """What the completion service asks of a model: the local engine (llama/engine.py), the
    remote one (remote/client.py) and the scripted one (coderd/testing/fake_engine.py) all
    implement every member. What an engine cannot do, its capabilities say; the methods
    concerned then do the harmless thing their docstrings name, so a caller never needs to
    ask whether a method exists.
    """

    info: ModelInfo
    # Capabilities: plain attributes, fixed when the engine is made.
    supports_slots: bool  # complete(slot=k) keeps a KV cache per session slot
    supports_speculation: bool  # complete(speculative=True) decodes
    measures_speed: bool  # speed_profile() measures this machine
    # complete(max_tokens=0) fills a cache worth filling ahead of the user: the local KV, a
    # team server's prefix cache; not a billed API, where it would be a paid request.
    prewarms: bool
    # Why the last request failed (a stop_reason "error" or "timeout", or an EngineError that
    # complete raised); None once a request succeeds.
    last_error: EngineError | None

    def tokenize(self, text: str) -> list[int]:
        """User text to ids, special tokens OFF: text can never forge a marker."""

    def detokenize(self, ids: Sequence[int]) -> str: ...

    def complete(
        self,
        prompt: FimPrompt,
        limits: GenerationLimits,
        cancel: CancelToken,
        speculative: bool = False,
        slot: int = 0,
    ) -> Completion:
        """`speculative`: keep the KV cache of ordinary requests intact (its own sequence);
        without `supports_speculation`, an empty completion whose stop_reason is "cancelled".
        `slot`: the session slot whose KV cache the request uses; ignored without
        `supports_slots`."""

    def forget_slot(self, slot: int) -> None:
        """Drop what `slot`'s KV cache holds (its session went away, or the slot goes to
        another one); nothing to do without `supports_slots`."""

    def speed_profile(self) -> SpeedProfile | None:
        """This machine's speed with this model, measured once and then cached (it may take
        seconds the first time); None without `measures_speed`."""

    def close(self) -> None: ...


@runtime_checkable
class SizesCache(Protocol):
    """An engine whose KV cache is allocated in this process (the local one): it can be sized
    to the prompts planned, once they are (completion/budget.py `cache_depth`)."""

    def fit_cache(self, depth: int, generated: int) -> int:
        """Positions allocated after sizing the cache for `depth` per session slot and
        `generated` more (speculation's own tokens)."""
        ...


@runtime_checkable
class EstimatesEvaluation(Protocol):
    """An engine that knows what a prompt would cost before running it (the local one: what
    its KV sequence and saved states hold): a placement's first prompt is sized by it
    (completion/first_prompt.py)."""

    def would_evaluate(self, prompt: FimPrompt, slot: int = 0) -> int:
        """Prompt tokens `complete(prompt, slot=slot)` would evaluate now (none is run)."""
        ...
