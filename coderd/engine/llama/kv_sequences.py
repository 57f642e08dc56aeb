"""What each KV sequence holds, and every move of cells between sequences.

The context's cache is shared by several sequences (runtime.LlamaContext): sequence 0 and one
more per further session slot hold the prompts the sessions type into; sequence 1 holds
speculation and is the parking place of a suffix shift. `KvSequences` keeps a `CacheState` per
sequence in step with llama.cpp's cells (`tokens[i]` sits at position i) and does what moves
or drops cells: bringing a sequence to a new prompt by a `kv_plan.ReusePlan` (park, evaluate,
shift, hand back), speculation starting from a slot's common prefix, a slot's eviction when the
cache is full, and lending the spare sequence to the speed measurement.

One per engine, outliving requests; only the worker thread calls it. Evaluating tokens is the
request's business (decode_run.py): `bring_to` is handed the request's way of doing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from coderd.engine.llama.kv_costs import Evaluate, SwapCosts, spent
from coderd.engine.llama.kv_plan import (
    CacheState,
    PromptLayout,
    ReusePlan,
    common_prefix_length,
    state_after,
)
from coderd.engine.llama.kv_store import SavedState, SavedStates, bytes_bound, new_buffer
from coderd.engine.llama.runtime import LlamaContext
from coderd.system.hardware import available_memory_bytes

# What `plan_reuse` makes of a sequence's record for the prompt at hand.
Planner = Callable[[CacheState], ReusePlan]


class KvSequences:
    def __init__(self, ctx: LlamaContext, slots: int, saved_bytes: int = -1) -> None:
        self.ctx = ctx
        self.slots = max(1, slots)
        self._states = {
            LlamaContext.MAIN_SEQ: CacheState(),
            LlamaContext.SPECULATION_SEQ: CacheState(),
        }
        self._recent: list[int] = []  # slot sequences, least recently used first
        # What slot sequences held before other prompts (kv_store.py), within
        # model.saved_states_mb (`saved_bytes`) or, by default, a share of the memory free now.
        self.saved = SavedStates(max_bytes=bytes_bound(available_memory_bytes(), saved_bytes))
        # The decode count when a shift moved cells (None: no shift pending). llama.cpp applies
        # the shift to K at the next decode, so a state saved before one would be restored
        # unrotated; any decode after it (a generated token) applies it.
        self._shift_at: int | None = None
        # What a swap of saved states costs against evaluating (measured): `_closest`.
        self.costs = SwapCosts()

    def slot_seq(self, slot: int) -> int:
        """The sequence of session slot `slot`; one past the configured slots shares the last."""
        return LlamaContext.slot_seq(min(slot, self.slots - 1))

    def state(self, seq: int) -> CacheState:
        """The record of what `seq` holds (the very object: generation appends to it)."""
        state = self._states.get(seq)
        if state is None:  # not setdefault: generation asks per token, and would build one
            state = self._states[seq] = CacheState()
        return state

    def use(self, seq: int) -> None:
        """`seq` serves a request now: it becomes the last one `evict_least_recent` drops."""
        self.state(seq)
        if seq in self._recent:
            self._recent.remove(seq)
        self._recent.append(seq)

    def forget(self, seq: int) -> None:
        """Drop all of `seq`'s cells."""
        self.ctx.remove(seq, -1, -1)
        self._states[seq] = CacheState()

    def moved_to(self, ctx: LlamaContext) -> KvSequences:
        """The same bookkeeping for a new, empty context (engine.py `fit_cache`): the saved
        states (host memory) and the copy and evaluation speeds carry over, the cells do not."""
        moved = KvSequences(ctx, self.slots)
        moved.saved, moved.costs = self.saved, self.costs
        return moved

    def forget_slot(self, slot: int) -> None:
        self.forget(LlamaContext.slot_seq(slot))
        self.saved.forget(LlamaContext.slot_seq(slot))

    def resume(
        self, seq: int, plan: ReusePlan, planner: Planner, prewarm: PromptLayout | None = None
    ) -> tuple[ReusePlan, int]:
        """Before `seq` is brought to a prompt (`plan`, from what it holds): when a saved state
        of it spares more evaluation than its copies cost (kv_costs.py), swap the two; when the
        prompt would throw away most of what `seq` holds, save that first, and so for any of
        it when the prompt is a prewarm's at a pause (`prewarm`, its layout): a key cancels most of
        those part way and wants back what it typed into (a pause's whole prompt dropped the
        narrow windows, and each burst's last key evaluated them again: 92-118 tokens, 1.5 s,
        bench/README.md session 13). Returns the plan to follow and the tokens restored."""
        live = self.state(seq)
        best, best_plan, _ = self._closest(seq, plan, planner)
        kept = plan.keep + (plan.shift.length if plan.shift is not None else 0)
        dropped = len(live.tokens) - kept
        if prewarm is not None and (dropped <= 1 or _beside(live, prewarm, plan)):
            prewarm = None  # it keeps what the sequence holds (no more than FIM_MID)
        if best is not None:
            self.saved.take(best)  # before the save below, whose bounds could evict it
        if best is not None or dropped > len(live.tokens) // 2 or prewarm is not None:
            self._save(seq)
        if best is None:
            return plan, 0
        started = time.perf_counter()
        loaded = self.ctx.load_seq(seq, best.data)
        self.costs.copied(started, len(best.record.tokens))
        self.saved.recycle(best)
        if not loaded:  # no room: start afresh
            self._states[seq] = CacheState()
            return planner(self._states[seq]), 0
        self._states[seq] = CacheState(
            list(best.record.tokens), best.record.head_len, best.record.block, best.record.drift
        )
        return best_plan, best_plan.keep

    def cheapest(self, seq: int, plan: ReusePlan, planner: Planner) -> int:
        """The tokens `resume` would leave to evaluate, the copies of its swap counted;
        nothing is swapped."""
        _, best_plan, copies = self._closest(seq, plan, planner)
        return best_plan.evaluated_count + copies

    def _closest(
        self, seq: int, plan: ReusePlan, planner: Planner
    ) -> tuple[SavedState | None, ReusePlan, int]:
        """The saved state of `seq` worth swapping in for the prompt `plan` is for (None: what
        `seq` holds is best), the plan from it, and the swap's copies in tokens of evaluation
        (`SwapCosts.margin`): one that spares more than its copies cost and is not `spent`."""
        held = len(self.state(seq).tokens)
        best, best_plan, copies = None, plan, 0
        for saved in self.saved.of(seq):
            candidate = planner(saved.record)
            if spent(candidate, saved):
                continue
            margin = self.costs.margin(held + len(saved.record.tokens))
            if candidate.evaluated_count + margin <= best_plan.evaluated_count:
                best, best_plan, copies = saved, candidate, margin
        return best, best_plan, copies

    def _save(self, seq: int) -> None:
        live = self.state(seq)
        if not live.tokens or self._shift_unapplied() or self.saved.max_bytes <= 0:
            return  # (a bound of 0: the user keeps no states, so no copy is made either)
        started = time.perf_counter()
        size = self.ctx.seq_state_size(seq)
        buffer = self.saved.spare_for(size) or new_buffer(size)
        data = self.ctx.save_seq(seq, into=buffer)
        self.costs.copied(started, len(live.tokens))
        if data is not None:
            record = CacheState(list(live.tokens), live.head_len, live.block, live.drift)
            self.saved.add(SavedState(seq, record, data, owner=buffer))

    def _shift_unapplied(self) -> bool:
        return self._shift_at is not None and self._shift_at == self.ctx.decodes

    def hottest(self) -> list[SavedState]:
        """Every slot sequence's cells copied out, with the states saved before: most recently
        used first (the daemon exits: kv_persist.py keeps them for the next start)."""
        for seq in self._recent:  # least recent first: the last saved is the hottest
            self._save(seq)
        return list(reversed(list(self.saved)))

    def evict_speculation(self) -> None:
        """Empty the speculation / parking sequence."""
        self.forget(LlamaContext.SPECULATION_SEQ)

    def evict_least_recent(self, keep: int) -> bool:
        """The shared cache is full: free the least recently used slot's cells, never `keep`'s.
        False when there is none to free."""
        for seq in self._recent:
            if seq != keep and self.state(seq).tokens:
                self.forget(seq)
                return True
        return False

    def truncate(self, seq: int, length: int) -> None:
        """Drop `seq`'s cells from position `length` on, and the record's tokens with them."""
        self.ctx.remove(seq, length)
        del self.state(seq).tokens[length:]

    def share_prefix(self, origin: int, seq: int, tokens: Sequence[int]) -> None:
        """Start `seq` (speculation) from `origin`'s cells when they cover more of `tokens`
        than `seq`'s own. Sharing cells costs nothing: the cache is unified."""
        main = self.state(origin).tokens
        shared = common_prefix_length(main, tokens)
        if shared > common_prefix_length(self.state(seq).tokens, tokens):
            self.ctx.remove(seq, -1, -1)
            self.ctx.copy(origin, seq, 0, shared)
            self._states[seq] = CacheState(tokens=list(main[:shared]))

    def bring_to(
        self,
        seq: int,
        plan: ReusePlan,
        layout: PromptLayout,
        evaluate: Evaluate,
        cancelled: Callable[[], bool] = lambda: False,
        background: bool = False,
    ) -> bool:
        """Bring `seq` to `layout` as `plan` says. False when `evaluate` stopped part way (a
        cancel): the record then holds what was evaluated, and the steps after the stop did
        not happen. Cancelled before anything was evaluated: nothing is touched. (Parked
        and then dropped, the block cost the next key its whole suffix: a prewarm for a
        return, cancelled by the first key right after its state restore, session 9.)

        `background` (the prewarm at a pause): a block evaluated again because it drifted too
        far (the same suffix: a refresh) is evaluated beside the old one (`_refresh_beside`)."""
        if cancelled():
            return False
        ctx, park = self.ctx, LlamaContext.PARK_SEQ
        evaluate = self.costs.timed(evaluate)
        step = plan.shift
        unapplied = self._shift_unapplied()
        state = self.state(seq)
        if background and _beside(state, layout, plan):
            return self._refresh_beside(seq, plan, layout, evaluate)
        if step is None:
            ctx.remove(seq, plan.keep)
            held = evaluate(plan.evaluate, plan.keep)
            unapplied = unapplied and held == plan.keep
        else:
            # llama.cpp only appends at the end of a sequence: the block is parked while the
            # new end of the prefix is evaluated, then moved and handed back (kv_plan.py).
            block_end = step.old_start + step.length
            ctx.remove(seq, block_end)  # the old FIM_MID and whatever was generated after it
            self.evict_speculation()  # the parking place must be empty
            ctx.copy(seq, park, step.old_start, block_end)
            ctx.remove(seq, plan.keep)
            held = evaluate(plan.evaluate, plan.keep)
            unapplied = unapplied and held == plan.keep
            if held == plan.keep + len(plan.evaluate):
                ctx.shift(park, step.old_start, block_end, step.delta)
                new_start = step.old_start + step.delta
                ctx.copy(park, seq, new_start, new_start + step.length)
                held = evaluate(plan.then_evaluate, new_start + step.length)
                unapplied = held == new_start + step.length
            ctx.remove(park, -1, -1)
        self._shift_at = self.ctx.decodes if unapplied else None
        self._states[seq] = state_after(self.state(seq), layout, plan, held)
        return held == len(layout.tokens)

    def _refresh_beside(
        self, seq: int, plan: ReusePlan, layout: PromptLayout, evaluate: Evaluate
    ) -> bool:
        """Evaluate the refreshed end of the prompt in the parking sequence, sharing `seq`'s
        kept cells, and hand it over only when whole. A key cancels most refreshes part way
        (a bursty typist's next burst), and done in place that had dropped the stale block:
        the key then evaluated the whole suffix, which the shift had spared it (1.3B, two
        cores: 92 tokens, 1.3 s a burst, bench/README.md session 13). Cancelled, the
        sequence keeps its stale block for the key to shift; the part evaluated is lost, as
        it would be anyway once the key changes the prefix before it."""
        ctx, park = self.ctx, LlamaContext.PARK_SEQ
        self.evict_speculation()  # the parking place must be empty
        ctx.copy(seq, park, 0, plan.keep)  # shared cells (a unified cache): nothing is copied
        end = plan.keep + len(plan.evaluate)
        held = evaluate(plan.evaluate, plan.keep, park)
        if held > plan.keep:
            self._shift_at = None  # the decode applied any shift pending
        if held == end:
            ctx.remove(seq, plan.keep)
            ctx.copy(park, seq, plan.keep, end)
            self._states[seq] = state_after(self.state(seq), layout, plan, held)
        ctx.remove(park, -1, -1)
        return held == end

    @contextmanager
    def spare(self) -> Iterator[int]:
        """The speculation / parking sequence, emptied, for work outside any request (the
        speed measurement); emptied again afterwards, so that no request finds its cells."""
        self.evict_speculation()
        try:
            yield LlamaContext.PARK_SEQ
        finally:
            self.evict_speculation()


def _beside(state: CacheState, layout: PromptLayout, plan: ReusePlan) -> bool:
    """`plan` evaluates `state`'s block again, the same suffix, after little of the head (a
    refresh after drifting): a prewarm does that beside the old cells (`_refresh_beside`).
    Not a prompt with other windows around the same suffix (the whole prompt after a narrow
    one): its progress is of use to the next pause, so it is evaluated in place."""
    if plan.shift is not None or state.head_len is None or state.block != layout.block:
        return False
    head_evaluated = len(layout.head) - plan.keep
    return plan.keep < state.head_len + len(state.block) and head_evaluated < len(layout.block)
