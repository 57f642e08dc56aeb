"""A loaded GGUF as llama.cpp holds it: weights and vocabulary (tokenizer, FIM markers, pieces).

runtime.py holds the decoding context. llama.cpp's backend starts here, once per process, with
the first model loaded. A vocabulary-only load (`vocab_only=True`) is what remote budgets and
the prompt checks tokenise with.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path

import llama_cpp

from coderd.system.logs import route_llama_cpp_logs

_backend_lock = threading.Lock()
_backend_ready = False


def init_backend() -> None:
    global _backend_ready
    with _backend_lock:
        if not _backend_ready:
            # Into our log file: in stdio mode stdout is the protocol and stderr is the editor's.
            route_llama_cpp_logs()
            llama_cpp.llama_backend_init()
            _backend_ready = True


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
