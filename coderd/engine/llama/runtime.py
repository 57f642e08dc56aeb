"""Thin, typed wrappers over llama.cpp's C API as llama-cpp-python binds it (`llama_cpp.llama_*`).

We use the low-level API rather than `llama_cpp.Llama` because we need what `Llama` hides:
FIM marker ids from the vocabulary, explicit positions and sequence ids for KV reuse and
shifting, and an abort callback so a cancelled request stops in the middle of a batch
(the engine uses it during generation only).
(`Llama.create_completion(suffix=...)` also hard-codes FIM ids to 0 in 0.3.36.)
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import llama_cpp
import numpy as np
import numpy.typing as npt

from coderd.engine.llama.model import LlamaModel

# A row of logits: one float per vocabulary id.
Logits = npt.NDArray[np.float32]

# llama_decode return codes (llama.h): 1 = no KV slot for the batch, 2 = aborted.
DECODE_OK, DECODE_NO_SLOT, DECODE_ABORTED = 0, 1, 2
# model.kv_cache_type -> ggml type of the K and V caches.
KV_TYPES = {
    "f16": llama_cpp.GGML_TYPE_F16,
    "q8_0": llama_cpp.GGML_TYPE_Q8_0,
    "q4_0": llama_cpp.GGML_TYPE_Q4_0,
}


def supports_gpu_offload() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


def system_info() -> str:
    info: bytes = llama_cpp.llama_print_system_info()
    return info.decode("utf-8", "replace").strip()


def _never() -> bool:
    return False


class LlamaContext:
    """One llama context: a KV cache shared by the sessions' sequences and one spare.

    Sequence 0 holds the prompt (the daemon gives each further session's slot a sequence of
    its own, see `slot_seq`). Sequence 1 holds speculation (the continuation after a
    suggestion is accepted) while the engine is idle, so that it never disturbs the prompt the
    user is typing into; a keystroke that moves the suffix's KV (see kv_plan.py) evicts it and
    uses sequence 1 as its parking place. A third sequence would cost every request about a
    quarter of its time here (measured with `coderd bench`), hence the sharing. The cache is
    unified: moving a cell between sequences, or sharing a common prefix, only changes the
    cell's sequence set, never copies its data.
    """

    MAIN_SEQ = 0
    PARK_SEQ = 1
    SPECULATION_SEQ = 1

    @staticmethod
    def slot_seq(slot: int) -> int:
        """The sequence holding a session's prompt: slot 0 is sequence 0, slot k sequence k+1."""
        return 0 if slot == 0 else slot + 1

    def __init__(
        self,
        model: LlamaModel,
        *,
        n_ctx: int,
        n_batch: int,
        threads: int,
        slots: int = 1,
        kv_type: str = "f16",
    ) -> None:
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_seq_max = slots + 1  # the sessions' slots and the shared park/speculation
        params.kv_unified = True
        params.n_threads = threads
        params.n_threads_batch = threads
        params.no_perf = True
        if kv_type != "f16":  # llama.cpp refuses a quantised V cache without flash attention
            params.type_k = params.type_v = KV_TYPES[kv_type]
            params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED
        handle = llama_cpp.llama_init_from_model(model.handle, params)
        if not handle:
            hint = (
                f" with a {kv_type} KV cache (it needs flash attention and a head size that "
                'is a multiple of 32; model.kv_cache_type = "f16" always works)'
                if kv_type != "f16"
                else ""
            )
            raise ValueError(f"llama.cpp could not create a context of {n_ctx} positions{hint}")
        self.handle = handle
        self.model = model
        self.threads = threads
        self.n_ctx = int(llama_cpp.llama_n_ctx(handle))
        self.n_batch = n_batch
        self.memory = llama_cpp.llama_get_memory(handle)
        self.can_shift = bool(llama_cpp.llama_memory_can_shift(self.memory))
        self._batch = llama_cpp.llama_batch_init(n_batch, 0, 1)
        self.decodes = 0  # llama_decode calls so far (kv_sequences.py: when a shift applies)
        # Called by ggml between graph nodes: keep a reference or ctypes frees the thunk. One
        # thunk for the context's life, asking whichever request `abort_when` installed.
        self._should_abort: Callable[[], bool] = _never
        self._abort_thunk = llama_cpp.ggml_abort_callback(lambda _data: bool(self._should_abort()))
        llama_cpp.llama_set_abort_callback(handle, self._abort_thunk, None)

    @contextmanager
    def abort_when(self, should_abort: Callable[[], bool]) -> Iterator[None]:
        """While inside, llama_decode stops part way when `should_abort()` turns True (polled
        between graph nodes); outside, it never does."""
        previous, self._should_abort = self._should_abort, should_abort
        try:
            yield
        finally:
            self._should_abort = previous

    def set_threads(self, threads: int) -> None:
        """Decode and evaluate prompts with `threads` CPU threads from now on (threads.py)."""
        llama_cpp.llama_set_n_threads(self.handle, threads, threads)
        self.threads = threads

    def decode(
        self, tokens: Sequence[int], start_pos: int, *, seq: int = 0, all_logits: bool = False
    ) -> int:
        """Evaluate tokens at consecutive positions; logits are kept for the last one only,
        or with `all_logits` for every one (read them with `logits(i)`).

        Returns a llama_decode status; on abort llama.cpp drops this batch from the cache.
        """
        batch = self._batch
        n = len(tokens)
        assert 0 < n <= self.n_batch
        batch.n_tokens = n
        for i, token in enumerate(tokens):
            batch.token[i] = token
            batch.pos[i] = start_pos + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = int(all_logits)
        batch.logits[n - 1] = 1
        self.decodes += 1  # a pending K shift is applied by this decode (kv_sequences.py)
        return int(llama_cpp.llama_decode(self.handle, batch))

    def logits(self, i: int = -1) -> Logits:
        """Logits of batch index i of the last decode (-1: its last token), a view into
        llama.cpp's buffer that the next decode overwrites."""
        ptr = llama_cpp.llama_get_logits_ith(self.handle, i)
        if not ptr:
            raise IndexError(f"the last batch kept no logits for index {i}")
        return np.ctypeslib.as_array(ptr, shape=(self.model.n_vocab,))

    def last_logits(self) -> Logits:
        return self.logits(-1)

    def pos_max(self, seq: int = 0) -> int:
        return int(llama_cpp.llama_memory_seq_pos_max(self.memory, seq))

    def remove(self, seq: int, start: int, end: int = -1) -> bool:
        return bool(llama_cpp.llama_memory_seq_rm(self.memory, seq, start, end))

    def copy(self, src: int, dst: int, start: int, end: int) -> None:
        llama_cpp.llama_memory_seq_cp(self.memory, src, dst, start, end)

    def shift(self, seq: int, start: int, end: int, delta: int) -> None:
        llama_cpp.llama_memory_seq_add(self.memory, seq, start, end, delta)

    def clear(self) -> None:
        llama_cpp.llama_memory_clear(self.memory, True)

    def seq_state_size(self, seq: int) -> int:
        return int(llama_cpp.llama_state_seq_get_size(self.handle, seq))

    def save_seq(
        self, seq: int, into: ctypes.Array[ctypes.c_ubyte] | None = None
    ) -> ctypes.Array[ctypes.c_ubyte] | None:
        """A copy of `seq`'s cells (positions, K and V) in host memory (None: failed),
        written into the start of `into` when it is big enough (a view of it)."""
        size = self.seq_state_size(seq)
        if into is not None and len(into) >= size:
            data = (ctypes.c_ubyte * size).from_buffer(into)
        else:
            data = (ctypes.c_ubyte * size)()
        done = size > 0 and llama_cpp.llama_state_seq_get_data(self.handle, data, size, seq)
        return data if done == size else None

    def load_seq(self, seq: int, data: ctypes.Array[ctypes.c_ubyte]) -> bool:
        """`seq`'s cells replaced by a `save_seq` copy; False (`seq` empty): no room."""
        self.remove(seq, -1, -1)
        if llama_cpp.llama_state_seq_set_data(self.handle, data, len(data), seq) > 0:
            return True
        self.remove(seq, -1, -1)  # whatever a failed restore left
        return False

    def close(self) -> None:
        if self.handle:
            llama_cpp.llama_batch_free(self._batch)
            llama_cpp.llama_free(self.handle)
            self.handle = None
