"""Per-document state with one owner: what the service keeps for each open document, and the
one `forget` that drops all of it.

Every holder of per-document state registers here (the completion cache, the typing rhythm,
the prompt assembler's windows and context ids); `forget(key)` reaches each of them, and
`forget_session(session)` every document of an editor connection that went away. `counts()`
is what `coderd/status` reports, so a test (or a user) can see that nothing grows with the
documents opened and closed over a daemon's life.

Keys are the service's document keys: `session|uri` in the daemon, the URI standalone
(lsp/server/session.py `doc_key`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Protocol

# Documents closed lately, remembered so that a run or a speculation the worker starts or
# finishes after the close can tell, and drop what it kept (bounded: only the race between a
# close and the worker's next step needs it).
RECENTLY_CLOSED = 256


class PerDocument(Protocol):
    def forget(self, key: str) -> None: ...

    def keys(self) -> Iterable[str]:
        """The documents it holds state for."""
        ...


def session_of(key: str) -> str:
    """The editor connection a document key belongs to ("" standalone)."""
    session, bar, _ = key.partition("|")
    return session if bar else ""


class DocumentStates:
    def __init__(self, **holders: PerDocument) -> None:
        self._holders: dict[str, PerDocument] = dict(holders)
        self._closed: OrderedDict[str, None] = OrderedDict()  # recently closed, oldest first
        self._lock = threading.Lock()  # holders join from the worker (the prompt, at load)

    def add(self, name: str, holder: PerDocument) -> None:
        with self._lock:
            self._holders[name] = holder

    def _all(self) -> list[PerDocument]:
        with self._lock:
            return list(self._holders.values())

    def forget(self, key: str) -> None:
        for holder in self._all():
            holder.forget(key)

    def closed(self, key: str) -> None:
        """The editor closed it: forget it, and remember for a while that it is closed."""
        with self._lock:
            self._closed[key] = None
            self._closed.move_to_end(key)
            while len(self._closed) > RECENTLY_CLOSED:
                self._closed.popitem(last=False)
        self.forget(key)

    def opened(self, key: str) -> None:
        with self._lock:
            self._closed.pop(key, None)

    def is_closed(self, key: str) -> bool:
        with self._lock:
            return key in self._closed

    def keys_of(self, session: str) -> set[str]:
        return {k for h in self._all() for k in list(h.keys()) if session_of(k) == session}

    def forget_session(self, session: str) -> None:
        for key in self.keys_of(session):
            self.forget(key)

    def counts(self) -> dict[str, int]:
        with self._lock:
            holders = dict(self._holders)
        return {name: len(set(holder.keys())) for name, holder in holders.items()}
