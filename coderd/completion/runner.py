"""One ticket through the model: its prompt assembled, the engine called, the answer finished.

`RequestRunner` is the worker thread's (service.py `coderd-engine`), like the engine it calls.
It owns the prompt assemblers (one per distinct prompt budgets: sessions configured alike
share one) and turns a ticket into an `Outcome`: an ordinary request decodes and finishes its
suggestions, a speculation stores them in the completion cache, and a prewarm (prewarm.py)
only evaluates its prompt into the KV cache.

The budgets come from the machine's measured speed (budget.py), and every finished run checks
that measurement (speed_profile.py SpeedWatch): when requests run clearly faster or slower than
it says (it was taken under load, or the load came later), the budgets are planned again for
the following requests and the engine keeps the healed profile (speed.json), at most once a
`KEEP_INTERVAL_S` (the rest at the next chance or when the worker ends: `flush_speed`). The
documents being typed in keep their old prompt until a prewarm has evaluated the new one
(replan.py): a re-plan never costs a key a whole prompt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

from coderd.completion.budget import (
    Budgets,
    cache_depth,
    configured_budgets,
    measured_profile,
    plan_budgets,
    plan_for_machine,
)
from coderd.completion.cache import CompletionCache
from coderd.completion.debounce import TypingRhythm
from coderd.completion.documents import DocumentStates
from coderd.completion.feedback import Feedback
from coderd.completion.first_prompt import NarrowPrompts
from coderd.completion.replan import RetiredPrompts
from coderd.completion.sessions import SessionTable
from coderd.completion.tickets import Outcome, Suggestion, Ticket
from coderd.config.settings import Settings
from coderd.engine.base import Engine, GenerationLimits, RequestStats, SizesCache
from coderd.engine.speed_profile import KeepsSpeed, SpeedProfile, SpeedWatch
from coderd.policy.finish import finalize
from coderd.policy.plan import CursorContext, plan_completion, stop_index
from coderd.policy.syntax_check import buffer_tree, check_suggestions
from coderd.prompt.assembler import PromptAssembler

log = logging.getLogger(__name__)

# speed.json is one file for every model and daemon, rewritten whole; a heal needs a window of
# requests (SpeedWatch), but a load that comes and goes could still heal back and forth every
# few seconds. A minute bounds the writes and still keeps a heal long before an idle exit.
KEEP_INTERVAL_S = 60.0

PromptsKey = tuple[Budgets, int]  # the configured budgets, the latency target


class RequestRunner:
    def __init__(
        self,
        sessions: SessionTable,
        settings_for: Callable[[str], Settings],
        documents: DocumentStates,
        cache: CompletionCache,
        feedback: Feedback,
        rhythm: TypingRhythm,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.settings_for = settings_for
        self.documents = documents
        self.cache = cache
        self.feedback = feedback
        self.rhythm = rhythm
        # Prompt assemblers by prompt budgets (created when a session's budgets are first
        # needed, on the worker thread), with their name in `documents`.
        self._prompts: dict[PromptsKey, tuple[Budgets, PromptAssembler, str]] = {}
        self._speed: SpeedWatch | None = None  # the measured profile, once budgets needed it
        self._clock = clock
        self._kept_at: float | None = None
        self._unkept: SpeedProfile | None = None  # healed, not yet written (KEEP_INTERVAL_S)
        self._retired = RetiredPrompts()  # documents still typed into with older budgets
        self._narrow = NarrowPrompts()  # placements' first prompts, on a slow machine
        documents.add("retired prompts", self._retired)
        self._max_depth = 0  # positions the KV cache was sized for per prompt (0: not sized)

    @staticmethod
    def _key(settings: Settings) -> PromptsKey:
        return configured_budgets(settings), settings.completion.latency_target_ms

    def sizing(self) -> list[dict[str, object]]:  # coderd/status: placements' first prompts
        return list(self._narrow.decisions)

    def budgets(self, settings: Settings) -> Budgets | None:
        """The budgets planned for these settings, if any request needed them yet."""
        found = self._prompts.get(self._key(settings))
        return found[0] if found else None

    def prompts_for(self, engine: Engine, settings: Settings) -> tuple[Budgets, PromptAssembler]:
        """The budgets and assembler for these settings, sized to this machine's speed
        (budget.py; measured once, then read from its cache, and healed by requests)."""
        key = self._key(settings)
        found = self._prompts.get(key)
        if found is None:
            if self._speed is None and (profile := measured_profile(engine, settings)):
                self._speed = SpeedWatch(profile)
            healed = self._speed.profile if self._speed else None
            budgets = plan_for_machine(engine, settings, healed, self._max_depth)
            # "prompt" for the first (the daemon's own settings), then one per other budget.
            name = "prompt" if not self._prompts else f"prompt {len(self._prompts) + 1}"
            found = self._prompts[key] = (budgets, self._assembler(engine, budgets, name), name)
        return found[0], found[1]

    def fit_cache(self, engine: Engine, settings: Settings) -> None:
        """Size the engine's KV cache to the budgets planned for `settings` (at load, before
        any prompt is in it); from then on plans stay within it (budget.py `cache_depth`)."""
        if not isinstance(engine, SizesCache):
            return
        c = settings.completion
        budgets, _ = self.prompts_for(engine, settings)
        depth = cache_depth(budgets, configured_budgets(settings))
        # A suggestion may run to max_tokens (a prompt's total counts a typical one), and
        # speculation decodes the next one after it.
        allocated = engine.fit_cache(depth + c.max_tokens, 2 * c.max_tokens)
        self._max_depth = depth
        log.info("KV cache: %d positions, for prompts of up to %d", allocated, depth)

    def _assembler(self, engine: Engine, budgets: Budgets, name: str) -> PromptAssembler:
        prompts = PromptAssembler(
            engine.tokenize,
            engine.info,
            prefix_tokens=budgets.prefix,
            suffix_tokens=budgets.suffix,
            context_tokens=budgets.context,
            receiver_tokens=budgets.receiver,
        )
        self.documents.add(name, prompts)  # replaces the one of older budgets
        return prompts

    def observe(self, engine: Engine, stats: RequestStats) -> None:
        """A run finished: check the speed the budgets were planned with."""
        healed = self._speed.observe(stats) if self._speed is not None else None
        if healed is not None:
            log.info("requests heal this machine's speed profile: %s", healed)
            for key, (old, _, name) in list(self._prompts.items()):
                configured, target = key
                budgets = plan_budgets(configured, healed, target, self._max_depth)
                if budgets.sizes != old.sizes:
                    # An engine that never prewarms would keep them on the old ones for good.
                    pinned = self._retired.pin(self._prompts[key][1]) if engine.prewarms else 0
                    log.info(
                        "prompt budgets re-planned: %s (%d documents switch in the background)",
                        budgets,
                        pinned,
                    )
                    self._prompts[key] = (budgets, self._assembler(engine, budgets, name), name)
            self._unkept = healed
        self._keep(engine, force=False)

    def flush_speed(self, engine: Engine) -> None:
        """The worker ends: keep a healed profile the interval held back."""
        self._keep(engine, force=True)

    def _keep(self, engine: Engine, force: bool) -> None:
        if self._unkept is None or not isinstance(engine, KeepsSpeed):
            return
        now = self._clock()
        if not force and self._kept_at is not None and now - self._kept_at < KEEP_INTERVAL_S:
            return
        try:
            engine.keep_speed_profile(self._unkept)
        except Exception:  # optional: the next heal or start measures again
            log.exception("could not keep the healed speed profile")
        self._kept_at, self._unkept = now, None

    def run(self, engine: Engine, ticket: Ticket, speculative: bool = False) -> Outcome:
        if ticket.cancel.cancelled:  # checked again right before the model runs
            return Outcome(status="cancelled", message=ticket.cancel.reason)
        started = time.perf_counter()
        snap = ticket.snapshot
        settings = self.settings_for(snap.session)
        planned, prompts = self.prompts_for(engine, settings)
        # A document typed into before a re-plan, or since a narrow first prompt, keeps its
        # prompt; a prewarm evaluates the current one.
        retired = not ticket.prewarm and self._retired.pinned(snap.key)
        if retired:
            prompts = self._retired.serving(snap.key, prompts)
        slot = self.sessions.slot_for(snap.session, engine.forget_slot)
        assembled = prompts.assemble(
            snap.key,
            snap.text,
            snap.offset,
            path=snap.path,
            context=self.sessions.context_for(snap.session),
            speculative=speculative,
            # An engine that does not prewarm never evaluates a new block in the background:
            # its next request takes it (blocks.py). A prewarm for where the user went keeps
            # the block in the cache or the saved state: going back to a file must not cost
            # its whole prompt because visiting others changed what retrieval gives there.
            background=(ticket.prewarm and ticket.switch) or not engine.prewarms,
            off_path=ticket.prewarm,
        )
        profile = self._speed.profile if self._speed is not None else None
        make = partial(self._assembler, engine)
        context = self.sessions.context_for(snap.session)
        target_s = settings.completion.latency_target_ms / 1000
        pinned = self._retired.pinned_to(snap.key)
        narrow = self._narrow.prompt_for(
            engine, ticket, assembled, slot, profile, context, planned, make, target_s, pinned
        )
        if narrow is not None:  # not in by the first key: a narrow one first (first_prompt.py)
            prompts, assembled = narrow
            self._retired.pin_key(snap.key, prompts)
        built = assembled.built
        cursor = CursorContext(
            prefix=built.prefix_text, suffix=built.suffix_text, language_id=snap.language_id
        )
        c = settings.completion
        plan = plan_completion(cursor, max_lines=c.max_lines)
        limits = GenerationLimits(
            max_tokens=0 if ticket.prewarm else c.max_tokens,
            time_budget_s=c.time_budget_ms / 1000,
            stop_strings=tuple(c.stop),
            stop_check=lambda text: stop_index(plan, cursor, text),
            candidates=max(1, snap.candidates),
            refresh_suffix=ticket.switch,  # the prewarm at a pause: the stale suffix too
            start_delay_s=0.0
            if speculative or ticket.prewarm or snap.candidates > 1
            else ticket.debounce_s,
        )
        assembled_at = time.perf_counter()
        completion = engine.complete(
            assembled.prompt, limits, ticket.cancel, speculative=speculative, slot=slot
        )
        engine_done = time.perf_counter()
        completion.stats.prewarm = ticket.prewarm  # whatever the engine made of max_tokens 0
        # A key let the suffix's KV drift past the refresh bound (kv_plan.py): a prewarm at
        # the next pause evaluates it again, off the typing path.
        stale_suffix = completion.stats.suffix_stale
        completion.stats.queued_ms = (started - ticket.submitted) * 1000
        completion.stats.assemble_ms = (assembled_at - started) * 1000
        outcome = Outcome(
            stats=completion.stats,
            prompt_ids=tuple(completion.prompt_ids),
            pieces=tuple((name, tuple(ids)) for name, ids in completion.pieces),
            prefix_text=built.prefix_text,
            suffix_text=built.suffix_text,
            mode=plan.mode.value,
            context_chunks=assembled.context_chunks,
            context_text=assembled.context_text,
            hint_text=assembled.hint.text if assembled.hint else "",
            prompt_pending=(assembled.block_pending or retired or stale_suffix or bool(narrow))
            and not speculative,
            narrowed=narrow is not None,
        )
        if completion.cancelled or ticket.cancel.cancelled:
            outcome.status, outcome.message = "cancelled", ticket.cancel.reason
            return outcome
        self.observe(engine, completion.stats)
        if not speculative:  # the prompt is in the cache whole: requests may take its block
            prompts.blocks.evaluated(snap.key, assembled.block)
        if ticket.prewarm:  # nothing to decode or finish
            if narrow is None:  # the current budgets' prompt is in: requests take it
                self._retired.release(snap.key)
            return outcome
        if completion.stats.generated_tokens:  # a whole decode: what the next one will cost
            self.rhythm.decoded(completion.stats.generate_ms / 1000)
        if completion.stats.stop_reason in ("error", "timeout"):  # the remote backend's failures
            outcome.status = "error"
            outcome.message = str(engine.last_error or completion.stats.stop_reason)
            return outcome
        texts: list[str] = []
        for raw in (completion.text, *completion.alternatives):
            text = finalize(plan, cursor, raw)
            if text and text not in texts:
                texts.append(text)
        if c.syntax_check:  # #16, the check before display: cut or drop what breaks the parse
            context = self.sessions.context_for(snap.session)
            base = buffer_tree(context, snap.path)  # the index's parse of the buffer, if any
            texts = check_suggestions(
                texts, snap.text, snap.offset, snap.language_id, snap.path, base
            )
        if not speculative:  # ids are issued when a suggestion is handed out
            outcome.suggestions = tuple(
                Suggestion(self.feedback.offer(snap.key, t), t) for t in texts
            )
        self.cache.store(
            snap.key, snap.text, snap.offset, tuple(texts), tuple(s.id for s in outcome.suggestions)
        )
        outcome.text = texts[0] if texts else ""
        completion.stats.finish_ms = (time.perf_counter() - engine_done) * 1000
        log.debug("completion %s: %r %s", snap.key, texts, completion.stats.as_dict())
        return outcome
