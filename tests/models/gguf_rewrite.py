"""Edited copies of a good GGUF, built at test time: a tensor left out, a metadata value changed,
tensors replaced (a wider feed-forward: the same model with more weights).

The header stays well-formed and the tensor data complete, so the pure-Python checks
(gguf_meta) pass: only llama.cpp's own loader can tell what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def rewrite(
    src: Path,
    dst: Path,
    *,
    drop: frozenset[str] = frozenset(),
    values: dict | None = None,
    tensors: dict[str, np.ndarray] | None = None,
) -> Path:
    """Copy `src` to `dst` without the tensors named in `drop`, with metadata `values` set and
    the tensors named in `tensors` replaced."""
    import gguf

    reader = gguf.GGUFReader(src)
    writer = gguf.GGUFWriter(dst, reader.fields["general.architecture"].contents())
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue  # the writer adds these itself
        array = field.types[0] == gguf.GGUFValueType.ARRAY
        value = (values or {}).get(key, field.contents())
        writer.add_key_value(key, value, field.types[0], field.types[-1] if array else None)
    for tensor in reader.tensors:
        if tensor.name in drop:
            continue
        if tensors and tensor.name in tensors:
            writer.add_tensor(tensor.name, tensors[tensor.name])
        else:
            writer.add_tensor(tensor.name, np.array(tensor.data), raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return dst


def widen_ffn(src: Path, dst: Path, n_ff: int) -> Path:
    """The llama model `src` with feed-forward layers `n_ff` wide (zero weights): valid, and
    heavier by about 12 * n_embd * n_ff bytes per layer, whatever its vocabulary."""
    import gguf

    fields = gguf.GGUFReader(src).fields
    n_embd = int(fields["llama.embedding_length"].contents())
    n_layer = int(fields["llama.block_count"].contents())
    wide = np.zeros((n_ff, n_embd), np.float32)
    tensors = {}
    for i in range(n_layer):
        tensors |= {f"blk.{i}.ffn_gate.weight": wide, f"blk.{i}.ffn_up.weight": wide}
        tensors[f"blk.{i}.ffn_down.weight"] = np.zeros((n_embd, n_ff), np.float32)
    return rewrite(src, dst, values={"llama.feed_forward_length": n_ff}, tensors=tensors)
