"""One ticket through the model: its prompt assembled, the engine called, the answer finished.

`RequestRunner` is the worker thread's (service.py `coderd-engine`), like the engine it calls.
It owns the prompt assemblers (one per distinct prompt budgets: sessions configured alike
share one) and turns a ticket into an `Outcome`: an ordinary request decodes and finishes its
suggestions, a speculation stores them in the completion cache, and a prewarm (prewarm.py)
only evaluates its prompt into the KV cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from coderd.completion.budget import Budgets, plan_for_machine
from coderd.completion.cache import CompletionCache
from coderd.completion.debounce import TypingRhythm
from coderd.completion.documents import DocumentStates
from coderd.completion.feedback import Feedback
from coderd.completion.sessions import SessionTable
from coderd.completion.tickets import Outcome, Suggestion, Ticket
from coderd.config.settings import Settings
from coderd.engine.base import Engine, GenerationLimits
from coderd.policy.plan import CursorContext, finalize, plan_completion, stop_index
from coderd.prompt.assembler import PromptAssembler

log = logging.getLogger(__name__)


class RequestRunner:
    def __init__(
        self,
        sessions: SessionTable,
        settings_for: Callable[[str], Settings],
        documents: DocumentStates,
        cache: CompletionCache,
        feedback: Feedback,
        rhythm: TypingRhythm,
    ) -> None:
        self.sessions = sessions
        self.settings_for = settings_for
        self.documents = documents
        self.cache = cache
        self.feedback = feedback
        self.rhythm = rhythm
        # Prompt assemblers by prompt budgets (created when a session's budgets are first
        # needed, on the worker thread).
        self._prompts: dict[tuple[int, int, int, int], tuple[Budgets, PromptAssembler]] = {}

    def prompts_for(self, engine: Engine, settings: Settings) -> tuple[Budgets, PromptAssembler]:
        """The budgets and assembler for these settings, sized to this machine's measured
        speed (budget.py; measured once, then read from its cache)."""
        c = settings.completion
        key = (
            c.prefix_tokens,
            c.suffix_tokens,
            settings.context.budget_tokens,
            c.latency_target_ms,
        )
        found = self._prompts.get(key)
        if found is None:
            budgets = plan_for_machine(engine, settings)
            prompts = PromptAssembler(
                engine.tokenize,
                engine.info,
                prefix_tokens=budgets.prefix,
                suffix_tokens=budgets.suffix,
                context_tokens=budgets.context,
            )
            found = self._prompts[key] = (budgets, prompts)
            # "prompt" for the first (the daemon's own settings), then one per other budget.
            name = "prompt" if len(self._prompts) == 1 else f"prompt {len(self._prompts)}"
            self.documents.add(name, prompts)
        return found

    def run(self, engine: Engine, ticket: Ticket, speculative: bool = False) -> Outcome:
        if ticket.cancel.cancelled:  # checked again right before the model runs
            return Outcome(status="cancelled", message=ticket.cancel.reason)
        snap = ticket.snapshot
        settings = self.settings_for(snap.session)
        _, prompts = self.prompts_for(engine, settings)
        assembled = prompts.assemble(
            snap.key,
            snap.text,
            snap.offset,
            path=snap.path,
            context=self.sessions.context_for(snap.session),
            speculative=speculative,
            background=ticket.prewarm,
        )
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
            start_delay_s=0.0
            if speculative or ticket.prewarm or snap.candidates > 1
            else ticket.debounce_s,
        )
        slot = self.sessions.slot_for(snap.session, engine.forget_slot)
        completion = engine.complete(
            assembled.prompt, limits, ticket.cancel, speculative=speculative, slot=slot
        )
        completion.stats.prewarm = ticket.prewarm  # whatever the engine made of max_tokens 0
        outcome = Outcome(
            stats=completion.stats,
            prompt_ids=tuple(completion.prompt_ids),
            pieces=tuple((name, tuple(ids)) for name, ids in completion.pieces),
            prefix_text=built.prefix_text,
            suffix_text=built.suffix_text,
            mode=plan.mode.value,
            context_chunks=assembled.context_chunks,
            context_text=assembled.context_text,
            context_pending=assembled.block_pending and not speculative,
        )
        if completion.cancelled or ticket.cancel.cancelled:
            outcome.status, outcome.message = "cancelled", ticket.cancel.reason
            return outcome
        if ticket.prewarm:  # in the cache now: nothing to decode or finish
            prompts.blocks.evaluated(snap.key, assembled.block)  # requests take its block now
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
        if not speculative:  # ids are issued when a suggestion is handed out
            outcome.suggestions = tuple(
                Suggestion(self.feedback.offer(snap.key, t), t) for t in texts
            )
        self.cache.store(
            snap.key, snap.text, snap.offset, tuple(texts), tuple(s.id for s in outcome.suggestions)
        )
        outcome.text = texts[0] if texts else ""
        log.debug("completion %s: %r %s", snap.key, texts, completion.stats.as_dict())
        return outcome
