"""Prewarms: a document's prompt evaluated into its KV sequence before the user's first key.

The first request in a document otherwise evaluates its whole prompt (seconds on a CPU). A
prewarm evaluates that prompt while the engine is idle and decodes nothing (llama.vim sends
`n_predict: 0` for the same reason), so the first key evaluates only what changed since. It is
the lowest-priority work (scheduler.py): it runs only while no request waits, and any request
cancels it; a cancel between prompt chunks keeps the chunks evaluated in the cache
(decode_run.py `evaluate`), so the request that cancelled it, when it is for the same document,
starts from there. A cancelled prewarm is not queued again.

When one is made (the LSP layer reports the events: lsp/server/warming.py):

- **opened**: didOpen. LSP tells the server no cursor before a request, so the prompt is the
  one at the end of the document: appending is where a fresh file is typed into, and a file
  shorter than the prefix window shares its whole prompt head with any cursor in it. It is
  made once the index has parsed the buffer, so the prompt has the file's repository context;
  where a coderd client said meanwhile where the cursor is, it is made there
  (lsp/server/warming.py).
- **focus**: an edit in another document than the one the session last edited or asked about.
- **jump**: an edit more than one line away from the document's last edit (typing on a line,
  or a new line, is never a jump). The prompt is the one at the end of the edit.
- **cursor**: coderd's editor clients say where the cursor went (`coderd/didMoveCursor`,
  lsp/handlers/cursor.py); a move to another document or more than a line away is a focus
  or a jump as above, prewarmed at the cursor, so the first key there finds its prompt in.
- **context** (worker.py `switch_prompt`): a request's context block changed while the old one
  is in the cache: the new prompt is evaluated in the background (prompt/blocks.py); and when
  a workspace index ends its first build, for the document the session is in
  (lsp/server/warming.py): one opened before then was prompted with what was indexed so far,
  and asking again in place is answered from the cache, so no request would ever find out.

On a machine too slow for a placement's (open, focus, jump, cursor) whole prompt before the
first key, the prewarm evaluates a narrow one first and the whole one follows in the
background (first_prompt.py; `first_keys` measures the time users leave before that key).

Threads: `moved`, `requested` and `replace` come from the event loop or `submit`; the worker
sets `running` and reports `finished`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

from coderd.completion.first_prompt import FirstKeys
from coderd.completion.tickets import Outcome, Ticket
from coderd.engine.base import CancelToken, RequestStats

# Lines an edit may move from the last one and still be typing, not a jump: the same line,
# or the next one after Enter.
TYPING_LINES = 1


class Prewarms:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # session -> (document key, line of its last edit or None) last touched
        self._places: dict[str, tuple[str, int | None]] = {}
        self._latest: dict[str, Ticket] = {}  # document key -> its session's queued/running one
        # The running prewarm's document, token, and whether it is a placement's own (its
        # prompt is the one the first key there is served with), set by the worker as one tuple.
        self.running: tuple[str, CancelToken, bool] = ("", CancelToken(), False)
        self._counts: Counter[str] = Counter()
        self.last: RequestStats | None = None  # the last prewarm that ran
        # How long the user leaves between a placement and its first key (first_prompt.py).
        self.first_keys = FirstKeys(time.perf_counter)

    def moved(
        self, session: str, key: str, line: int | None, opened: bool, cursor: bool = False
    ) -> str | None:
        """An edit in `key` at `line` (None: unknown); `opened`: it is the didOpen; `cursor`:
        no edit, a client said the cursor went there (lsp/handlers/cursor.py). Why it
        deserves a prewarm ("opened", "focus", "jump"), or None while the user types."""
        with self._lock:
            last = self._places.get(session)
            reason = self._reason(last, key, line, opened)
            # A cursor that moves a line at a time (arrow keys) is never a jump from the line
            # before: it becomes the session's place only where it earns a prewarm.
            if reason is not None or not cursor:
                self._places[session] = (key, line)
        return reason

    @staticmethod
    def _reason(
        last: tuple[str, int | None] | None, key: str, line: int | None, opened: bool
    ) -> str | None:
        if opened:
            return "opened"
        if last is None or last[0] != key:
            return "focus"
        if line is not None and last[1] is not None and abs(line - last[1]) > TYPING_LINES:
            return "jump"
        return None

    def place(self, session: str) -> str | None:
        """The document the session last opened, edited, asked about or moved to."""
        with self._lock:
            last = self._places.get(session)
        return last[0] if last is not None else None

    def requested(self, session: str, key: str, answered: bool = False) -> Ticket | None:
        """A request for `key`: the session's place now; returns the document's prewarm,
        which the request makes pointless (the caller cancels it). Not a context switch's: a
        request keeps the block in the cache, and only that prewarm evaluates the new one (a
        request that learns of a newer block queues another, which supersedes it). Nor when
        `answered`: the completion cache answered, the engine is not needed. Asked again in
        place, a document whose index had just delivered its context never got it."""
        with self._lock:
            last = self._places.get(session)
            if last is None or last[0] != key:
                self._places[session] = (key, None)
            queued = self._latest.get(key)
            if answered or queued is None or queued.switch:
                return None
            return self._latest.pop(key)

    def replace(self, ticket: Ticket) -> list[Ticket]:
        """`ticket` is its session's prewarm now; returns those it supersedes: one per session,
        so that an editor restoring twenty tabs queues one whole-prompt evaluation, not twenty
        (the last document opened or moved to is the likeliest to be typed in)."""
        session = ticket.snapshot.session
        with self._lock:
            self._counts["queued"] += 1
            keys = [k for k, t in self._latest.items() if t.snapshot.session == session]
            older = [self._latest.pop(k) for k in keys]
            self._latest[ticket.snapshot.key] = ticket
        return older

    def finished(self, ticket: Ticket, outcome: Outcome) -> None:
        with self._lock:
            if self._latest.get(ticket.snapshot.key) is ticket:
                del self._latest[ticket.snapshot.key]
            self._counts["done" if outcome.status == "ok" else outcome.status] += 1
            if outcome.stats is not None:
                self._counts["evaluated_tokens"] += outcome.stats.evaluated_tokens
                self.last = outcome.stats

    def pop_session(self, session: str) -> list[Ticket]:
        """The connection went away: its prewarms, for the caller to cancel."""
        with self._lock:
            self._places.pop(session, None)
            keys = [k for k, t in self._latest.items() if t.snapshot.session == session]
            return [self._latest.pop(k) for k in keys]

    def pop_all(self) -> list[Ticket]:
        with self._lock:
            tickets, self._latest = list(self._latest.values()), {}
            return tickets

    def status(self) -> dict[str, object]:
        """coderd/status `prewarm`: how many were queued, done (evaluated whole), cancelled,
        skipped (an engine that does not prewarm), the tokens they evaluated, the time users
        leave before a first key (first_prompt.py), and the last one's stats."""
        names = ("queued", "done", "cancelled", "skipped")
        with self._lock:
            counts = {name: self._counts[name] for name in names}
            counts["evaluated_tokens"] = self._counts["evaluated_tokens"]
            last = self.last.as_dict() if self.last is not None else None
        return {**counts, "first_key": self.first_keys.status(), "last": last}

    # -- per-document state (documents.py) ------------------------------------------------

    def forget(self, key: str) -> None:
        self.first_keys.forget(key)
        with self._lock:
            ticket = self._latest.pop(key, None)
            for session, (place, _) in list(self._places.items()):
                if place == key:
                    del self._places[session]
        if ticket is not None:
            ticket.cancel.cancel("document closed")

    def keys(self) -> Iterator[str]:
        with self._lock:
            keys = {*self._latest, *(key for key, _ in self._places.values())}
        yield from keys
