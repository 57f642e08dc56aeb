"""The completion service: the seam between request handlers and the engine.

Handlers call `submit()` from any thread (the LSP event loop, the CLI) and get a `Ticket`: a
`concurrent.futures.Future` and a `CancelToken`. One worker thread owns the engine, loads the
model, and runs tickets one at a time. A newer ticket for the same document key cancels the
older one, whether it is still queued or already in the middle of prompt evaluation. In the
daemon (lsp/daemon.py) one service serves every editor connection: tickets carry their session,
which picks the workspace context and the KV slot (sessions.py) and the turn (scheduler.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import replace
from pathlib import Path

from coderd.completion.budget import Budgets, plan_for_machine
from coderd.completion.cache import CompletionCache
from coderd.completion.debounce import WAIT_GAPS, TypingRhythm
from coderd.completion.documents import DocumentStates
from coderd.completion.feedback import Feedback
from coderd.completion.scheduler import Scheduler
from coderd.completion.sessions import SessionTable
from coderd.completion.tickets import DocumentSnapshot, Outcome, Suggestion, Ticket
from coderd.config.settings import Settings
from coderd.context.provider import ContextProvider
from coderd.engine.base import (
    CancelToken,
    Engine,
    EngineError,
    GenerationLimits,
    ModelInfo,
    RequestStats,
)
from coderd.policy.plan import CursorContext, finalize, plan_completion, stop_index
from coderd.prompt.assembler import PromptAssembler

__all__ = [
    "CompletionService",
    "DocumentSnapshot",
    "EngineFactory",
    "Outcome",
    "Suggestion",
    "Ticket",
]

log = logging.getLogger(__name__)

EngineFactory = Callable[[Settings], Engine]


# The cancel reason of a request whose document was closed: what its run kept must go too.
CLOSED = "document closed"


class CompletionService:
    def __init__(
        self,
        settings: Settings,
        engine_factory: EngineFactory,
        context: ContextProvider | None = None,
        slots: int = 1,
    ) -> None:
        self.settings = settings
        self._engine_factory = engine_factory
        self.context = context  # standalone mode's; daemon sessions attach their own
        self.sessions = SessionTable(slots, context)
        self._engine: Engine | None = None
        # Prompt assemblers by prompt budgets: sessions configured alike share one (the
        # worker's: created there when a session's budgets are first needed).
        self._prompts: dict[tuple[int, int, int, int], tuple[Budgets, PromptAssembler]] = {}
        self.model_ready: Future[ModelInfo] = Future()
        self.last_stats: RequestStats | None = None
        c = settings.completion
        self.budgets = Budgets(c.prefix_tokens, c.suffix_tokens, settings.context.budget_tokens)
        self.feedback = Feedback()
        self.cache = CompletionCache()
        self._speculation = CancelToken()
        self._rhythm = TypingRhythm()
        # Every holder of per-document state, so that one forget() reaches them all.
        self.documents = DocumentStates(cache=self.cache, debounce=self._rhythm)
        self.speculations = 0  # finished ones: their results wait in the cache
        self._queue: Scheduler[Ticket] = Scheduler()
        self._latest: dict[str, Ticket] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="coderd-engine", daemon=True)

    # -- called from handler threads --------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._thread.is_alive() or self.model_ready.done()

    def start(self) -> None:
        self._thread.start()

    def edited(self, key: str) -> None:
        """The document was opened or changed: its typing rhythm decides the debounce."""
        self.documents.opened(key)
        self._rhythm.edited(key)

    def _drop_closed(self, snap: DocumentSnapshot) -> None:
        """What a run for a document closed meanwhile kept, here and in its context."""
        self.documents.forget(snap.key)
        context = self.sessions.context_for(snap.session)
        if context is not None and snap.path is not None:
            context.forget(Path(snap.path))

    def submit(self, snapshot: DocumentSnapshot) -> Ticket:
        limit = self.settings_for(snapshot.session).completion.debounce_ms_max / 1000
        ticket = Ticket(snapshot, debounce_s=self._rhythm.debounce(snapshot.key, limit))
        with self._lock:
            older = self._latest.get(snapshot.key)
            self._latest[snapshot.key] = ticket
        if older is not None:
            older.cancel.cancel("superseded")
        if self._answer_from_cache(ticket):
            return ticket  # typing through: speculation about accepting may go on
        self._queue.put(ticket)
        # After the put: the worker either sees this ticket or has already made the token we
        # cancel here (it makes the token first, then looks at the queue).
        self._speculation.cancel("a new request")
        return ticket

    def _answer_from_cache(self, ticket: Ticket) -> bool:
        """Typing through a suggestion (or asking again in place): no model call at all."""
        started = time.perf_counter()
        snap = ticket.snapshot
        hit = self.cache.lookup(snap.key, snap.text, snap.offset)
        if hit is None or (snap.candidates > 1 and len(hit.texts) < 2):
            return False
        stats = RequestStats(stop_reason="cache", total_ms=(time.perf_counter() - started) * 1000)
        self.last_stats = stats
        ticket.future.set_result(
            Outcome(
                text=hit.texts[0],
                stats=stats,
                suggestions=tuple(
                    Suggestion(i or self.feedback.offer(snap.key, t), t)
                    for t, i in zip(hit.texts, hit.ids or (None,) * len(hit.texts))
                ),
            )
        )
        return True

    def attach(
        self, session: str, context: ContextProvider | None, settings: Settings | None = None
    ) -> None:
        """A daemon session (editor connection) with its own workspace context and settings:
        its completion and context options apply to its requests; the model is everyone's."""
        self.sessions.attach(session, context, settings)

    def settings_for(self, session: str) -> Settings:
        return self.sessions.settings_for(session, self.settings)

    def detach(self, session: str) -> None:
        """The connection ended: cancel what it asked for, drop its documents' state, close
        its context, free its slot."""
        with self._lock:
            keys = [k for k, t in self._latest.items() if t.snapshot.session == session]
        for key in keys:
            self._cancel_latest(key)
        self.documents.forget_session(session)
        self._queue.forget_session(session)
        context = self.sessions.detach(session)
        if context is not None:
            context.close()

    def forget(self, key: str, session: str = "", path: str | None = None) -> None:
        """A document was closed: everything kept for it goes, here and in its session's
        workspace context (`path`: its file, when it is one)."""
        self._cancel_latest(key)
        # A speculation may be running for it; it is optional, so stop whichever runs.
        self._speculation.cancel(CLOSED)
        self.documents.closed(key)
        context = self.sessions.context_for(session)
        if context is not None and path is not None:
            context.forget(Path(path))

    def _cancel_latest(self, key: str) -> None:
        with self._lock:
            older = self._latest.pop(key, None)
        if older is not None:
            older.cancel.cancel(CLOSED)

    def document_counts(self) -> dict[str, int]:
        """Entries per holder of per-document state (coderd/status `documents`)."""
        with self._lock:
            latest = len(self._latest)
        return {**self.documents.counts(), "latest": latest}

    def status(self) -> dict[str, object]:
        state = "loading"
        info = None
        if self.model_ready.done():
            if self.model_ready.exception() is not None:
                state = "failed"
            else:
                info = self.model_ready.result()
                state = "prefix-only" if info.prefix_only else "ready"
        return {
            "state": state,
            "pid": os.getpid(),  # the process holding the model (the daemon's, when shared)
            "sessions": self.sessions.count,
            "budgets": self.budgets.__dict__,
            "model": info.name if info else None,
            "path": info.path if info else None,
            "last": self.last_stats.as_dict() if self.last_stats else None,
            "events": self.feedback.snapshot(),
            "documents": self.document_counts(),
            "cache": {
                "hits": self.cache.hits,
                "misses": self.cache.misses,
                "speculations": self.speculations,
            },
        }

    def shutdown(self) -> None:
        """Stop the worker without waiting for it: callers may be on the event loop."""
        with self._lock:
            pending = list(self._latest.values())
            self._latest.clear()
        for ticket in pending:
            ticket.cancel.cancel("shutdown")
        self._queue.close()
        if self.context is not None:
            self.context.close()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    # -- the worker thread ------------------------------------------------------------------

    def _work(self) -> None:
        self._load()
        while (ticket := self._queue.get()) is not None:
            if ticket.future.done():
                continue
            try:
                outcome = self._run(ticket)
            except Exception as exc:  # an engine failure must not kill the worker
                log.exception("completion failed")
                outcome = Outcome(status="error", message=str(exc))
            with self._lock:
                if self._latest.get(ticket.snapshot.key) is ticket:
                    del self._latest[ticket.snapshot.key]
            if self.documents.is_closed(
                ticket.snapshot.key
            ):  # closed while it ran: drop what it kept
                self._drop_closed(ticket.snapshot)
            try:
                ticket.future.set_result(outcome)
            except InvalidStateError:
                pass  # the handler gave up on it ($/cancelRequest) while it ran
            speculate = self.settings_for(ticket.snapshot.session).completion.speculate
            if outcome.suggestions and speculate:
                self._speculate(ticket.snapshot, outcome.suggestions[0].text)
        if self._engine is not None:
            self._engine.close()

    def _speculate(self, snap: DocumentSnapshot, suggestion: str) -> None:
        """While idle: what follows the suggestion if it is accepted whole, or its first line.

        Runs in the engine's speculation slot (the typing prompt's KV stays as it is); any new
        request cancels it. Results go to the completion cache, keyed by the accepted text.
        """
        first_line = suggestion.split("\n", 1)[0]
        for accepted in dict.fromkeys([suggestion, first_line]):
            if (
                not accepted.strip()
                or not self._queue.empty()
                or self.documents.is_closed(snap.key)
            ):
                return
            self._speculation = cancel = CancelToken()
            if not self._queue.empty():  # a request came in before the token was in place
                return
            # Only once the user has stopped for longer than their usual gap: while keys keep
            # coming it would only be cancelled, and its cancellation costs the next request.
            gap = self._rhythm.typing_gap(snap.key)
            if gap is not None and cancel.wait(WAIT_GAPS * gap):
                return
            ahead = replace(
                snap,
                text=snap.text[: snap.offset] + accepted + snap.text[snap.offset :],
                offset=snap.offset + len(accepted),
                candidates=1,
            )
            try:
                outcome = self._run(Ticket(ahead, cancel), speculative=True)
            except Exception:  # speculation is optional: never let it hurt the worker
                log.exception("speculation failed")
                return
            if self.documents.is_closed(
                snap.key
            ):  # closed before or while it ran: drop what it kept
                self._drop_closed(snap)
                return
            if outcome.status != "ok":
                return
            self.speculations += 1

    def _load(self) -> None:
        try:
            engine = self._engine_factory(self.settings)
        except EngineError as exc:
            log.error("%s", exc)
            self.model_ready.set_exception(exc)
            return
        except Exception as exc:  # unexpected: still report it once, keep serving empty results
            log.exception("model load failed")
            self.model_ready.set_exception(EngineError(f"model load failed: {exc}"))
            return
        self._engine = engine
        self.budgets, _ = self._prompts_for(engine, self.settings)
        for warning in engine.info.warnings:
            log.warning("%s", warning)
        log.info("model ready: %s", engine.info)
        self.model_ready.set_result(engine.info)

    def _prompts_for(self, engine: Engine, settings: Settings) -> tuple[Budgets, PromptAssembler]:
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

    def _run(self, ticket: Ticket, speculative: bool = False) -> Outcome:
        engine = self._engine
        if engine is None:
            return Outcome(status="no_model", message="no model loaded")
        if ticket.cancel.cancelled:  # checked again right before the model runs
            return Outcome(status="cancelled", message=ticket.cancel.reason)
        snap = ticket.snapshot
        settings = self.settings_for(snap.session)
        _, prompts = self._prompts_for(engine, settings)
        assembled = prompts.assemble(
            snap.key,
            snap.text,
            snap.offset,
            path=snap.path,
            context=self.sessions.context_for(snap.session),
            speculative=speculative,
        )
        built = assembled.built
        cursor = CursorContext(
            prefix=built.prefix_text, suffix=built.suffix_text, language_id=snap.language_id
        )
        c = settings.completion
        plan = plan_completion(cursor, max_lines=c.max_lines)
        limits = GenerationLimits(
            max_tokens=c.max_tokens,
            time_budget_s=c.time_budget_ms / 1000,
            stop_strings=tuple(c.stop),
            stop_check=lambda text: stop_index(plan, cursor, text),
            candidates=max(1, snap.candidates),
            start_delay_s=0.0 if speculative or snap.candidates > 1 else ticket.debounce_s,
        )
        slot = self.sessions.slot_for(snap.session, engine.forget_slot)
        completion = engine.complete(
            assembled.prompt, limits, ticket.cancel, speculative=speculative, slot=slot
        )
        if not speculative:
            self.last_stats = completion.stats
        outcome = Outcome(
            stats=completion.stats,
            prompt_ids=tuple(completion.prompt_ids),
            pieces=tuple((name, tuple(ids)) for name, ids in completion.pieces),
            prefix_text=built.prefix_text,
            suffix_text=built.suffix_text,
            mode=plan.mode.value,
            context_chunks=assembled.context_chunks,
            context_text=assembled.context_text,
        )
        if completion.cancelled or ticket.cancel.cancelled:
            outcome.status, outcome.message = "cancelled", ticket.cancel.reason
            return outcome
        if completion.stats.generated_tokens:  # a whole decode: what the next one will cost
            self._rhythm.decoded(completion.stats.generate_ms / 1000)
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
