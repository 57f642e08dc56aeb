"""Speculation: while the user reads a suggestion, what follows it if they accept it.

After a request is answered, the worker runs the document's prompt with the suggestion
accepted (whole, then its first line) in the engine's speculation sequence, so the typing
prompt's KV stays as it is; the results go to the completion cache, keyed by the accepted
text, and typing through them is answered without the model (cache.py). It starts only once
the user has stopped for longer than their usual gap (debounce.py): while keys keep coming it
would only be cancelled, and its cancellation costs the next request. Any request cancels it:
`submit()` puts the ticket in the queue first and then cancels `token`; `after` makes the
token first and then looks at the queue, so one of the two always sees the other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from coderd.completion.debounce import TypingRhythm
from coderd.completion.tickets import DocumentSnapshot, Outcome, Ticket
from coderd.engine.base import CancelToken

log = logging.getLogger(__name__)


class Speculation:
    def __init__(self, rhythm: TypingRhythm) -> None:
        self._rhythm = rhythm
        self.token = CancelToken()  # the running speculation's; any request cancels it
        self.count = 0  # finished ones: their results wait in the cache

    def after(
        self,
        snap: DocumentSnapshot,
        suggestion: str,
        *,
        run: Callable[[Ticket], Outcome],
        requests_waiting: Callable[[], bool],
        closed: Callable[[DocumentSnapshot], bool],
    ) -> None:
        """On the worker, after `snap` was answered with `suggestion`. `run` runs a ticket
        speculatively; `closed(snap)` says (and cleans up) when the document was closed."""
        first_line = suggestion.split("\n", 1)[0]
        for accepted in dict.fromkeys([suggestion, first_line]):
            if not accepted.strip() or requests_waiting() or closed(snap):
                return
            self.token = cancel = CancelToken()
            if requests_waiting():  # a request came in before the token was in place
                return
            # Until the user paused; before any rhythm is known (the first key after an
            # open), not at all: the tokens it evaluates are a chunk the next key waits for
            # (0.7 s on one core with the 1.3B model, session 9), and that key says more.
            wait_s = self._rhythm.until_paused(snap.key)
            if wait_s is None or cancel.wait(wait_s):
                return
            ahead = replace(
                snap,
                text=snap.text[: snap.offset] + accepted + snap.text[snap.offset :],
                offset=snap.offset + len(accepted),
                candidates=1,
            )
            try:
                outcome = run(Ticket(ahead, cancel))
            except Exception:  # speculation is optional: never let it hurt the worker
                log.exception("speculation failed")
                return
            if closed(snap) or outcome.status != "ok":
                return
            self.count += 1
