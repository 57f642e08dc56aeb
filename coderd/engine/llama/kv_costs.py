"""What moving KV cells costs, measured: a saved state's swap against evaluating the tokens it
spares (kv_sequences.py `_closest`), and the way a request evaluates tokens (`Evaluate`).

Copying a sequence's cells out or in (llama.cpp state get/set data) and evaluating prompt
tokens are both measured in ms per token, as they happen; a saved state is worth swapping in
when the tokens it spares cost more to evaluate than the copies. Worker thread only, with
the sequences.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Protocol

from coderd.engine.llama.kv_plan import ReusePlan
from coderd.engine.llama.kv_store import SavedState


class Evaluate(Protocol):
    """Runs tokens through the model from a start position, into `seq` (None: the request's
    own sequence); returns how many positions that sequence holds afterwards (fewer than
    start + len(tokens) when a cancel stopped it between chunks)."""

    def __call__(self, tokens: Sequence[int], start: int, seq: int | None = None) -> int: ...


class SwapCosts:
    def __init__(self) -> None:
        self.copy_ms: float | None = None  # ms per token, copying cells out or in
        self.eval_ms: float | None = None  # ms per token, evaluating a chunk or more

    def margin(self, copied_tokens: int) -> int:
        """Tokens of evaluation that a swap of `copied_tokens` cells out and in costs (one
        until both speeds are measured: a restore is then tried, and measured)."""
        if self.copy_ms is None or not self.eval_ms:
            return 1
        return max(1, math.ceil(copied_tokens * self.copy_ms / self.eval_ms))

    def copied(self, started: float, tokens: int) -> None:
        """A copy of `tokens` cells (out or in) that began at `started` (perf_counter)."""
        if tokens > 0:
            ms = (time.perf_counter() - started) * 1000 / tokens
            self.copy_ms = ms if self.copy_ms is None else 0.8 * self.copy_ms + 0.2 * ms

    def timed(self, evaluate: Evaluate) -> Evaluate:
        """`evaluate`, measuring ms per token (calls of a chunk or more: a single token's call
        is mostly its fixed cost)."""

        def run(tokens: Sequence[int], start: int, seq: int | None = None) -> int:
            began = time.perf_counter()
            held = evaluate(tokens, start, seq)
            done = held - start
            if done >= 8:
                ms = (time.perf_counter() - began) * 1000 / done
                self.eval_ms = ms if self.eval_ms is None else 0.8 * self.eval_ms + 0.2 * ms
            return held

        return run


def spent(plan: ReusePlan, saved: SavedState) -> bool:
    """Taking `saved` for `plan` would throw away most of it: a state swapped in is gone from
    the store, so a prompt that shares a few tokens with it (`import ` of another file, a
    license header) would spend another document's state for nothing much; it stays for its
    own document (a three-file switch lost the narrow state of the file gone back to)."""
    kept = plan.keep + (plan.shift.length if plan.shift is not None else 0)
    return kept <= len(saved.record.tokens) // 2
