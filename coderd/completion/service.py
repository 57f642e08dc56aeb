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
import threading
import time
from concurrent.futures import Future
from pathlib import Path

from coderd.completion.budget import configured_budgets
from coderd.completion.cache import CompletionCache
from coderd.completion.debounce import TypingRhythm
from coderd.completion.documents import DocumentStates
from coderd.completion.feedback import Feedback
from coderd.completion.prewarm import Prewarms
from coderd.completion.runner import RequestRunner
from coderd.completion.scheduler import Scheduler
from coderd.completion.sessions import SessionTable
from coderd.completion.speculation import Speculation
from coderd.completion.tickets import DocumentSnapshot, Outcome, Suggestion, Ticket
from coderd.completion.worker import EngineFactory, EngineWorker
from coderd.config.settings import Settings
from coderd.context.provider import ContextProvider
from coderd.engine.base import Engine, ModelInfo, RequestStats
from coderd.system.collector import IdleCollector
from coderd.system.memory import FreedMemory, glibc_malloc_trim

__all__ = [
    "CompletionService",
    "DocumentSnapshot",
    "EngineFactory",
    "Outcome",
    "Suggestion",
    "Ticket",
]

log = logging.getLogger(__name__)

# The cancel reason of a request whose document was closed: what its run kept must go too.
CLOSED = "document closed"


class CompletionService(EngineWorker):
    def __init__(
        self,
        settings: Settings,
        engine_factory: EngineFactory,
        context: ContextProvider | None = None,
        slots: int = 1,
        keep_warm: bool = False,
        paced_collection: bool = False,
    ) -> None:
        """`keep_warm`: restore what the last worker for this model kept, keep the cache and
        the hottest KV states when it ends (warm.py; the daemon's). `paced_collection`: full
        garbage collections wait for an idle worker (a server's: system/collector.py)."""
        self.settings = settings
        self._keep_warm = keep_warm
        self._engine_factory = engine_factory
        self.context = context  # standalone mode's; daemon sessions attach their own
        self.sessions = SessionTable(slots, context)
        self._engine: Engine | None = None
        self.model_ready: Future[ModelInfo] = Future()
        self.last_stats: RequestStats | None = None
        self.budgets = configured_budgets(settings)
        self.feedback = Feedback()
        self.cache = CompletionCache()
        self.freed_memory = FreedMemory(glibc_malloc_trim())
        self.collector = IdleCollector(paced=paced_collection)
        self._rhythm = TypingRhythm()
        self._speculation = Speculation(self._rhythm)
        # Every holder of per-document state, so that one forget() reaches them all.
        self.prewarms = Prewarms()
        self.documents = DocumentStates(
            cache=self.cache, debounce=self._rhythm, prewarm=self.prewarms
        )
        self._runner = RequestRunner(
            self.sessions,
            self.settings_for,
            self.documents,
            self.cache,
            self.feedback,
            self._rhythm,
        )
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
        if first_key := self.prewarms.first_keys.requested(snapshot.key):
            # The first key since the user went there: its prompt, if the placement's prewarm
            # did not get it in, is sized like one (first_prompt.py).
            ticket.first_key_s = 0.0
        if self._answer_from_cache(ticket):
            # Typing through, or asking again in place: speculation about accepting and the
            # document's prewarm (a new block evaluated in the background) may go on.
            self.prewarms.requested(snapshot.session, snapshot.key, answered=True)
            return ticket
        warming = self.prewarms.requested(snapshot.session, snapshot.key)
        if warming is not None:  # the request evaluates the same prompt, sooner
            warming.cancel.cancel("a request")
        self._queue.put(ticket)
        # After the put: the worker either sees this ticket or has already made the token we
        # cancel here (it makes the token first, then looks at the queue).
        self._speculation.token.cancel("a new request")
        # A chunk of use to this request (or, past the first key, to the document's newer
        # prompt, which keys closer than a chunk would starve) finishes; another document's,
        # or the whole prompt following a narrow one at the first key, stops inside its chunk.
        warming_key, warming_token, placement = self.prewarms.running
        if warming_key == snapshot.key and (placement or not first_key):
            warming_token.cancel("a new request")
        else:
            warming_token.interrupt("a new request")
        return ticket

    def moved(
        self, snapshot: DocumentSnapshot, line: int | None, opened: bool, cursor: bool = False
    ) -> bool:
        """The user opened `snapshot`'s document (`opened`), edited it at `line`, or (`cursor`)
        a client said the cursor went to `line`: True when that is a move the document's
        prompt should be prewarmed for (prewarm.py)."""
        reason = self.prewarms.moved(snapshot.session, snapshot.key, line, opened, cursor)
        return reason is not None

    def prewarm(
        self,
        snapshot: DocumentSnapshot,
        wait_s: float = 0.0,
        *,
        user_moved: bool = False,
        switch: bool = False,
    ) -> Ticket:
        """Evaluate `snapshot`'s prompt into the KV cache while the engine is idle (decoding
        nothing), after `wait_s` more of idleness; any request cancels it. Its future says how
        it ended. `user_moved`: the user opened, focused or jumped to it; a speculation still
        running is for where they were, and goes (on a CPU it held the engine for seconds: the
        open's prewarm never started before the first key, bench/README.md, session 8).
        `switch`: it evaluates the newer prompt the document waits for (tickets.py)."""
        ticket = Ticket(snapshot, debounce_s=wait_s, prewarm=True, switch=switch)
        if user_moved:  # a placement: its first prompt fits the time before the first key
            ticket.first_key_s = self.prewarms.first_keys.expected_s()
            self.prewarms.first_keys.placed(snapshot.key, ticket.submitted)
        for older in self.prewarms.replace(ticket):
            older.cancel.cancel("superseded")
        self._queue.put(ticket)
        if user_moved:  # after the put: the handshake of submit() (speculation.py)
            self._speculation.token.cancel("the user moved")
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
        for warming in self.prewarms.pop_session(session):
            warming.cancel.cancel(CLOSED)
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
        self._speculation.token.cancel(CLOSED)
        self.documents.closed(key)
        context = self.sessions.context_for(session)
        cleared = None
        if context is not None and path is not None:
            cleared = context.forget(Path(path))
        self.freed_memory.release_after(cleared)

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

    def shutdown(self) -> None:
        """Stop the worker without waiting for it: callers may be on the event loop."""
        with self._lock:
            pending = list(self._latest.values())
            self._latest.clear()
        for ticket in pending + self.prewarms.pop_all():
            ticket.cancel.cancel("shutdown")
        # And the speculation running, if any: left to decode on, it kept the worker (and
        # llama.cpp) busy while a short-lived caller such as `coderd complete` exited.
        self._speculation.token.cancel("shutdown")
        self._queue.close()
        if self.context is not None:
            self.context.close()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
