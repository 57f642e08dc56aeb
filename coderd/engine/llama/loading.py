"""Building the local engine's parts: its options, the GGUF check, the model and its context,
and what the vocabulary says (FIM ids, BOS, the ids a completion must never contain)."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

# llama.cpp's libraries before numpy's: a llama.cpp built with a statically linked libstdc++
# (seen with CUDA builds from a separate GCC) crashes loading a model when numpy has already
# brought in the system's libstdc++. runtime imports llama_cpp.
from coderd.engine.llama.model import LlamaModel  # isort: skip
from coderd.engine.llama.runtime import LlamaContext  # isort: skip

import numpy as np
import numpy.typing as npt

from coderd.engine.base import EngineError, ModelInfo
from coderd.engine.fim import inspect_vocab
from coderd.engine.llama.kv_plan import prompt_chunk
from coderd.engine.llama.runtime import supports_gpu_offload

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class EngineOptions:
    n_ctx: int = 2048
    threads: int = 1
    # model.threads = 0: `threads` is the most, and each request takes the cores the rest of
    # the machine leaves free (threads.py).
    adapt_threads: bool = False
    gpu_layers: int = -1  # -1: all layers when the build can offload, else none
    batch: int = 512
    prompt_chunk: int = 0  # prompt tokens per llama_decode; 0 = kv_plan.prompt_chunk decides
    reuse_suffix_kv: bool = True
    suffix_refresh_tokens: int = 16
    # KV sequences kept for sessions (the daemon's editor connections); n_ctx is shared by all.
    slots: int = 1
    kv_cache_type: str = "f16"  # or "q8_0", "q4_0" (runtime.KV_TYPES)
    prompt_lookup: bool = False  # draft tokens from the prompt in greedy decoding (lookup.py)
    # Bytes of host memory for saved KV states (kv_store.py); -1: sized from the memory free.
    saved_states_bytes: int = -1


# What a path names when it is not a regular file: refused by name, before anything opens it
# (opening a FIFO blocks until a writer comes; /dev/zero reads forever).
SPECIAL_FILES = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def special_file_kind(mode: int) -> str | None:
    for test, kind in SPECIAL_FILES:
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def _why(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)


def check_gguf_file(path: Path) -> None:
    """Fail early, with one readable line, on what llama.cpp would only log or hang on: a
    missing, special, unreadable or non-GGUF file. stat() never blocks; the open is
    non-blocking and the descriptor checked again, so a FIFO swapped in between still fails."""
    try:
        kind = special_file_kind(os.stat(path).st_mode)
    except FileNotFoundError:
        raise EngineError(f"model file not found: {path}") from None
    except OSError as exc:  # EACCES: a folder on the way that is not ours to search
        raise EngineError(f"cannot read the model file {path}: {_why(exc)}") from None
    if kind is not None:
        raise EngineError(f"{path} is {kind}, not a model file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise EngineError(f"cannot read the model file {path}: {_why(exc)}") from None
    try:
        kind = special_file_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise EngineError(f"{path} is {kind}, not a model file")
        magic = os.read(fd, 4)
    except OSError as exc:
        raise EngineError(f"cannot read the model file {path}: {_why(exc)}") from None
    finally:
        os.close(fd)
    if magic != GGUF_MAGIC:
        raise EngineError(f"{path} is not a GGUF file (it starts with {magic!r}, not b'GGUF')")


@dataclass(frozen=True)
class LoadedModel:
    """A model and its context, ready to decode; what every request of the engine shares."""

    model: LlamaModel
    ctx: LlamaContext
    info: ModelInfo
    bos: int | None
    # Ids never generated: the FIM markers (a completion that "closes" the hole with marker
    # text would detokenise to nothing) and BOS.
    banned: npt.NDArray[np.int64]
    prompt_chunk: int  # prompt tokens per llama_decode (kv_plan.prompt_chunk)

    def close(self) -> None:
        self.ctx.close()
        self.model.close()


def load(path: Path, options: EngineOptions) -> LoadedModel:
    """Load the GGUF at `path` and make its context; EngineError says why it cannot be."""
    check_gguf_file(path)
    gpu_layers = options.gpu_layers
    if gpu_layers < 0:
        gpu_layers = 999 if supports_gpu_offload() else 0
    try:
        model = LlamaModel(path, gpu_layers=gpu_layers)
    except ValueError as exc:
        raise EngineError(
            f"{exc} (truncated or corrupt file, or an unsupported architecture)"
        ) from exc
    # n_ctx 0 would mean "the training context": 163,840 positions for V2-Lite.
    n_ctx = max(256, min(options.n_ctx, model.n_ctx_train or options.n_ctx))
    try:
        ctx = LlamaContext(
            model,
            n_ctx=n_ctx,
            n_batch=min(options.batch, n_ctx),
            threads=options.threads,
            slots=max(1, options.slots),
            kv_type=options.kv_cache_type,
        )
    except ValueError as exc:
        model.close()
        raise EngineError(str(exc)) from exc
    name = model.meta("general.name") or path.stem
    report = inspect_vocab(model, name)
    info = ModelInfo(
        path=str(path),
        name=name,
        architecture=model.meta("general.architecture") or "?",
        pre_tokenizer=report.pre_tokenizer,
        n_ctx=ctx.n_ctx,
        n_ctx_train=model.n_ctx_train,
        n_vocab=model.n_vocab,
        fim_ids=report.fim_ids,
        gpu_layers=gpu_layers,
        threads=options.threads,
        warnings=report.warnings,
        repo_tokens=report.repo_tokens,
    )
    bos = model.bos()
    banned = set(report.fim_ids or ()) | set(model.other_fim_ids())
    if bos is not None:
        banned.add(bos)
    return LoadedModel(
        model=model,
        ctx=ctx,
        info=info,
        bos=bos,
        banned=np.array(sorted(banned), dtype=np.int64),
        prompt_chunk=prompt_chunk(options.prompt_chunk, gpu_layers, ctx.n_batch),
    )
