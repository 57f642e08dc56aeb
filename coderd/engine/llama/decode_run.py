"""One request's decoding: the prompt in cancellable chunks, then greedy generation.

A `DecodeRun` is made for each `LlamaEngine.complete()` call and dropped after it: it holds
what belongs to that request alone (its cancel token, the sequence it decodes in and the slot
sequence it started from, whether a prompt chunk is in progress), so nothing of a request
stays on the engine.
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Callable, Sequence

# llama.cpp's libraries before numpy's (see loading.py); runtime imports llama_cpp.
from coderd.engine.llama.runtime import DECODE_ABORTED, DECODE_NO_SLOT, DECODE_OK  # isort: skip

import numpy as np

from coderd.engine.base import CancelToken, EngineError, GenerationLimits, RequestStats
from coderd.engine.llama.kv_plan import (
    TYPING_DRIFT_FACTOR,
    CacheState,
    PromptLayout,
    ReusePlan,
    plan_reuse,
)
from coderd.engine.llama.kv_sequences import KvSequences
from coderd.engine.llama.loading import EngineOptions, LoadedModel
from coderd.engine.llama.lookup import LOOKUP_POLICY, PromptLookup
from coderd.engine.llama.runtime import LlamaContext, Logits
from coderd.engine.stopping import budget_cut, stop_position


class DecodeRun:
    """One request's state and its decode loop. llama.cpp's abort callback asks
    `should_abort` while `LlamaContext.abort_when` has it installed (LlamaEngine.complete)."""

    def __init__(
        self,
        loaded: LoadedModel,
        kv: KvSequences,
        options: EngineOptions,
        cancel: CancelToken,
        *,
        slot: int = 0,
        speculative: bool = False,
        prompt_chunk: int | None = None,
        govern_threads: Callable[[], object] | None = None,
    ) -> None:
        """`slot`: the session whose KV sequence the request uses; `speculative`: decode in
        the speculation sequence instead, starting from the slot's cells; `govern_threads`:
        sets the decode threads to the cores free now (engine.py, threads.py), asked again
        between prompt chunks."""
        self.model, self.ctx, self.kv = loaded.model, loaded.ctx, kv
        self.banned = loaded.banned
        self.options = options
        self.prompt_chunk = prompt_chunk or loaded.prompt_chunk
        self.cancel = cancel
        self.speculative = speculative
        self.origin = kv.slot_seq(slot)  # the slot's sequence, that speculation starts from
        self.seq = LlamaContext.SPECULATION_SEQ if speculative else self.origin
        self._in_prompt_chunk = False  # see should_abort
        self._govern_threads = govern_threads
        self.restored = 0  # prompt tokens whose cells came back from a saved state (kv_store.py)
        self._background = False  # the prewarm at a pause (`plan`, typing=False)
        self.evaluated = 0  # prompt tokens run through llama_decode, kept or not
        kv.use(self.origin)  # served now: the last slot a full cache gives up

    @property
    def record(self) -> CacheState:
        """What this request's sequence holds."""
        return self.kv.state(self.seq)

    def should_abort(self) -> bool:
        """llama.cpp's abort callback while this request runs, polled inside llama_decode.

        A prompt chunk runs to its end: aborted, it would be dropped whole, and with keys
        closer than a chunk takes every key would abort the first chunk and the last key
        evaluate the whole prompt (bench/README.md, "Prompt chunks"). `evaluate` stops between
        chunks instead. Generation still stops at once: the next prompt drops generated cells.
        Speculation's chunks stop at once too: its cells are of no use to the request that
        cancels it (which evicts them), and its chunk (the suggestion it builds on, up to
        max_tokens long) made a switch to another file wait 500 ms on two cores. So does a
        chunk whose canceller has no use for it (`CancelToken.interrupt`: a prewarm for
        another document than the request's).
        """
        cancel = self.cancel
        return cancel.cancelled and (
            self.speculative or cancel.interrupting or not self._in_prompt_chunk
        )

    # -- the prompt ------------------------------------------------------------------------

    def plan(self, layout: PromptLayout, typing: bool = False) -> ReusePlan:
        """What the cache keeps of `layout` and what must be evaluated. Speculation starts
        from the slot's common prefix and never shifts; an ordinary request first drops
        speculation's cells, which would widen the attention of every decode here (a quarter
        slower in `coderd bench`; its result already sits in the completion cache).
        `typing`: not the prewarm at a pause, so the suffix may drift further (kv_plan.py
        `TYPING_DRIFT_FACTOR`)."""
        if self.speculative:
            self.kv.share_prefix(self.origin, self.seq, layout.tokens)
        else:
            self.kv.evict_speculation()
        planner = self._planner(layout, typing)
        self._background = not typing
        plan = planner(self.record)
        if not self.speculative:  # a saved state may be closer (another file, a new block)
            prewarm = layout if self._background else None
            plan, self.restored = self.kv.resume(self.seq, plan, planner, prewarm)
        return plan

    def estimate(self, layout: PromptLayout) -> int:
        """The tokens `plan(layout)` would have evaluated, touching nothing (no swap, no
        eviction): a placement's prompt is sized by it (completion/first_prompt.py)."""
        planner = self._planner(layout, typing=False)
        return self.kv.cheapest(self.seq, planner(self.record), planner)

    def _planner(self, layout: PromptLayout, typing: bool) -> Callable[[CacheState], ReusePlan]:
        def planner(state: CacheState) -> ReusePlan:
            return plan_reuse(
                state,
                layout,
                allow_shift=self.options.reuse_suffix_kv
                and self.ctx.can_shift
                and not self.speculative,
                refresh_after=self.options.suffix_refresh_tokens
                * (TYPING_DRIFT_FACTOR if typing else 1),
            )

        return planner

    def bring_cache_to(self, plan: ReusePlan, layout: PromptLayout) -> bool:
        """Evaluate the prompt by `plan`; False when cancelled part way."""
        return self.kv.bring_to(
            self.seq, plan, layout, self.evaluate, self.should_abort, background=self._background
        )

    def evaluate(self, tokens: Sequence[int], start: int, seq: int | None = None) -> int:
        """Evaluate in chunks into `seq` (None: the request's sequence); returns how many
        positions that sequence holds afterwards."""
        seq = self.seq if seq is None else seq
        pos = start
        for i in range(0, len(tokens), self.prompt_chunk):
            chunk = tokens[i : i + self.prompt_chunk]
            if self.should_abort():
                return pos
            if i and self._govern_threads is not None:
                # A whole prompt takes seconds on a CPU (a prewarm: 600 tokens, 7-14 s on two
                # cores): the count chosen at its start, from the second before (the editor
                # opening the file, the index parsing it), must not hold for all of it. The
                # governor looks again at most once a second (threads.py MIN_LOOK_S).
                self._govern_threads()
            self._in_prompt_chunk = True
            try:
                status = self.ctx.decode(chunk, pos, seq=seq)
                if status == DECODE_NO_SLOT and self.kv.evict_least_recent(keep=self.origin):
                    status = self.ctx.decode(chunk, pos, seq=seq)
            finally:
                self._in_prompt_chunk = False
            if status == DECODE_ABORTED:  # speculation cancelled: llama.cpp dropped the chunk
                return pos
            if status != DECODE_OK:  # e.g. no room left in the cache: start this sequence afresh
                self.kv.forget(seq)
                self.kv.evict_speculation()  # also the parking place, should this be mid-shift
                raise EngineError(f"llama_decode failed with status {status} at position {pos}")
            pos += len(chunk)
            self.evaluated += len(chunk)
        return pos

    # -- generation ------------------------------------------------------------------------

    def masked_logits(self, row: int = -1) -> Logits:
        """The logits of batch index `row` of the last decode, banned ids set to -inf."""
        logits = self.ctx.logits(row)
        logits[self.banned] = -np.inf
        return logits

    def alternatives(
        self, first_logits: Logits, prompt_len: int, limits: GenerationLimits
    ) -> list[str]:
        """Branch on the runners-up for the first token, each continued greedily.

        Costs one extra generation per candidate, so only explicit requests ask for it.
        """
        texts = []
        ranked = np.argsort(-first_logits)[: limits.candidates]
        for token in (int(t) for t in ranked[1:]):
            if self.cancel.cancelled or self.model.is_eog(token) or first_logits[token] == -np.inf:
                continue
            self.kv.truncate(self.seq, prompt_len)  # back to the end of the prompt
            branch = RequestStats()
            text = self.generate(limits, branch, first_token=token)
            if branch.stop_reason != "cancelled":
                texts.append(text)
        return texts

    def generate(
        self, limits: GenerationLimits, stats: RequestStats, first_token: int | None = None
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
            PromptLookup(self.record.tokens, banned=self.banned.tolist(), **LOOKUP_POLICY)
            if self.options.prompt_lookup
            else None
        )
        ahead: list[int] = []
        row = -1
        while generated < limits.max_tokens:
            if self.cancel.cancelled:
                stats.stop_reason, text = "cancelled", ""
                break
            if first_token is not None:
                token, first_token = first_token, None
            else:  # greedy: the most likely, reproducible suggestion
                token = int(np.argmax(self.masked_logits(row)))
            if self.model.is_eog(token):
                stats.stop_reason = "eog"
                break
            generated += 1
            previous_len = len(text)
            text += decoder.decode(self.model.piece(token))
            cut = stop_position(text, previous_len, limits)
            if cut is not None:
                text, stats.stop_reason = text[:cut], "stop"
                break
            cut = budget_cut(text, previous_len, time.perf_counter() - deadline, limits)
            if cut is not None:
                text, stats.stop_reason = text[:cut], "time_budget"
                break
            pos = len(self.record.tokens)
            if pos >= self.ctx.n_ctx:
                stats.stop_reason = "context_full"
                break
            if lookup is not None and ahead and ahead[0] == token:
                # Greedy agrees with the draft: already evaluated.
                ahead.pop(0)
                row += 1
                lookup.append(token)
                self.record.tokens.append(token)
                continue
            status, ahead = self._decode_next(token, pos, lookup, ahead)
            row = 0
            if status != DECODE_OK:
                stats.stop_reason = "cancelled" if status == DECODE_ABORTED else "context_full"
                text = "" if status == DECODE_ABORTED else text
                break
            self.record.tokens.append(token)
        if ahead:  # draft cells past the last committed token: keep the cache = the record
            self.kv.truncate(self.seq, len(self.record.tokens))
        stats.generated_tokens = generated
        stats.generate_ms = (time.perf_counter() - started) * 1000
        return text

    def _decode_next(
        self, token: int, pos: int, lookup: PromptLookup | None, ahead: list[int]
    ) -> tuple[int, list[int]]:
        """Evaluate `token` at `pos`, with a prompt-lookup draft after it in the same batch
        when there is one. Returns the llama_decode status and the draft evaluated."""
        if ahead:  # the rest of the last draft is wrong: drop its cells
            self.kv.truncate(self.seq, pos)
        if lookup is not None:
            lookup.append(token)
            draft = lookup.propose(self.ctx.n_ctx - pos - 1)
            if draft:
                status = self.ctx.decode([token, *draft], pos, seq=self.seq, all_logits=True)
                if status != DECODE_NO_SLOT:  # no room for the draft: try the token alone
                    return status, (draft if status == DECODE_OK else [])
        return self.ctx.decode([token], pos, seq=self.seq), []
