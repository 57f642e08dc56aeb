"""The real engine: a GGUF model run by llama.cpp, with KV reuse and cancellation."""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass
from pathlib import Path

# llama.cpp's libraries before numpy's: a llama.cpp built with a statically linked libstdc++
# (seen with CUDA builds from a separate GCC) crashes loading a model when numpy has already
# brought in the system's libstdc++. llama_runtime imports llama_cpp.
from coderd.engine.llama.runtime import DECODE_ABORTED, DECODE_NO_SLOT, DECODE_OK  # isort: skip

import numpy as np

from coderd.engine.base import (
    CancelToken,
    Completion,
    EngineError,
    FimPrompt,
    GenerationLimits,
    ModelInfo,
    RequestStats,
)
from coderd.engine.fim import assemble, inspect_vocab
from coderd.engine.llama.kv_plan import (
    CacheState,
    PromptLayout,
    ReusePlan,
    common_prefix_length,
    plan_reuse,
    prompt_chunk,
    state_after,
)
from coderd.engine.llama.lookup import LOOKUP_POLICY, PromptLookup
from coderd.engine.llama.runtime import LlamaContext, LlamaModel, supports_gpu_offload
from coderd.engine.stopping import budget_cut as _budget_cut
from coderd.engine.stopping import stop_position as _stop_position

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class EngineOptions:
    n_ctx: int = 2048
    threads: int = 1
    gpu_layers: int = -1  # -1: all layers when the build can offload, else none
    batch: int = 512
    prompt_chunk: int = 0  # prompt tokens per llama_decode; 0 = kv_plan.prompt_chunk decides
    reuse_suffix_kv: bool = True
    suffix_refresh_tokens: int = 16
    # KV sequences kept for sessions (the daemon's editor connections); n_ctx is shared by all.
    slots: int = 1
    kv_cache_type: str = "f16"  # or "q8_0", "q4_0" (llama_runtime.KV_TYPES)
    prompt_lookup: bool = False  # draft tokens from the prompt in greedy decoding (lookup.py)


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
            raise EngineError(
                f"{exc} (truncated or corrupt file, or an unsupported architecture)"
            ) from exc
        model = self._model
        # n_ctx 0 would mean "the training context": 163,840 positions for V2-Lite.
        n_ctx = max(256, min(options.n_ctx, model.n_ctx_train or options.n_ctx))
        self._cancel: CancelToken | None = None
        self._in_prompt_chunk = False  # see _should_abort
        try:
            self._ctx = LlamaContext(
                model,
                n_ctx=n_ctx,
                n_batch=min(options.batch, n_ctx),
                threads=options.threads,
                should_abort=self._should_abort,
                slots=max(1, options.slots),
                kv_type=options.kv_cache_type,
            )
        except ValueError as exc:
            model.close()
            raise EngineError(str(exc)) from exc
        name = model.meta("general.name") or path.stem
        report = inspect_vocab(model, name)
        self.info = ModelInfo(
            path=str(path),
            name=name,
            architecture=model.meta("general.architecture") or "?",
            pre_tokenizer=report.pre_tokenizer,
            n_ctx=self._ctx.n_ctx,
            n_ctx_train=model.n_ctx_train,
            n_vocab=model.n_vocab,
            fim_ids=report.fim_ids,
            gpu_layers=gpu_layers,
            threads=options.threads,
            warnings=report.warnings,
            repo_tokens=report.repo_tokens,
        )
        self._options = options
        self.prompt_chunk = prompt_chunk(options.prompt_chunk, gpu_layers, self._ctx.n_batch)
        self._bos = model.bos()
        # Markers must never appear inside a completion; banning them is also what stops the
        # model "closing" the hole with marker text, which would detokenise to nothing.
        banned = set(report.fim_ids or ()) | set(model.other_fim_ids())
        if self._bos is not None:
            banned.add(self._bos)
        self._banned = np.array(sorted(banned), dtype=np.int64)
        self._states = {
            LlamaContext.MAIN_SEQ: CacheState(),
            LlamaContext.SPECULATION_SEQ: CacheState(),
        }
        self._seq = LlamaContext.MAIN_SEQ  # the sequence of the request being served
        self._origin = LlamaContext.MAIN_SEQ  # the slot's sequence that speculation starts from
        self._recent_seqs: list[int] = []  # slot sequences, least recently used first

    # -- the Engine protocol -------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        return self._model.tokenize(text, special=False)

    def detokenize(self, ids) -> str:
        return b"".join(self._model.piece(t) for t in ids).decode("utf-8", "replace")

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
        self._cancel = cancel
        self._origin = LlamaContext.slot_seq(min(slot, self._options.slots - 1))
        self._seq = LlamaContext.SPECULATION_SEQ if speculative else self._origin
        self._states.setdefault(self._origin, CacheState())
        if self._origin in self._recent_seqs:
            self._recent_seqs.remove(self._origin)
        self._recent_seqs.append(self._origin)
        try:
            layout, pieces = assemble(
                prompt,
                fim_ids=self.info.fim_ids,
                bos=self._bos,
                repo_tokens=self.info.repo_tokens,
                n_ctx=self._ctx.n_ctx,
                max_tokens=limits.max_tokens,
            )
            tokens = layout.tokens
            if speculative:
                self._share_main_prefix(tokens)
            else:
                # Speculation's own cells would widen the attention of every decode here (a
                # quarter slower in `coderd bench`); its result already sits in the completion
                # cache, so drop them.
                self._evict_speculation()
            plan = plan_reuse(
                self._state,
                layout,
                allow_shift=self._options.reuse_suffix_kv
                and self._ctx.can_shift
                and not speculative,
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
            return Completion(
                text=text, stats=stats, prompt_ids=tokens, pieces=pieces, alternatives=alternatives
            )
        finally:
            self._cancel = None
            self._seq = self._origin = LlamaContext.MAIN_SEQ

    def speed_profile(self):
        """This machine's speed with this model (measured once, then cached: speed.py)."""
        from coderd.engine.llama.speed import load_or_measure

        return load_or_measure(self)

    def forget_slot(self, slot: int) -> None:
        """Drop a session's cells: its slot goes to another session, or it went away."""
        seq = LlamaContext.slot_seq(slot)
        self._ctx.remove(seq, -1, -1)
        self._states[seq] = CacheState()

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
        """Start speculation from the slot's cells when they cover more of the prompt."""
        main = self._states[self._origin].tokens
        shared = common_prefix_length(main, tokens)
        if shared > common_prefix_length(self._state.tokens, tokens):
            self._ctx.remove(self._seq, -1, -1)
            self._ctx.copy(self._origin, self._seq, 0, shared)
            self._state = CacheState(tokens=list(main[:shared]))

    def _should_abort(self) -> bool:
        """llama.cpp's abort callback, polled inside llama_decode.

        A prompt chunk runs to its end: aborted, it would be dropped whole, and with keys
        closer than a chunk takes every key would abort the first chunk and the last key
        evaluate the whole prompt (bench/README.md, "Prompt chunks"). `_decode` stops between
        chunks instead. Generation still stops at once: the next prompt drops generated cells.
        """
        cancel = self._cancel
        return cancel is not None and cancel.cancelled and not self._in_prompt_chunk

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
        """Evaluate in chunks; returns how many positions the sequence holds afterwards."""
        pos = start
        for i in range(0, len(tokens), self.prompt_chunk):
            chunk = tokens[i : i + self.prompt_chunk]
            if self._should_abort():
                return pos
            self._in_prompt_chunk = True
            try:
                status = self._ctx.decode(chunk, pos, seq=self._seq)
                if status == DECODE_NO_SLOT and self._evict_other_slot():
                    status = self._ctx.decode(chunk, pos, seq=self._seq)
            finally:
                self._in_prompt_chunk = False
            if status != DECODE_OK:  # e.g. no room left in the cache: start this sequence afresh
                self._state = CacheState()
                self._ctx.remove(self._seq, -1, -1)
                self._evict_speculation()  # also the parking place, should this be mid-shift
                raise EngineError(f"llama_decode failed with status {status} at position {pos}")
            pos += len(chunk)
        return pos

    def _evict_other_slot(self) -> bool:
        """The shared cache is full: free the least recently used other session's cells."""
        for seq in self._recent_seqs:
            if seq != self._origin and self._states.get(seq, CacheState()).tokens:
                self._ctx.remove(seq, -1, -1)
                self._states[seq] = CacheState()
                return True
        return False

    def _masked_logits(self, row: int = -1) -> np.ndarray:
        """The logits of batch index `row` of the last decode, banned ids set to -inf."""
        logits = self._ctx.logits(row)
        logits[self._banned] = -np.inf
        return logits

    def _alternatives(
        self,
        first_logits: np.ndarray,
        prompt_len: int,
        limits: GenerationLimits,
        cancel: CancelToken,
    ) -> list[str]:
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

    def _generate(
        self,
        limits: GenerationLimits,
        cancel: CancelToken,
        stats: RequestStats,
        first_token: int | None = None,
    ) -> str:
        """Greedy decoding from the cache's last logits, or from `first_token` when given."""
        started = time.perf_counter()
        deadline = started + limits.time_budget_s
        # Invalid byte sequences are dropped, not shown as U+FFFD; an incomplete one at the end
        # stays in the decoder and is never emitted.
        decoder = codecs.getincrementaldecoder("utf-8")("ignore")
        text, generated = "", 0
        stats.stop_reason = "max_tokens"
        # Prompt lookup: `ahead` are draft tokens evaluated after the record's last token in
        # the same batch; `row` is the batch index whose logits give the next token.
        lookup = (
            PromptLookup(self._state.tokens, banned=self._banned.tolist(), **LOOKUP_POLICY)
            if self._options.prompt_lookup
            else None
        )
        ahead: list[int] = []
        row = -1
        while generated < limits.max_tokens:
            if cancel.cancelled:
                stats.stop_reason, text = "cancelled", ""
                break
            if first_token is not None:
                token, first_token = first_token, None
            else:  # greedy: the most likely, reproducible suggestion
                token = int(np.argmax(self._masked_logits(row)))
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
            cut = _budget_cut(text, previous_len, time.perf_counter() - deadline, limits)
            if cut is not None:
                text, stats.stop_reason = text[:cut], "time_budget"
                break
            pos = len(self._state.tokens)
            if pos >= self._ctx.n_ctx:
                stats.stop_reason = "context_full"
                break
            if ahead and ahead[0] == token:  # greedy agrees with the draft: already evaluated
                ahead.pop(0)
                row += 1
                lookup.append(token)
                self._state.tokens.append(token)
                continue
            status, ahead = self._decode_next(token, pos, lookup, ahead)
            row = 0
            if status != DECODE_OK:
                stats.stop_reason = "cancelled" if status == DECODE_ABORTED else "context_full"
                text = "" if status == DECODE_ABORTED else text
                break
            self._state.tokens.append(token)
        if ahead:  # draft cells past the last committed token: keep the cache = the record
            self._ctx.remove(self._seq, len(self._state.tokens))
        stats.generated_tokens = generated
        stats.generate_ms = (time.perf_counter() - started) * 1000
        return text

    def _decode_next(
        self, token: int, pos: int, lookup: PromptLookup | None, ahead: list[int]
    ) -> tuple[int, list[int]]:
        """Evaluate `token` at `pos`, with a prompt-lookup draft after it in the same batch
        when there is one. Returns the llama_decode status and the draft evaluated."""
        if ahead:  # the rest of the last draft is wrong: drop its cells
            self._ctx.remove(self._seq, pos)
        if lookup is not None:
            lookup.append(token)
            draft = lookup.propose(self._ctx.n_ctx - pos - 1)
            if draft:
                status = self._ctx.decode([token, *draft], pos, seq=self._seq, all_logits=True)
                if status != DECODE_NO_SLOT:  # no room for the draft: try the token alone
                    return status, (draft if status == DECODE_OK else [])
        return self._ctx.decode([token], pos, seq=self._seq), []
