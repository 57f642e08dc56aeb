"""Editor connections sharing one completion service, and the KV slot each one keeps.

In the daemon (`coderd serve`) every editor connection is a session: its own documents and
workspace roots (so its own repository context), and, while it is among the most recently
served, a KV sequence of its own in the one llama context, so that two editors typing in turn
do not re-evaluate each other's prompts. Standalone mode has one session, "".

Threads: `attach`/`detach` come from the event loop; `slot_for` is called by the worker thread
only, which is also the only thread that tells the engine to drop a slot's cells.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from coderd.config.settings import Settings
from coderd.context.provider import ContextProvider


class SessionTable:
    def __init__(
        self,
        slots: int,
        default_context: ContextProvider | None = None,
    ) -> None:
        self.slots = max(1, slots)
        self._default_context = default_context
        self._contexts: dict[str, ContextProvider | None] = {}
        # A session's own settings: what its editor sent (completion, context), beside the
        # daemon's model, which every session shares.
        self._settings: dict[str, Settings] = {}
        self._lock = threading.Lock()
        # Worker thread only: session -> slot, least recently served first.
        self._assigned: OrderedDict[str, int] = OrderedDict()
        self._departed: set[str] = set()

    def attach(
        self, session: str, context: ContextProvider | None, settings: Settings | None = None
    ) -> None:
        with self._lock:
            self._contexts[session] = context
            if settings is not None:
                self._settings[session] = settings
            self._departed.discard(session)

    def detach(self, session: str) -> ContextProvider | None:
        """The connection went away: its slot is the first to be given to someone else."""
        with self._lock:
            self._departed.add(session)
            self._settings.pop(session, None)
            return self._contexts.pop(session, None)

    def settings_for(self, session: str, default: Settings) -> Settings:
        with self._lock:
            return self._settings.get(session, default)

    def context_for(self, session: str) -> ContextProvider | None:
        with self._lock:
            return self._contexts.get(session, self._default_context)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._contexts)

    def slot_for(self, session: str, forget_slot: Callable[[int], None]) -> int:
        """The session's slot, taking one from a departed or the least recently served session
        when all are in use (`forget_slot` drops the cells of the slot handed over)."""
        if self.slots == 1:
            return 0
        with self._lock:
            departed = [s for s in self._assigned if s in self._departed]
            self._departed -= set(departed)
        for gone in departed:  # their cells would only widen every other session's attention
            forget_slot(self._assigned.pop(gone))
        if session in self._assigned:
            self._assigned.move_to_end(session)
            return self._assigned[session]
        free = sorted(set(range(self.slots)) - set(self._assigned.values()))
        if free:
            slot = free[0]
        else:
            _, slot = self._assigned.popitem(last=False)
            forget_slot(slot)
        self._assigned[session] = slot
        return slot
