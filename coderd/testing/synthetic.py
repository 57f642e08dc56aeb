"""Build random-weight GGUF models with a real tokenizer, for tests and benchmarks.

Weights are random (generated text is noise), but the vocabulary is real - the DeepSeek Coder
tokenizer fixture when available, else a small byte-level BPE vocabulary - so token ids, prompt
lengths, timings and KV-cache behaviour through llama.cpp are genuine. No model hub needed.

Needs the optional ``gguf`` package (extra ``dev``: ``pip install 'coderd[dev]'``); it is imported
lazily so the rest of coderd never depends on it. Quantisation additionally uses llama_cpp.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

from coderd.testing.tokenizer_fields import (
    VOCAB_ENV,
    deepseek_vocab_fixture,
    gguf_module,
    resolve_vocab,
    tokenizer_fields,
)

# The vocabulary's names, for the tests and benchmarks that import them from here.
__all__ = ["VOCAB_ENV", "build_model", "cached_model", "deepseek_vocab_fixture"]

# Bump whenever the bytes build_model writes for the same arguments change: it is part of
# cached_model's file name, so stale cached models are never reused.
FORMAT_VERSION = 1

# (n_embd, n_layer, n_head, n_head_kv, n_ff). "small" is internal: the smallest shape whose rows
# are multiples of 256, so Q4_K_M really uses k-quants instead of llama.cpp's fallback types.
SHAPES: dict[str, tuple[int, int, int, int, int]] = {
    "tiny": (64, 2, 4, 4, 128),
    "small": (256, 2, 4, 4, 512),
    "1.3b": (2048, 24, 16, 16, 5504),
    "6.7b": (4096, 32, 32, 32, 11008),
}
QUANT_FTYPES = {"Q8_0": 7, "Q4_K_M": 15}  # llama_ftype enum values
_WEIGHT_STD = 0.02
_CHUNK_ELEMS = 1 << 24  # rows are generated in ~16M-element slabs to bound float32 scratch memory


def _tensor_plan(shape: str, n_vocab: int) -> list[tuple[str, tuple[int, ...], bool]]:
    """(name, numpy shape, is_norm). numpy shapes are ggml's ne reversed: (rows, row length)."""
    gguf = gguf_module()
    n_embd, n_layer, n_head, n_head_kv, n_ff = SHAPES[shape]
    n_embd_kv = n_embd // n_head * n_head_kv
    M, names = gguf.MODEL_TENSOR, gguf.TENSOR_NAMES

    def name(t: Any, bid: int | None = None) -> str:
        return names[t].format(bid=bid) + ".weight"

    # (tensor name, shape, kept in F32: the norms)
    plan: list[tuple[str, tuple[int, ...], bool]] = [(name(M.TOKEN_EMBD), (n_vocab, n_embd), False)]
    for i in range(n_layer):
        plan += [
            (name(M.ATTN_NORM, i), (n_embd,), True),
            (name(M.ATTN_Q, i), (n_embd, n_embd), False),
            (name(M.ATTN_K, i), (n_embd_kv, n_embd), False),
            (name(M.ATTN_V, i), (n_embd_kv, n_embd), False),
            (name(M.ATTN_OUT, i), (n_embd, n_embd), False),
            (name(M.FFN_NORM, i), (n_embd,), True),
            (name(M.FFN_GATE, i), (n_ff, n_embd), False),
            (name(M.FFN_UP, i), (n_ff, n_embd), False),
            (name(M.FFN_DOWN, i), (n_embd, n_ff), False),
        ]
    plan += [(name(M.OUTPUT_NORM), (n_embd,), True), (name(M.OUTPUT), (n_vocab, n_embd), False)]
    return plan


def _random_tensor(rng: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    import numpy as np

    out = np.empty(shape, dtype=dtype)
    rows = max(1, _CHUNK_ELEMS // shape[-1])
    for a in range(0, shape[0], rows):
        slab = rng.standard_normal((min(rows, shape[0] - a), shape[-1]), dtype=np.float32)
        slab *= _WEIGHT_STD
        out[a : a + rows] = slab
    return out


def _write_gguf(path: Path, shape: str, fields: dict, dtype_name: str, seed: int) -> None:
    import numpy as np

    gguf = gguf_module()
    n_embd, n_layer, n_head, n_head_kv, n_ff = SHAPES[shape]
    n_vocab = len(fields["tokenizer.ggml.tokens"][0])
    wdtype = np.dtype(dtype_name)
    w = gguf.GGUFWriter(path, "llama")
    w.add_name(f"synthetic-deepseek-coder-{shape}")
    w.add_file_type(
        gguf.LlamaFileType.MOSTLY_F16 if wdtype == np.float16 else gguf.LlamaFileType.ALL_F32
    )
    w.add_context_length(16384)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head_kv)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_rope_freq_base(100000.0)
    w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
    w.add_rope_scaling_factor(4.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_vocab_size(n_vocab)
    for key, (value, vtype, sub) in fields.items():
        w.add_key_value(key, value, vtype, sub)
    plan = _tensor_plan(shape, n_vocab)
    # GGUFWriter.add_tensor keeps every array alive until write_tensors_to_file. Instead we
    # declare all tensor infos up front and stream each tensor with write_tensor_data, so peak
    # memory is one tensor (the largest, token_embd/output: 132 MB F16 at 1.3B) plus a slab.
    for name, shp, norm in plan:
        dt = np.dtype(np.float32) if norm else wdtype  # 1-D norms stay F32, as in real GGUFs
        w.add_tensor_info(name, shp, dt, int(np.prod(shp)) * dt.itemsize)
    rng = np.random.default_rng(seed)
    try:
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        for _name, shp, norm in plan:
            w.write_tensor_data(
                np.ones(shp, np.float32) if norm else _random_tensor(rng, shp, wdtype)
            )
    except BaseException:
        w.close()
        path.unlink(missing_ok=True)  # never leave a truncated GGUF behind
        raise
    w.close()


def _quantize(src: Path, dst: Path, quant: str) -> None:
    import llama_cpp  # lazily: only quantisation needs the compiled library

    llama_cpp.llama_backend_init()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = QUANT_FTYPES[quant]
    params.nthread = os.cpu_count() or 1
    rc = llama_cpp.llama_model_quantize(
        str(src).encode(), str(dst).encode(), llama_cpp.byref(params)
    )
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize({quant}) failed with code {rc}")


def build_model(
    path: Path,
    *,
    shape: str = "tiny",
    vocab: str = "auto",
    fim: bool = True,
    pre_tokenizer: str | None = "deepseek-coder",
    quant: str | None = None,
    seed: int = 0,
    repo_tokens: bool = False,
) -> Path:
    """Write a random-weight llama-architecture GGUF with a real tokenizer to ``path``.

    shape: "tiny" | "1.3b" | "6.7b" (| "small": tiny-ish but k-quant friendly).
    vocab: "deepseek" (the fixture), "synthetic", or "auto" (deepseek when the fixture exists).
    fim=False renames the FIM markers so llama.cpp reports no FIM tokens (prefix-only model).
    repo_tokens=True adds `<|repo_name|>` and `<|file_sep|>` (Qwen2.5-Coder) as control tokens.
    pre_tokenizer: tokenizer.ggml.pre value; None omits the key (legacy GGUFs).
    quant: None (tiny/small F32, larger F16), "Q8_0" or "Q4_K_M" (via llama_model_quantize).
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {sorted(SHAPES)}, not {shape!r}")
    if quant is not None and quant not in QUANT_FTYPES:
        raise ValueError(f"quant must be None or one of {sorted(QUANT_FTYPES)}, not {quant!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kind, fixture = resolve_vocab(vocab)
    fields = tokenizer_fields(kind, fixture, fim, pre_tokenizer, repo_tokens)
    if quant is None:
        _write_gguf(
            path, shape, fields, "float32" if shape in ("tiny", "small") else "float16", seed
        )
        return path
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.f16.tmp")
    try:
        _write_gguf(tmp, shape, fields, "float16", seed)
        _quantize(tmp, path, quant)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _default_cache_dir() -> Path:
    try:
        from xdg_base_dirs import xdg_cache_home
    except ImportError:  # pragma: no cover - xdg-base-dirs is a runtime dependency
        return (
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
            / "coderd"
            / "synthetic"
        )
    return xdg_cache_home() / "coderd" / "synthetic"


def cached_model(shape: str = "tiny", *, cache_dir: Path | None = None, **kw: Any) -> Path:
    """build_model once per distinct argument set into a cache directory; reuse thereafter."""
    cache_dir = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
    # Resolve "auto" first so the name says what is inside, and a fixture appearing later
    # doesn't silently alias the synthetic build.
    vocab, _ = resolve_vocab(kw.pop("vocab", "auto"))
    args = {
        "shape": shape,
        "vocab": vocab,
        "fim": True,
        "pre_tokenizer": "deepseek-coder",
        "quant": None,
        "seed": 0,
        **kw,
    }
    key = json.dumps({"format": FORMAT_VERSION, **args}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    final = cache_dir / f"synthetic-{shape}-{vocab}-{args['quant'] or 'f'}-{digest}.gguf"
    if final.is_file():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Concurrent builders each write a private temp file and atomically rename it into place,
    # so no reader ever sees a half-written model (the last rename wins; the bytes are equal).
    tmp = cache_dir / f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        build_model(tmp, **args)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final
