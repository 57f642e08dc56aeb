"""Deciding which tokens of a new prompt must be evaluated, given what the KV cache holds.

A FIM prompt has three parts:

    head  = [repository context] [BOS] <FIM_PRE> prefix      changes at its end on a keystroke
    block = <FIM_SUF> suffix                                   usually unchanged by a keystroke
    tail  = <FIM_MID>                                          always evaluated: it gives the logits

Plain reuse keeps the longest common token prefix, so a keystroke costs the changed end of the
prefix plus the whole block. Shift reuse also keeps the block's KV: it is parked in another
sequence, the new end of the prefix is evaluated, and the block is moved to its new positions
(llama.cpp `llama_memory_seq_add`, as llama-server's `--cache-reuse` does). The moved block was
computed against the old prefix, so it is an approximation; `drift` counts the prefix tokens
changed since the block was last evaluated in full, and past `refresh_after` we evaluate it
again (a key allows `TYPING_DRIFT_FACTOR` times that; the refresh then runs in the background). llama.cpp only appends at the end of a sequence, which is why the block is parked rather
than left in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# Below this size, moving the block costs more bookkeeping than evaluating it.
MIN_SHIFT_BLOCK = 4
# A key lets the block drift this many times `suffix_refresh_tokens` before it pays for the
# refresh itself: the refresh goes to the background, at the user's next pause (that prewarm
# plans with the bound itself). Paid by a key, it was the slowest key of a typing run: 62
# tokens, 1.5 s on two cores with the 1.3B model (session 9). At 32 changed tokens a shifted
# block changes the first token of 11-21 % of suggestions against 5-15 % at 16
# (bench/README "Suffix KV shift: quality"): suggestions shown while keys keep coming.
TYPING_DRIFT_FACTOR = 2

# Prompt tokens per llama_decode on a CPU. Every key cancels the request in progress; the
# engine lets the chunk in progress finish and stops before the next one, so the chunks done
# stay in the cache for the next request (`state_after`) and a chunk's time is the most a new
# request waits behind a superseded one: about 0.4 s for 32 tokens of a 1.3B model on two
# cores. Chunks of 32 keep 93-97 % of the prompt throughput of 64, 16 mostly 82-85 %
# (bench/README.md, "Prompt chunks"). GPU batches are far cheaper large, so with offload the
# chunk is the whole batch.
CPU_PROMPT_CHUNK = 32


def prompt_chunk(configured: int, gpu_layers: int, n_batch: int) -> int:
    """Tokens per llama_decode while evaluating a prompt; `configured` 0 = automatic."""
    chunk = configured or (CPU_PROMPT_CHUNK if gpu_layers == 0 else n_batch)
    return max(1, min(chunk, n_batch))


@dataclass(frozen=True)
class PromptLayout:
    head: tuple[int, ...]
    block: tuple[int, ...] = ()
    tail: tuple[int, ...] = ()

    @property
    def tokens(self) -> tuple[int, ...]:
        return self.head + self.block + self.tail


@dataclass
class CacheState:
    """What one KV sequence holds: `tokens[i]` sits at position i."""

    tokens: list[int] = field(default_factory=list)
    head_len: int | None = None  # where the last prompt's block starts in `tokens`
    block: tuple[int, ...] = ()
    drift: int = 0


@dataclass(frozen=True)
class ShiftStep:
    old_start: int  # first position of the block in the cache
    length: int
    delta: int  # how far the block moves: new head length minus old head length
    changed: int  # prefix tokens removed plus added: what the block's KV did not see


@dataclass(frozen=True)
class ReusePlan:
    keep: int  # cached tokens kept as they are
    evaluate: tuple[int, ...]  # evaluated right after `keep`
    shift: ShiftStep | None = None  # set: then move the block and evaluate `then_evaluate`
    then_evaluate: tuple[int, ...] = ()

    @property
    def evaluated_count(self) -> int:
        return len(self.evaluate) + len(self.then_evaluate)


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def plan_reuse(
    state: CacheState, layout: PromptLayout, *, allow_shift: bool, refresh_after: int
) -> ReusePlan:
    shift_plan = _plan_shift(state, layout, refresh_after) if allow_shift else None
    if shift_plan is not None:
        return shift_plan
    tokens = layout.tokens
    keep = common_prefix_length(state.tokens, tokens)
    if state.head_len is not None and state.drift > refresh_after:
        keep = min(keep, state.head_len)  # the block's cells are too stale to keep: refresh
    if keep == len(tokens):
        keep -= 1  # the whole prompt is cached, but its last token must run again for logits
    return ReusePlan(keep=keep, evaluate=tokens[keep:])


def _plan_shift(state: CacheState, layout: PromptLayout, refresh_after: int) -> ReusePlan | None:
    block = layout.block
    old_head = state.head_len
    if old_head is None or len(block) < MIN_SHIFT_BLOCK or state.block != block:
        return None
    if state.tokens[old_head : old_head + len(block)] != list(block):
        return None  # the block is no longer intact in the cache
    keep = common_prefix_length(state.tokens[:old_head], layout.head)
    if keep == old_head == len(layout.head):
        return None  # the head did not change: plain reuse already keeps the block
    changed = (old_head - keep) + (len(layout.head) - keep)
    if state.drift + changed > refresh_after:
        return None
    step = ShiftStep(
        old_start=old_head, length=len(block), delta=len(layout.head) - old_head, changed=changed
    )
    return ReusePlan(keep=keep, evaluate=layout.head[keep:], shift=step, then_evaluate=layout.tail)


def state_after(state: CacheState, layout: PromptLayout, plan: ReusePlan, held: int) -> CacheState:
    """The cache state once `held` tokens of the new prompt sit in the sequence.

    `held` is less than the prompt length when a cancel stopped evaluation between chunks:
    the chunks evaluated are held, and whatever `plan` would have done after the stop (the
    shift, `then_evaluate`) did not happen.
    """
    tokens = list(layout.tokens[:held])
    head_len = len(layout.head)
    if not layout.block or held <= head_len:
        return CacheState(tokens=tokens)
    if plan.shift is not None:
        drift = state.drift + plan.shift.changed
    elif plan.keep > head_len:
        drift = state.drift  # the block's cells were kept as they were, staleness and all
    else:
        drift = 0  # the block was evaluated against the current head
    if held < head_len + len(layout.block):
        # Part of the block: nothing to shift next time, but cells kept from a shifted block
        # stay as stale as they were when plain reuse keeps them again.
        return CacheState(tokens=tokens, drift=drift)
    return CacheState(tokens=tokens, head_len=head_len, block=layout.block, drift=drift)
