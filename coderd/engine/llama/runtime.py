"""Thin, typed wrappers over llama.cpp's C API as llama-cpp-python binds it (`llama_cpp.llama_*`).

We use the low-level API rather than `llama_cpp.Llama` because we need what `Llama` hides:
FIM marker ids from the vocabulary, explicit positions and sequence ids for KV reuse and
shifting, and an abort callback so a cancelled request stops in the middle of a batch
(the engine uses it during generation only).
(`Llama.create_completion(suffix=...)` also hard-codes FIM ids to 0 in 0.3.36.)
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import llama_cpp
import numpy as np
import numpy.typing as npt

from coderd.system.logs import route_llama_cpp_logs

# A row of logits: one float per vocabulary id.
Logits = npt.NDArray[np.float32]

_backend_lock = threading.Lock()
_backend_ready = False

# llama_decode return codes (llama.h): 1 = no KV slot for the batch, 2 = aborted.
DECODE_OK, DECODE_NO_SLOT, DECODE_ABORTED = 0, 1, 2
# model.kv_cache_type -> ggml type of the K and V caches.
KV_TYPES = {
    "f16": llama_cpp.GGML_TYPE_F16,
    "q8_0": llama_cpp.GGML_TYPE_Q8_0,
    "q4_0": llama_cpp.GGML_TYPE_Q4_0,
}


def init_backend() -> None:
    global _backend_ready
    with _backend_lock:
        if not _backend_ready:
            # Into our log file: in stdio mode stdout is the protocol and stderr is the editor's.
            route_llama_cpp_logs()
            llama_cpp.llama_backend_init()
            _backend_ready = True


def supports_gpu_offload() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


def system_info() -> str:
    info: bytes = llama_cpp.llama_print_system_info()
    return info.decode("utf-8", "replace").strip()


class LlamaModel:
    """A loaded GGUF: weights plus vocabulary."""

    def __init__(self, path: Path, *, gpu_layers: int, vocab_only: bool = False) -> None:
        init_backend()
        params = llama_cpp.llama_model_default_params()
        params.n_gpu_layers = gpu_layers
        params.vocab_only = vocab_only
        handle = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
        if not handle:
            raise ValueError(f"llama.cpp could not load {path}")
        self.handle = handle
        # tokenize() may run on another thread than the engine's (the context look-ahead on an
        # index's buffer thread): it must never run while, or after, close() frees the model.
        self._lock = threading.Lock()
        self.vocab = llama_cpp.llama_model_get_vocab(handle)
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(self.vocab))
        self.n_ctx_train = int(llama_cpp.llama_model_n_ctx_train(handle))
        self.n_layer = int(llama_cpp.llama_model_n_layer(handle))

    def meta(self, key: str) -> str | None:
        buf = ctypes.create_string_buffer(4096)
        n = llama_cpp.llama_model_meta_val_str(self.handle, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", "replace") if n >= 0 else None

    def token_or_none(self, token: int) -> int | None:
        return None if token < 0 else int(token)

    def fim_ids(self) -> tuple[int | None, int | None, int | None]:
        v = self.vocab
        return (
            self.token_or_none(llama_cpp.llama_vocab_fim_pre(v)),
            self.token_or_none(llama_cpp.llama_vocab_fim_suf(v)),
            self.token_or_none(llama_cpp.llama_vocab_fim_mid(v)),
        )

    def other_fim_ids(self) -> list[int]:
        """FIM padding/repo/separator tokens: never valid inside a completion."""
        v = self.vocab
        found = (
            llama_cpp.llama_vocab_fim_pad(v),
            llama_cpp.llama_vocab_fim_rep(v),
            llama_cpp.llama_vocab_fim_sep(v),
        )
        return [int(t) for t in found if t >= 0]

    def control_token(self, text: str) -> int | None:
        """The id of `text` when it is exactly one control token, else None. Tokenising with
        special tokens off never yields a control token, so user text cannot forge it."""
        ids = self.tokenize(text, special=True)
        if len(ids) == 1 and llama_cpp.llama_vocab_is_control(self.vocab, ids[0]):
            return int(ids[0])
        return None

    def bos(self) -> int | None:
        if not llama_cpp.llama_vocab_get_add_bos(self.vocab):
            return None
        return self.token_or_none(llama_cpp.llama_vocab_bos(self.vocab))

    def is_eog(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self.vocab, token))

    def token_text(self, token: int) -> str:
        text: bytes = llama_cpp.llama_vocab_get_text(self.vocab, token)
        return text.decode("utf-8", "replace")

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        """Tokenise without adding BOS. `special=False` keeps marker text as plain text."""
        data = text.encode("utf-8")
        if not data:
            return []
        capacity = len(data) + 8
        out = (llama_cpp.llama_token * capacity)()
        with self._lock:
            if not self.handle:
                raise RuntimeError("the model was closed")
            n = llama_cpp.llama_tokenize(self.vocab, data, len(data), out, capacity, False, special)
            if n < 0:  # the buffer was too small: -n is the size needed
                capacity = -n
                out = (llama_cpp.llama_token * capacity)()
                n = llama_cpp.llama_tokenize(
                    self.vocab, data, len(data), out, capacity, False, special
                )
        return list(out[:n])

    def piece(self, token: int, *, special: bool = False) -> bytes:
        """The bytes a token stands for; special tokens render as nothing unless `special`
        (then as their own text: showing a whole prompt, markers included)."""
        buf = ctypes.create_string_buffer(64)
        n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, special)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, special)
        return buf.raw[:n]

    def close(self) -> None:
        with self._lock:
            if self.handle:
                llama_cpp.llama_model_free(self.handle)
                self.handle = None


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

    def save_seq(self, seq: int) -> ctypes.Array[ctypes.c_ubyte] | None:
        """A copy of `seq`'s cells (positions, K and V) in host memory (None: failed)."""
        size = int(llama_cpp.llama_state_seq_get_size(self.handle, seq))
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
