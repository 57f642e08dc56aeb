"""Which request the one model serves next, when several editors are waiting.

The worker thread asks for the next ticket; handlers put tickets from any thread. The order:

1. tickets already cancelled or superseded first: answering them costs nothing, and their
   handlers are waiting for an (empty) answer;
2. then the session (editor connection) served longest ago, so that one editor typing fast
   cannot starve another;
3. within that session the newest ticket: an older one is about text the user has moved on
   from (a newer ticket for the same document has already cancelled it, see service.py);
4. prewarms (prewarm.py) only when no request waits, the newest first: the document opened
   or moved to last is the likeliest to be typed in next. A prewarm is no turn: it does not
   count as serving its session.
"""

from __future__ import annotations

import itertools
import threading
from typing import Generic, Protocol, TypeVar


class _Cancel(Protocol):
    @property
    def cancelled(self) -> bool: ...


class _Snapshot(Protocol):
    @property
    def session(self) -> str: ...


class SchedulableTicket(Protocol):
    # Read-only: a ticket's snapshot and token are never replaced, only read here.
    @property
    def snapshot(self) -> _Snapshot: ...

    @property
    def cancel(self) -> _Cancel: ...

    @property
    def prewarm(self) -> bool: ...


T = TypeVar("T", bound=SchedulableTicket)


class Scheduler(Generic[T]):
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: list[tuple[int, T]] = []  # (arrival number, ticket)
        self._arrivals = itertools.count()
        self._turns = itertools.count(1)
        self._last_served: dict[str, int] = {}  # session -> turn it was last served in
        self._closed = False

    def put(self, ticket: T) -> None:
        with self._cond:
            self._pending.append((next(self._arrivals), ticket))
            self._cond.notify()

    def close(self) -> None:
        """After the pending tickets, `get` returns None: the worker ends."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def empty(self) -> bool:
        with self._cond:
            return not self._pending

    def requests_waiting(self) -> bool:
        """A ticket other than a prewarm is pending: a prewarm must yield to it."""
        with self._cond:
            return any(not t.prewarm for _, t in self._pending)

    def get(self, timeout: float | None = None) -> T | None:
        """The next ticket, waiting for one; None once closed (or when `timeout` passes)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._pending or self._closed, timeout):
                return None
            if not self._pending:
                return None
            chosen = self._choose()
            self._pending.remove(chosen)
            ticket = chosen[1]
            if not ticket.cancel.cancelled and not ticket.prewarm:
                self._last_served[ticket.snapshot.session] = next(self._turns)
            return ticket

    def forget_session(self, session: str) -> None:
        with self._cond:
            self._last_served.pop(session, None)

    def _choose(self) -> tuple[int, T]:
        for entry in self._pending:
            if entry[1].cancel.cancelled:
                return entry
        return min(
            self._pending,
            key=lambda e: (e[1].prewarm, self._last_served.get(e[1].snapshot.session, 0), -e[0]),
        )
