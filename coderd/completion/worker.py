"""The completion service's worker thread (`coderd-engine`, mixed into CompletionService):
it loads the model, then runs tickets one at a time; the only thread that calls the engine.

A request's ticket is run, answered, and may leave a speculation (speculation.py) or a context
switch (a new block evaluated by a prewarm) behind it; a prewarm ticket evaluates its prompt
with no decode once the engine is idle (prewarm.py). Whatever an engine raises, the worker
answers the ticket and carries on. At the end it keeps what a restart should find (warm.py).
In a server (`paced_collection`), Python's full garbage collections run here, once the user
has paused with no ticket queued, not inside a request's build (coderd/system/collector.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError

from coderd.completion import warm
from coderd.completion.budget import Budgets
from coderd.completion.cache import CompletionCache
from coderd.completion.debounce import TypingRhythm
from coderd.completion.documents import DocumentStates
from coderd.completion.feedback import Feedback
from coderd.completion.prewarm import Prewarms
from coderd.completion.runner import RequestRunner
from coderd.completion.scheduler import Scheduler
from coderd.completion.sessions import SessionTable
from coderd.completion.speculation import Speculation
from coderd.completion.tickets import DocumentSnapshot, Outcome, Ticket
from coderd.config.settings import Settings
from coderd.engine.base import Engine, EngineError, ModelInfo, RequestStats
from coderd.prompt.blocks import ContextBlocks
from coderd.system.collector import IdleCollector

log = logging.getLogger("coderd.completion.service")  # the service's log lines, as before

EngineFactory = Callable[[Settings], Engine]
WarmStep = Callable[[Engine, CompletionCache, ContextBlocks], None]  # warm.py save, restore


class EngineWorker:
    """The attributes are CompletionService's (service.py __init__), declared here so that
    the worker is checked against them."""

    settings: Settings
    model_ready: Future[ModelInfo]
    budgets: Budgets
    last_stats: RequestStats | None
    cache: CompletionCache
    documents: DocumentStates
    prewarms: Prewarms
    _engine: Engine | None
    _engine_factory: EngineFactory
    _keep_warm: bool
    _runner: RequestRunner
    _queue: Scheduler[Ticket]
    _latest: dict[str, Ticket]
    _lock: threading.Lock
    _rhythm: TypingRhythm
    _speculation: Speculation
    settings_for: Callable[[str], Settings]
    prewarm: Callable[..., Ticket]
    _drop_closed: Callable[[DocumentSnapshot], None]
    sessions: SessionTable
    feedback: Feedback
    document_counts: Callable[[], dict[str, int]]
    collector: IdleCollector

    def _work(self) -> None:
        self.collector.install()
        try:
            self._serve()
        finally:
            self.collector.uninstall()

    def _serve(self) -> None:
        self._load()
        last: Ticket | None = None
        while (ticket := self._next(last)) is not None:
            last = ticket
            if ticket.future.done():
                continue
            if ticket.prewarm:
                self._prewarm(ticket)
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
            # A newer prompt waits (a new block, the whole one after a narrow first prompt):
            # the next pause goes to it, not to a speculation on the older prompt. Both wait
            # for the pause and a speculation runs here, on this thread: it held the engine
            # through every pause of a bursty typist, and the newer prompt never started
            # (bench/README.md, session 12).
            switching = outcome.status == "ok" and outcome.prompt_pending
            if switching:
                self.switch_prompt(ticket.snapshot)
            speculate = self.settings_for(ticket.snapshot.session).completion.speculate
            if outcome.suggestions and speculate and not switching:
                self._speculation.after(
                    ticket.snapshot,
                    outcome.suggestions[0].text,
                    run=lambda t: self._run(t, speculative=True),
                    requests_waiting=self._queue.requests_waiting,
                    closed=self._closed,
                )
        if self._engine is not None:
            self._runner.flush_speed(self._engine)
            if self._keep_warm:
                self._optional(warm.save, "keeping the warm state")
            self._engine.close()

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
            "n_ctx": info.n_ctx if info else None,  # KV positions allocated (runner.fit_cache)
            "last": self.last_stats.as_dict() if self.last_stats else None,
            "events": self.feedback.snapshot(),
            "documents": self.document_counts(),
            "cache": {
                "hits": self.cache.hits,
                "misses": self.cache.misses,
                "speculations": self._speculation.count,
            },
            "prewarm": {**self.prewarms.status(), "sizing": self._runner.sizing()},
            "collector": self.collector.status(),
        }

    def _next(self, last: Ticket | None) -> Ticket | None:
        """The next ticket. Where none is queued and a full collection is due, it runs once
        the user has paused on the last ticket's document (debounce.py `until_paused`, what
        background work a key would cancel waits for) unless a ticket comes first: not in
        the answer's way to the editor while keys come, nor in the next key's."""
        if last is not None and self._queue.empty() and self.collector.due():
            wait_s = self._rhythm.until_paused(last.snapshot.key)
            if wait_s is not None:
                ticket = self._queue.get(timeout=wait_s) if wait_s > 0 else None
                if ticket is not None:
                    return ticket
                if self._queue.empty():
                    self.collector.idle()
        return self._queue.get()

    def _optional(self, step: WarmStep, what: str) -> None:
        """A warm-start step: whatever fails, the daemon starts or stops as without it."""
        if self._engine is None:
            return
        try:
            # The context blocks of the daemon's own settings' prompts (blocks.py).
            _, prompts = self._runner.prompts_for(self._engine, self.settings)
            step(self._engine, self.cache, prompts.blocks)
        except Exception:
            log.exception("%s failed", what)

    def switch_prompt(self, snap: DocumentSnapshot) -> bool:
        """A newer prompt waits (a new context block, re-planned budgets), or may (the index
        has just finished its first build: lsp/server/warming.py): evaluate it in the
        background once the user pauses (debounce.py `until_paused`): while keys keep coming
        it would only be cancelled, each time after a prompt chunk the key waits for. With no
        rhythm known yet it waits for the next key, whose outcome asks again (False)."""
        wait_s = self._rhythm.until_paused(snap.key)
        if wait_s is None:
            return False
        self.prewarm(snap, wait_s=wait_s, switch=True)
        return True

    def _prewarm(self, ticket: Ticket) -> None:
        placement = ticket.first_key_s is not None
        self.prewarms.running = (ticket.snapshot.key, ticket.cancel, placement)
        if self._queue.requests_waiting():  # one came in before the token was in place
            ticket.cancel.cancel("a new request")
        ticket.cancel.wait(ticket.debounce_s)
        try:
            engine = self._engine
            if engine is not None and not engine.prewarms:  # a billed API: not ahead of the user
                outcome = Outcome(status="skipped", message="the engine does not prewarm")
            else:
                outcome = self._run(ticket)
        except Exception as exc:  # a prewarm is optional: never let it hurt the worker
            log.exception("prewarm failed")
            outcome = Outcome(status="error", message=str(exc))
        self.prewarms.finished(ticket, outcome)
        if outcome.status == "ok" and outcome.narrowed:  # the whole one once the key is late
            late = ticket.submitted + self.prewarms.first_keys.paused_s() - time.perf_counter()
            self.prewarm(ticket.snapshot, wait_s=max(0.0, late))
        if self.documents.is_closed(ticket.snapshot.key):
            self._drop_closed(ticket.snapshot)
        ticket.future.set_result(outcome)

    def _closed(self, snap: DocumentSnapshot) -> bool:
        """Closed before or while a run for it: drop what the run kept."""
        if not self.documents.is_closed(snap.key):
            return False
        self._drop_closed(snap)
        return True

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
        self.budgets, _ = self._runner.prompts_for(engine, self.settings)
        self._runner.fit_cache(engine, self.settings)  # before anything is in the cache
        if self._keep_warm:
            self._optional(warm.restore, "restoring the warm state")
        for warning in engine.info.warnings:
            log.warning("%s", warning)
        log.info("model ready: %s", engine.info)
        self.model_ready.set_result(engine.info)

    def _run(self, ticket: Ticket, speculative: bool = False) -> Outcome:
        engine = self._engine
        if engine is None:
            return Outcome(status="no_model", message="no model loaded")
        outcome = self._runner.run(engine, ticket, speculative)
        self.budgets = self._runner.budgets(self.settings) or self.budgets  # healed: re-planned
        if not speculative and not ticket.prewarm and outcome.stats is not None:
            self.last_stats = outcome.stats
        return outcome
