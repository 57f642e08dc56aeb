"""Saved KV states: the sequences a session's prompts left behind, kept in host memory.

A session's slot has one KV sequence. When a prompt would throw away most of what the sequence
holds (another document, a cursor far away, a new repository-context block at the head), the
cells are first copied out (`llama_state_seq_get_data`) with the record of their tokens; when a
later prompt matches a saved state better than what the sequence holds, the two are swapped
(`llama_state_seq_set_data`). Going back to a file then costs only what changed there, and a
prompt evaluated in the background (a prewarm cancelled part way) keeps its progress. Spare
sequences would do the same without the copies, but every cell in the cache widens the
attention of every decode (a quarter slower per extra sequence's worth, runtime.py), so the
states wait outside the cache.

Bounded: `PER_SEQUENCE` states per slot (the documents a user goes back and forth between:
a three-file switch keeps two besides the one in the cache, and for each a prompt evaluated
part way in the background beside the narrow one typed into, completion/first_prompt.py:
with three, those pushed out the narrow state of the file gone back to, and its first key
evaluated 111 tokens instead of 2, session 12) and, in all, an eighth of the
memory available when the model is loaded, at most `MAX_BYTES` (`bytes_bound`), unless
the user set model.saved_states_mb; least recently saved dropped first. A state costs the model's KV bytes per token times its tokens:
about 0.2 MB per token for a 1.3B DeepSeek model in f16, so a 600-token prompt is about
120 MB, and 512 MiB holds about four of them. This is a cache that fills as the user goes
from file to file, up to its bound, and then stays there: the daemon's memory grows by it
after the first minute of switching (issue #11), never past it.

States restored from disk at start-up (kv_persist.py: what the last daemon held) belong to no
slot yet (`ANY`): any slot's prompt may take one, and only the byte bound applies to them.

Worker thread only, like the sequences (kv_sequences.py).
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from dataclasses import dataclass

from coderd.engine.llama.kv_plan import CacheState

PER_SEQUENCE = 6
MAX_BYTES = 512 * 1024 * 1024  # whatever the machine has: the same bound kv_persist.py writes
FREE_MEMORY_SHARE = 8  # of the memory available at load: a laptop with 2 GB free keeps 256 MB
ANY = -1  # the sequence of a state restored from disk: whichever slot's prompt it matches


# A save's buffer holds a quarter more than its state: the document grows as the user types
# between two switches, and a recycled buffer too small for the next save is no use.
BUFFER_ROOM = 4


def new_buffer(size: int) -> ctypes.Array[ctypes.c_ubyte]:
    return (ctypes.c_ubyte * (size + size // BUFFER_ROOM))()


def bytes_bound(available: int, configured: int = -1) -> int:
    """The saved states' bound in bytes: `configured` (model.saved_states_mb) when set (>= 0),
    else a share of the `available` bytes of memory free."""
    if configured >= 0:
        return configured
    return min(MAX_BYTES, available // FREE_MEMORY_SHARE)


@dataclass(frozen=True)
class SavedState:
    seq: int  # the slot sequence it was saved from (and is restored to), or ANY
    record: CacheState  # its tokens (and block, drift) as when it was saved
    data: ctypes.Array[ctypes.c_ubyte]  # llama.cpp's serialised cells
    # The memory `data` views when it was written into a recycled buffer (`spare_for`).
    owner: ctypes.Array[ctypes.c_ubyte] | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def buffer(self) -> ctypes.Array[ctypes.c_ubyte]:
        return self.owner if self.owner is not None else self.data


class SavedStates:
    def __init__(self, per_sequence: int = PER_SEQUENCE, max_bytes: int = MAX_BYTES) -> None:
        self.per_sequence = per_sequence
        self.max_bytes = max_bytes
        self._states: list[SavedState] = []  # least recently saved first
        # The buffer of the last state swapped back in, for the next save: fresh memory costs
        # a page fault per 4 KiB, 40-80 ms for a 330-token state of a 1.3B model on two
        # cores, on the key that switches files. Counted against `max_bytes`.
        self._spare: ctypes.Array[ctypes.c_ubyte] | None = None

    def add(self, state: SavedState) -> None:
        self._states.append(state)
        mine = [s for s in self._states if s.seq == state.seq]
        for old in mine[: max(0, len(mine) - self.per_sequence)] if state.seq != ANY else ():
            self._states.remove(old)
        if self._spare is not None and self.bytes + len(self._spare) > self.max_bytes:
            self._spare = None
        while self._states and self.bytes > self.max_bytes:
            self._states.pop(0)

    def spare_for(self, size: int) -> ctypes.Array[ctypes.c_ubyte] | None:
        """A recycled buffer of at least `size` bytes for a save (taken), or None."""
        spare = self._spare
        if spare is None or len(spare) < size:
            return None
        self._spare = None
        return spare

    def recycle(self, state: SavedState) -> None:
        """`state` (taken) is back in the cache: its buffer may serve the next save."""
        buffer = state.buffer
        if self._spare is not None and len(self._spare) >= len(buffer):
            return
        self._spare = buffer if self.bytes + len(buffer) <= self.max_bytes else None

    def of(self, seq: int) -> list[SavedState]:
        """`seq`'s states, and those restored from disk."""
        return [s for s in self._states if s.seq in (seq, ANY)]

    def take(self, state: SavedState) -> None:
        """`state` goes back into the cache: no longer kept here."""
        self._states.remove(state)

    def forget(self, seq: int) -> None:
        """The slot's session went away (or the slot goes to another)."""
        self._states = [s for s in self._states if s.seq != seq]

    @property
    def bytes(self) -> int:
        """The memory held: the states' buffers, room included."""
        return sum(len(s.buffer) for s in self._states)

    def __iter__(self) -> Iterator[SavedState]:
        return iter(list(self._states))

    def __len__(self) -> int:
        return len(self._states)
