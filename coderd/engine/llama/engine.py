"""The real engine: a GGUF model run by llama.cpp, with KV reuse and cancellation.

`LlamaEngine` is the `Engine` protocol over three parts: loading.py builds the model and its
context, kv_sequences.py keeps what each KV sequence holds, and decode_run.py decodes one
request (a `DecodeRun` per `complete()` call holds everything that belongs to the request).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from coderd.engine.base import (
    CancelToken,
    Completion,
    EngineError,
    FimPrompt,
    GenerationLimits,
    ModelInfo,
    RequestStats,
)
from coderd.engine.fim import assemble
from coderd.engine.llama import kv_persist
from coderd.engine.llama.decode_run import DecodeRun
from coderd.engine.llama.kv_plan import PromptLayout
from coderd.engine.llama.kv_sequences import KvSequences
from coderd.engine.llama.loading import EngineOptions, LoadedModel, check_gguf_file, load
from coderd.engine.llama.runtime import LlamaContext
from coderd.engine.llama.speed import keep, load_or_measure
from coderd.engine.llama.threads import ThreadGovernor
from coderd.engine.speed_profile import SpeedProfile

# KV cells are allocated in blocks of this many (llama.cpp pads the cache to 256 as well).
CELL_BLOCK = 256
MIB = 1024 * 1024

# Importable from here, where the rest of coderd has always found them.
__all__ = ["EngineOptions", "LlamaEngine", "check_gguf_file"]


class LlamaEngine:
    """Owns one model and one context. Only the worker thread calls it (see base.py)."""

    supports_slots = True
    supports_speculation = True
    measures_speed = True
    prewarms = True

    def __init__(self, path: Path, options: EngineOptions) -> None:
        self.loaded: LoadedModel = load(path, options)
        self.info: ModelInfo = self.loaded.info
        self.options = options  # read by each request
        self.prompt_chunk = self.loaded.prompt_chunk  # prompt tokens per llama_decode
        self.kv = KvSequences(self.loaded.ctx, options.slots, options.saved_states_bytes)
        self.last_error: EngineError | None = None
        # Automatic threads: as many as the cores other programs leave free (threads.py).
        self.governor = ThreadGovernor(options.threads) if options.adapt_threads else None

    # -- the Engine protocol -------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        return self.loaded.model.tokenize(text, special=False)

    def detokenize(self, ids: Sequence[int]) -> str:
        model = self.loaded.model
        return b"".join(model.piece(t) for t in ids).decode("utf-8", "replace")

    def complete(
        self,
        prompt: FimPrompt,
        limits: GenerationLimits,
        cancel: CancelToken,
        speculative: bool = False,
        slot: int = 0,
    ) -> Completion:
        """`speculative`: run in the speculation sequence, sharing the slot's common prefix.

        `slot`: the session whose KV sequence this request uses (0 .. options.slots - 1).
        """
        started = time.perf_counter()
        stats = RequestStats()
        stats.threads = self._govern_threads()
        run = self.new_run(cancel, slot=slot, speculative=speculative)
        layout, pieces = self._layout(prompt, limits.max_tokens)
        tokens = layout.tokens
        try:
            with self.loaded.ctx.abort_when(run.should_abort):
                plan = run.plan(layout, typing=not limits.refresh_suffix)
                stats.prompt_tokens = len(tokens)
                stats.context_tokens = len(prompt.context_ids)
                stats.evaluated_tokens = plan.evaluated_count
                stats.reused_tokens = len(tokens) - plan.evaluated_count
                stats.suffix_shifted = plan.shift is not None
                stats.restored_tokens = run.restored
                complete_prompt = run.bring_cache_to(plan, layout)
                stats.threads = self.loaded.ctx.threads  # as the prompt's last chunks ran
                if not complete_prompt:  # cancelled part way: what was evaluated, not planned
                    stats.evaluated_tokens = run.evaluated
                stats.suffix_drift = run.record.drift
                stats.suffix_stale = run.record.drift > self.options.suffix_refresh_tokens
                stats.prompt_ms = (time.perf_counter() - started) * 1000
                text, alternatives = "", []
                stats.prewarm = limits.max_tokens <= 0
                if complete_prompt and not stats.prewarm and cancel.wait(limits.start_delay_s):
                    complete_prompt = False  # a newer key came during the debounce
                if stats.prewarm:  # evaluated into the cache, nothing to decode
                    stats.stop_reason = "prewarm" if complete_prompt else "cancelled"
                elif complete_prompt:
                    first = run.masked_logits().copy() if limits.candidates > 1 else None
                    text = run.generate(limits, stats)
                    if first is not None:
                        alternatives = run.alternatives(first, len(tokens), limits)
                else:
                    stats.stop_reason = "cancelled"
        except EngineError as exc:
            self.last_error = exc
            raise
        self.last_error = None
        saved = self.kv.saved
        stats.saved_states, stats.saved_mb = len(saved), round(saved.bytes / MIB, 1)
        stats.saved_bound_mb = round(saved.max_bytes / MIB, 1)
        stats.total_ms = (time.perf_counter() - started) * 1000
        return Completion(
            text=text, stats=stats, prompt_ids=tokens, pieces=pieces, alternatives=alternatives
        )

    def would_evaluate(self, prompt: FimPrompt, slot: int = 0) -> int:
        """Prompt tokens `complete(prompt, slot=slot)` would evaluate now (base.py
        `EstimatesEvaluation`): what the slot's sequence and its saved states spare counted."""
        layout, _ = self._layout(prompt, max_tokens=0)
        return self.new_run(CancelToken(), slot=slot).estimate(layout)

    def _layout(
        self, prompt: FimPrompt, max_tokens: int
    ) -> tuple[PromptLayout, list[tuple[str, tuple[int, ...]]]]:
        """`prompt` laid out with this model's FIM ids, fitted to the context (engine/fim.py)."""
        return assemble(
            prompt,
            fim_ids=self.info.fim_ids,
            bos=self.loaded.bos,
            repo_tokens=self.info.repo_tokens,
            n_ctx=self.loaded.ctx.n_ctx,
            max_tokens=max_tokens,
        )

    def forget_slot(self, slot: int) -> None:
        """Drop a session's cells: its slot goes to another session, or it went away."""
        self.kv.forget_slot(slot)

    def speed_profile(self) -> SpeedProfile:
        """This machine's speed with this model (measured once, then cached: speed.py); the
        prompt chunk follows from it unless configured."""
        self._govern_threads()  # measured as requests will run
        profile = load_or_measure(self)
        self._size_chunk(profile)
        return profile

    def close(self) -> None:
        self.loaded.close()

    # -- beyond the protocol -------------------------------------------------------------

    def keep_speed_profile(self, profile: SpeedProfile) -> None:
        """Requests found this machine's speed clearly off the kept one (speed_profile.py
        SpeedWatch): keep theirs, and size the prompt chunk by it."""
        keep(self, profile)
        self._size_chunk(profile)

    def save_warm(self) -> int:
        """Keep the hottest documents' KV states on disk for the next start (kv_persist.py);
        how many were kept."""
        ident = kv_persist.identity(self.info.path, self.options.kv_cache_type)
        return kv_persist.save(self.kv.hottest(), ident, kv_persist.file_for(ident))

    def restore_warm(self) -> int:
        """What `save_warm` kept for this very model file, as saved states any slot's prompt
        takes where it holds the same tokens; how many."""
        ident = kv_persist.identity(self.info.path, self.options.kv_cache_type)
        states = kv_persist.load(ident, kv_persist.file_for(ident))
        for state in reversed(states):  # the hottest added last: dropped last
            self.kv.saved.add(state)
        return len(states)

    def fit_cache(self, depth: int, generated: int) -> int:
        """Allocate the KV cache for the prompts planned instead of `model.n_ctx`: `depth`
        positions per session slot, `generated` more for speculation. The K shift after a
        keystroke that moves the suffix rotates every cell allocated, used or not (llama.cpp
        `build_graph_shift`): on two cores a 1.3B model's key took 260-410 ms with 2,048
        cells and 120-200 ms with 1,024 (bench/README "shift_cost"). Called at load, before
        any prompt is in the cache; only shrinks, by a quarter or more. Returns the
        positions allocated."""
        ctx = self.loaded.ctx
        want = -(-(depth * self.options.slots + generated) // CELL_BLOCK) * CELL_BLOCK
        if want > ctx.n_ctx * 3 // 4:
            return ctx.n_ctx
        try:
            smaller = LlamaContext(
                self.loaded.model,
                n_ctx=want,
                n_batch=min(ctx.n_batch, want),
                threads=ctx.threads,
                slots=self.options.slots,
                kv_type=self.options.kv_cache_type,
            )
        except ValueError:  # keep the one that works
            return ctx.n_ctx
        ctx.close()
        self.info = replace(self.info, n_ctx=smaller.n_ctx)
        self.loaded = replace(self.loaded, ctx=smaller, info=self.info)
        self.prompt_chunk = min(self.prompt_chunk, smaller.n_batch)
        self.kv = self.kv.moved_to(smaller)
        return smaller.n_ctx

    def _govern_threads(self) -> int:
        """Automatic threads: the cores other programs leave free now (threads.py)."""
        ctx = self.loaded.ctx
        if self.governor is not None and (threads := self.governor.choose()) != ctx.threads:
            ctx.set_threads(threads)
        return ctx.threads

    def _size_chunk(self, profile: SpeedProfile) -> None:
        if not self.options.prompt_chunk:  # 0: automatic
            self.prompt_chunk = profile.prompt_chunk(self.loaded.ctx.n_batch)

    def new_run(
        self, cancel: CancelToken, *, slot: int = 0, speculative: bool = False
    ) -> DecodeRun:
        """The state of one request (what `complete` decodes with; benches drive it directly:
        `run.plan`, `run.bring_cache_to`, `run.masked_logits`, `run.generate`)."""
        return DecodeRun(
            self.loaded,
            self.kv,
            self.options,
            cancel,
            slot=slot,
            speculative=speculative,
            prompt_chunk=self.prompt_chunk,
            govern_threads=self._govern_threads,
        )
