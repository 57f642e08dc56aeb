"""The real engine: a GGUF model run by llama.cpp, with KV reuse and cancellation."""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import CancelToken, Completion, EngineError, FimPrompt, GenerationLimits, ModelInfo
from .base import RequestStats
from .fim import inspect_vocab, layout_prompt, name_pieces
from .kv_plan import CacheState, PromptLayout, ReusePlan, common_prefix_length, plan_reuse
from .kv_plan import state_after
from .llama_runtime import DECODE_ABORTED, DECODE_OK, LlamaContext, LlamaModel
from .llama_runtime import supports_gpu_offload

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class EngineOptions:
    n_ctx: int = 2048
    threads: int = 1
    gpu_layers: int = -1  # -1: all layers when the build can offload, else none
    batch: int = 512
    reuse_suffix_kv: bool = True
    suffix_refresh_tokens: int = 32


def check_gguf_file(path: Path) -> None:
    """Fail early, with a readable reason, on what llama.cpp would only log."""
    if not path.is_file():
        raise EngineError(f"model file not found: {path}")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise EngineError(f"{path} is not a GGUF file (it starts with {magic!r}, not b'GGUF')")


class LlamaEngine:
    """Owns one model and one context. Only the worker thread calls it (see base.py)."""

    def __init__(self, path: Path, options: EngineOptions) -> None:
        check_gguf_file(path)
        gpu_layers = options.gpu_layers
        if gpu_layers < 0:
            gpu_layers = 999 if supports_gpu_offload() else 0
        try:
            self._model = LlamaModel(path, gpu_layers=gpu_layers)
        except ValueError as exc:
            raise EngineError(f"{exc} (truncated or corrupt file, or an unsupported architecture)")
        model = self._model
        # n_ctx 0 would mean "the training context": 163,840 positions for V2-Lite.
        n_ctx = max(256, min(options.n_ctx, model.n_ctx_train or options.n_ctx))
        self._cancel: CancelToken | None = None
        try:
            self._ctx = LlamaContext(
                model, n_ctx=n_ctx, n_batch=min(options.batch, n_ctx),
                threads=options.threads, should_abort=self._should_abort,
            )
        except ValueError as exc:
            model.close()
            raise EngineError(str(exc))
        name = model.meta("general.name") or path.stem
        report = inspect_vocab(model, name)
        self.info = ModelInfo(
            path=str(path), name=name, architecture=model.meta("general.architecture") or "?",
            pre_tokenizer=report.pre_tokenizer, n_ctx=self._ctx.n_ctx,
            n_ctx_train=model.n_ctx_train, n_vocab=model.n_vocab, fim_ids=report.fim_ids,
            gpu_layers=gpu_layers, threads=options.threads, warnings=report.warnings,
        )
        self._options = options
        self._bos = model.bos()
        # Markers must never appear inside a completion; banning them is also what stops the
        # model "closing" the hole with marker text, which would detokenise to nothing.
        banned = set(report.fim_ids or ()) | set(model.other_fim_ids())
        if self._bos is not None:
            banned.add(self._bos)
        self._banned = np.array(sorted(banned), dtype=np.int64)
        self._states = {LlamaContext.MAIN_SEQ: CacheState(), LlamaContext.SPECULATION_SEQ: CacheState()}
        self._seq = LlamaContext.MAIN_SEQ  # the sequence of the request being served

    # -- the Engine protocol -------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        return self._model.tokenize(text, special=False)

    def detokenize(self, ids) -> str:
        return b"".join(self._model.piece(t) for t in ids).decode("utf-8", "replace")

    def complete(self, prompt: FimPrompt, limits: GenerationLimits, cancel: CancelToken,
                 speculative: bool = False) -> Completion:
        """`speculative`: run in the speculation sequence, sharing the main one's common prefix."""
        started = time.perf_counter()
        stats = RequestStats()
        self._cancel = cancel
        self._seq = LlamaContext.SPECULATION_SEQ if speculative else LlamaContext.MAIN_SEQ
        try:
            layout, pieces = self._layout(prompt, limits.max_tokens)
            tokens = layout.tokens
            if speculative:
                self._share_main_prefix(tokens)
            else:
                # Speculation's own cells would widen the attention of every decode here (a
                # quarter slower in `coderd bench`); its result already sits in the completion
                # cache, so drop them.
                self._evict_speculation()
            plan = plan_reuse(
                self._state, layout,
                allow_shift=self._options.reuse_suffix_kv and self._ctx.can_shift and not speculative,
                refresh_after=self._options.suffix_refresh_tokens,
            )
            stats.prompt_tokens = len(tokens)
            stats.context_tokens = len(prompt.context_ids)
            stats.evaluated_tokens = plan.evaluated_count
            stats.reused_tokens = len(tokens) - plan.evaluated_count
            stats.suffix_shifted = plan.shift is not None
            complete_prompt = self._run(plan, layout)
            stats.prompt_ms = (time.perf_counter() - started) * 1000
            text, alternatives = "", []
            if complete_prompt and cancel.wait(limits.start_delay_s):
                complete_prompt = False  # a newer key came during the debounce
            if complete_prompt:
                first_logits = self._masked_logits().copy() if limits.candidates > 1 else None
                text = self._generate(limits, cancel, stats)
                if first_logits is not None:
                    alternatives = self._alternatives(first_logits, len(tokens), limits, cancel)
            else:
                stats.stop_reason = "cancelled"
            stats.total_ms = (time.perf_counter() - started) * 1000
            return Completion(text=text, stats=stats, prompt_ids=tokens, pieces=pieces,
                              alternatives=alternatives)
        finally:
            self._cancel = None
            self._seq = LlamaContext.MAIN_SEQ

    def close(self) -> None:
        self._ctx.close()
        self._model.close()

    # -- internals ------------------------------------------------------------------------

    @property
    def _state(self) -> CacheState:
        return self._states[self._seq]

    @_state.setter
    def _state(self, state: CacheState) -> None:
        self._states[self._seq] = state

    def _evict_speculation(self) -> None:
        self._ctx.remove(LlamaContext.SPECULATION_SEQ, -1, -1)
        self._states[LlamaContext.SPECULATION_SEQ] = CacheState()

    def _share_main_prefix(self, tokens) -> None:
        """Start speculation from the main sequence's cells when they cover more of the prompt."""
        main = self._states[LlamaContext.MAIN_SEQ].tokens
        shared = common_prefix_length(main, tokens)
        if shared > common_prefix_length(self._state.tokens, tokens):
            self._ctx.remove(self._seq, -1, -1)
            self._ctx.copy(LlamaContext.MAIN_SEQ, self._seq, 0, shared)
            self._state = CacheState(tokens=list(main[:shared]))

    def _should_abort(self) -> bool:
        cancel = self._cancel
        return cancel is not None and cancel.cancelled

    def _layout(self, prompt: FimPrompt, max_tokens: int):
        prefix = tuple(prompt.prefix_ids)
        suffix = tuple(prompt.suffix_ids) if self.info.fim_ids else ()
        context = tuple(prompt.context_ids)
        # Budgets normally fit (config checks them); if not, drop the oldest prefix text.
        overflow = len(context) + len(prefix) + len(suffix) + 4 + max_tokens - self._ctx.n_ctx
        if overflow > 0:
            prefix = prefix[overflow:]
        parts = dict(
            fim_ids=self.info.fim_ids, bos=self._bos, context_ids=context,
            prefix_ids=prefix, suffix_ids=suffix,
        )
        return layout_prompt(**parts), name_pieces(**parts)

    def _run(self, plan: ReusePlan, layout: PromptLayout) -> bool:
        """Bring the KV cache to `layout`. Returns False when cancelled part way."""
        ctx, park, seq = self._ctx, LlamaContext.PARK_SEQ, self._seq
        step = plan.shift
        if step is None:
            ctx.remove(seq, plan.keep)
            held = self._decode(plan.evaluate, plan.keep)
        else:
            block_end = step.old_start + step.length
            ctx.remove(seq, block_end)  # the old FIM_MID and whatever was generated after it
            self._evict_speculation()  # the parking place must be empty
            ctx.copy(seq, park, step.old_start, block_end)
            ctx.remove(seq, plan.keep)
            held = self._decode(plan.evaluate, plan.keep)
            if held == plan.keep + len(plan.evaluate):
                ctx.shift(park, step.old_start, block_end, step.delta)
                new_start = step.old_start + step.delta
                ctx.copy(park, seq, new_start, new_start + step.length)
                held = self._decode(plan.then_evaluate, new_start + step.length)
            ctx.remove(park, -1, -1)
        self._state = state_after(self._state, layout, plan, held)
        return held == len(layout.tokens)

    def _decode(self, tokens, start: int) -> int:
        """Evaluate in batches; returns how many positions the sequence holds afterwards."""
        pos = start
        for i in range(0, len(tokens), self._ctx.n_batch):
            chunk = tokens[i : i + self._ctx.n_batch]
            if self._should_abort():
                return pos
            status = self._ctx.decode(chunk, pos, seq=self._seq)
            if status == DECODE_ABORTED:
                return self._ctx.pos_max(self._seq) + 1  # llama.cpp dropped the aborted batch
            if status != DECODE_OK:  # e.g. no room left in the cache: start this sequence afresh
                self._state = CacheState()
                self._ctx.remove(self._seq, -1, -1)
                self._evict_speculation()  # also the parking place, should this be mid-shift
                raise EngineError(f"llama_decode failed with status {status} at position {pos}")
            pos += len(chunk)
        return pos

    def _masked_logits(self) -> np.ndarray:
        logits = self._ctx.last_logits()
        logits[self._banned] = -np.inf
        return logits

    def _alternatives(self, first_logits: np.ndarray, prompt_len: int, limits: GenerationLimits,
                      cancel: CancelToken) -> list[str]:
        """Branch on the runners-up for the first token, each continued greedily.

        Costs one extra generation per candidate, so only explicit requests ask for it.
        """
        texts = []
        ranked = np.argsort(-first_logits)[: limits.candidates]
        for token in (int(t) for t in ranked[1:]):
            if cancel.cancelled or self._model.is_eog(token) or first_logits[token] == -np.inf:
                continue
            self._ctx.remove(self._seq, prompt_len)  # back to the end of the prompt
            del self._state.tokens[prompt_len:]
            branch = RequestStats()
            text = self._generate(limits, cancel, branch, first_token=token)
            if branch.stop_reason != "cancelled":
                texts.append(text)
        return texts

    def _generate(self, limits: GenerationLimits, cancel: CancelToken, stats: RequestStats,
                  first_token: int | None = None) -> str:
        """Greedy decoding from the cache's last logits, or from `first_token` when given."""
        started = time.perf_counter()
        deadline = started + limits.time_budget_s
        # Invalid byte sequences are dropped, not shown as U+FFFD; an incomplete one at the end
        # stays in the decoder and is never emitted.
        decoder = codecs.getincrementaldecoder("utf-8")("ignore")
        text, generated = "", 0
        stats.stop_reason = "max_tokens"
        while generated < limits.max_tokens:
            if cancel.cancelled:
                stats.stop_reason, text = "cancelled", ""
                break
            if first_token is not None:
                token, first_token = first_token, None
            else:  # greedy: the most likely, reproducible suggestion
                token = int(np.argmax(self._masked_logits()))
            if self._model.is_eog(token):
                stats.stop_reason = "eog"
                break
            generated += 1
            previous_len = len(text)
            text += decoder.decode(self._model.piece(token))
            cut = _stop_position(text, previous_len, limits)
            if cut is not None:
                text, stats.stop_reason = text[:cut], "stop"
                break
            if time.perf_counter() > deadline:
                stats.stop_reason = "time_budget"
                break
            pos = len(self._state.tokens)
            if pos >= self._ctx.n_ctx:
                stats.stop_reason = "context_full"
                break
            status = self._ctx.decode([token], pos, seq=self._seq)
            if status != DECODE_OK:
                stats.stop_reason = "cancelled" if status == DECODE_ABORTED else "context_full"
                text = "" if status == DECODE_ABORTED else text
                break
            self._state.tokens.append(token)
        stats.generated_tokens = generated
        stats.generate_ms = (time.perf_counter() - started) * 1000
        return text


def _stop_position(text: str, previous_len: int, limits: GenerationLimits) -> int | None:
    cuts = []
    for stop in limits.stop_strings:
        found = text.find(stop, max(0, previous_len - len(stop) + 1))
        if found >= 0:
            cuts.append(found)
    if limits.stop_check is not None:
        cut = limits.stop_check(text)
        if cut is not None:
            cuts.append(cut)
    return min(cuts) if cuts else None
