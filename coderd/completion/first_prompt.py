"""A document's first prompt sized to the time before the user's first key there.

When the user opens a file, focuses it or jumps in it, a prewarm evaluates its prompt before
the first key (prewarm.py). On a fast machine that takes milliseconds. On two CPU cores a
1.3B model evaluates about 70 prompt tokens a second, and a document's whole prompt (its
context block and windows) is 350 to 600 tokens: a user who opens a file and types two
seconds later found a third of it evaluated, and the first key waited seconds for the rest
(bench/README.md, "Session 11": p95 5.1x the floor on open-wait-type, every other key at it).

So when what a placement's prompt would evaluate (the engine's estimate: what its KV sequence
and saved states spare counted, engine/base.py `EstimatesEvaluation`) takes longer than the
time this user leaves before a first key (`FirstKeys`, measured), the prewarm evaluates a
narrow prompt first: windows cut to what fits that time, never below the budgets' floors
(budget.py), with the whole prompt's context block only where its cells cost nothing more
(a reopen or a switch back: a saved state holds them) or the prompt still fits. The
document's keys are served with it (replan.py pins the document). Its whole prompt is
evaluated in the background once the first key is late (`FirstKeys.paused_s`, worker.py: a
user reading the file gets it before typing; a first key drops it, as it would only have made
that key wait for a prompt chunk), and at each pause the user makes after keys, until it is
in; the document then moves over. A file gone back to, whose prompt a saved state holds, is
estimated cheap and is never narrowed. The first key after a placement whose prewarm did
not run is sized the same way (its time: `completion.latency_target_ms`).

`FirstKeys` is the service's (every session's placements), fed from the event loop and
`submit` (prewarm.py); `NarrowPrompts` is the worker thread's (runner.py). Each narrow width's
assembler is a per-document holder of the service's registry (documents.py), and replan.py's
pins forget a document in the one it leaves.
"""

from __future__ import annotations

import statistics
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from coderd.completion.budget import FLOOR_PREFIX, FLOOR_SUFFIX, MARKERS, Budgets
from coderd.completion.debounce import WAIT_GAPS
from coderd.completion.tickets import DocumentSnapshot, Ticket
from coderd.context.provider import ContextProvider
from coderd.engine.base import Engine, EstimatesEvaluation
from coderd.engine.speed_profile import SpeedProfile
from coderd.prompt.assembler import AssembledPrompt, PromptAssembler
from coderd.prompt.blocks import NO_BLOCK

# Until this user's own gaps are measured: a file opened is looked at for about a second
# before the first key (a guess that the first measured gaps replace).
PRIOR_FIRST_KEY_S = 1.0
GAPS_KEPT = 20  # the most recent placements measured
# The share of gaps that may be shorter than the expectation: a narrow prompt must be in by
# the first key in most cases (p95 is what the user feels), not on average.
QUANTILE = 0.25


class FirstKeys:
    """How long this user leaves between a placement (open, focus, jump: the prewarm queued)
    and the first request in that document."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._placed: dict[str, float] = {}  # document key -> when its placement was queued
        self._gaps: deque[float] = deque(maxlen=GAPS_KEPT)

    def placed(self, key: str, at: float) -> None:
        with self._lock:
            self._placed[key] = at

    def requested(self, key: str) -> bool:
        """A request for `key`: True when it is the first since a placement there."""
        with self._lock:
            at = self._placed.pop(key, None)
            if at is not None:
                self._gaps.append(max(0.0, self._clock() - at))
        return at is not None

    def expected_s(self) -> float:
        """The gap most placements leave at least (`QUANTILE`)."""
        return self._quantile(QUANTILE, min)

    def paused_s(self) -> float:
        """Seconds after a placement when its first key is late: `WAIT_GAPS` times the gap
        three placements in four leave at most (debounce.py's pause, in first keys)."""
        return WAIT_GAPS * self._quantile(1 - QUANTILE, max)

    def _quantile(self, q: float, few: Callable[[list[float]], float]) -> float:
        with self._lock:
            gaps = sorted(self._gaps)
        if not gaps:
            return PRIOR_FIRST_KEY_S
        if len(gaps) < 4:
            return few(gaps)
        return statistics.quantiles(gaps, n=4, method="inclusive")[round(q * 4) - 1]

    def status(self) -> dict[str, object]:
        with self._lock:
            measured = len(self._gaps)
        return {"expected_s": round(self.expected_s(), 3), "measured": measured}

    # -- per-document state (documents.py, through prewarm.py) ------------------------------

    def forget(self, key: str) -> None:
        with self._lock:
            self._placed.pop(key, None)


def affordable_tokens(profile: SpeedProfile, seconds: float) -> int:
    """Prompt tokens this machine evaluates in `seconds` (in chunks: the batch's fixed cost
    counted once)."""
    if profile.token_ms <= 0:  # nothing measured per token: prompts cost nothing here
        return 1 << 30
    return max(0, int((seconds * 1000 - profile.call_ms) / profile.token_ms))


def narrow_budgets(planned: Budgets, affordable: int) -> Budgets:
    """Windows cut in proportion to fit `affordable` tokens, never below the floors, in steps
    of the floors (a new narrow width is a new assembler, whose windows start afresh).
    The context budget stays: the block is the one the whole prompt has, or none
    (`NarrowPrompts.prompt_for`), and it changes only when the whole prompt is in."""
    text = planned.prefix + planned.suffix
    room = max(0, affordable - MARKERS)
    scale = min(1.0, room / text) if text else 1.0
    prefix = min(planned.prefix, _steps(planned.prefix * scale, FLOOR_PREFIX))
    suffix = min(planned.suffix, _steps(planned.suffix * scale, FLOOR_SUFFIX))
    return Budgets(prefix, suffix, planned.context, "narrow first prompt")


def _steps(tokens: float, floor: int) -> int:
    """`tokens` rounded down to whole floors, at least one: a speed profile healing by a few
    per cent must not make a new width, whose windows would miss the saved narrow states."""
    return max(1, int(tokens) // floor) * floor


DECISIONS_KEPT = 5
_Narrow = tuple[PromptAssembler, AssembledPrompt]  # an assembler and its prompt


class NarrowPrompts:
    """The narrow prompts' assemblers, one per width (a document keeps the one it was pinned
    to: its windows are what its saved states hold). Worker thread only."""

    def __init__(self) -> None:
        self._widths: dict[tuple[int, int], PromptAssembler] = {}
        # The last placements' sizing (coderd/status `prewarm.sizing`): tokens the whole
        # prompt would evaluate, tokens affordable before the first key, the narrow prompt's,
        # and whether it was taken. Replaced whole (the event loop reads it).
        self.decisions: tuple[dict[str, object], ...] = ()

    def prompt_for(
        self,
        engine: Engine,
        ticket: Ticket,
        full: AssembledPrompt,
        slot: int,
        profile: SpeedProfile | None,
        context: ContextProvider | None,
        planned: Budgets,
        make: Callable[[Budgets, str], PromptAssembler],
        target_s: float,
        pinned: PromptAssembler | None = None,
    ) -> _Narrow | None:
        """A placement's narrow prompt and its assembler, when `full` (the document's whole
        prompt, with the `planned` budgets) would not be in by the first key, nor within
        `target_s` (completion.latency_target_ms: what any suggestion may take here); None
        when it would, when the narrow one spares less than half of it, or when nothing is
        known. `make`: an assembler for other budgets, by name (runner.py); `pinned`: the
        assembler the document is served by now (replan.py), kept when it is a narrow one."""
        if ticket.first_key_s is None or profile is None or not engine.prewarms:
            return None
        if not isinstance(engine, EstimatesEvaluation):
            return None
        affordable = affordable_tokens(profile, max(ticket.first_key_s, target_s))
        whole = engine.would_evaluate(full.prompt, slot)
        if whole <= affordable:
            return self._decided(whole, affordable, None, None)
        narrow = pinned if pinned in self._widths.values() else None
        if narrow is None:
            budgets = narrow_budgets(planned, affordable)
            width = (budgets.prefix, budgets.suffix)
            if width not in self._widths:  # each one a holder of its own (documents.py)
                self._widths[width] = make(budgets, f"narrow prompt {width[0]}/{width[1]}")
            narrow = self._widths[width]
        snap = ticket.snapshot
        # The whole prompt's block when its cells cost nothing more (a reopen: the saved state
        # holds it) or the prompt still fits; else none until the whole prompt is in.
        narrow.blocks.seed(snap.key, full.block)
        kept = self._assemble(narrow, snap, context)
        if full.block.ids:
            bare = replace(kept.prompt, context_ids=())
            cost = engine.would_evaluate(kept.prompt, slot)
            bare_cost = engine.would_evaluate(bare, slot)
            if cost > max(affordable, bare_cost):
                narrow.blocks.seed(snap.key, NO_BLOCK)
                kept, cost = self._assemble(narrow, snap, context), bare_cost
        else:
            cost = engine.would_evaluate(kept.prompt, slot)
        # A narrow prompt gives up context and most of the window: worth it only when the
        # wait it spares is most of the whole prompt's (a file gone back to, whose window a
        # saved state holds, costs little either way).
        return self._decided(whole, affordable, cost, (narrow, kept) if 2 * cost <= whole else None)

    def _decided(
        self, whole: int, affordable: int, cost: int | None, chosen: _Narrow | None
    ) -> _Narrow | None:
        decision: dict[str, object] = {"whole": whole, "affordable": affordable, "narrow": cost}
        decision["narrowed"] = chosen is not None
        self.decisions = (*self.decisions[-(DECISIONS_KEPT - 1) :], decision)
        return chosen

    @staticmethod
    def _assemble(
        narrow: PromptAssembler, snap: DocumentSnapshot, context: ContextProvider | None
    ) -> AssembledPrompt:
        return narrow.assemble(
            snap.key, snap.text, snap.offset, path=snap.path, context=context, off_path=True
        )
