"""Read a GGUF header in pure Python: metadata, tensor infos, and whether the file is complete.

llama.cpp's vocabulary-only load does not look at tensor data, so a truncated download would
pass it; here the tensor table tells where the data must end. Arrays are skipped except
tokenizer.ggml.tokens, whose length is kept (the vocabulary size). Only the header is read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
# GGUF value types -> struct format (strings 8 and arrays 9 are handled apart).
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
# ggml type -> (elements per block, bytes per block), from ggml.h / gguf-py GGML_QUANT_SIZES.
GGML_TYPE_SIZES = {
    0: (1, 4),
    1: (1, 2),
    2: (32, 18),
    3: (32, 20),
    6: (32, 22),
    7: (32, 24),
    8: (32, 34),
    9: (32, 40),
    10: (256, 84),
    11: (256, 110),
    12: (256, 144),
    13: (256, 176),
    14: (256, 210),
    15: (256, 292),
    16: (256, 66),
    17: (256, 74),
    18: (256, 98),
    19: (256, 50),
    20: (32, 18),
    21: (256, 110),
    22: (256, 82),
    23: (256, 136),
    24: (1, 1),
    25: (1, 2),
    26: (1, 4),
    27: (1, 8),
    28: (1, 8),
    29: (256, 56),
    30: (1, 2),
    34: (256, 54),
    35: (256, 66),
    39: (32, 17),
    40: (64, 36),
    41: (128, 18),
}
MAX_STRING = 1 << 24  # a header string longer than 16 MiB means a corrupt file


class GGUFError(ValueError):
    pass


@dataclass(frozen=True)
class Tensor:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int

    def nbytes(self) -> int | None:
        size = GGML_TYPE_SIZES.get(self.ggml_type)
        if size is None:
            return None
        count = 1
        for dim in self.shape:
            count *= dim
        block, type_size = size
        return count // block * type_size


@dataclass(frozen=True)
class GGUFHeader:
    path: Path
    version: int
    metadata: dict[str, object]
    tensors: tuple[Tensor, ...]
    data_start: int
    file_size: int
    vocab_size: int | None

    @property
    def architecture(self) -> str | None:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else None

    def arch_value(self, key: str) -> object:
        return self.metadata.get(f"{self.architecture}.{key}")

    def data_end(self) -> int | None:
        """Where the last tensor's data ends, or None when a tensor type is unknown here."""
        end = self.data_start
        for tensor in self.tensors:
            nbytes = tensor.nbytes()
            if nbytes is None:
                return None
            end = max(end, self.data_start + tensor.offset + nbytes)
        return end

    def has_tensor(self, suffix: str) -> bool:
        return any(t.name.endswith(suffix) for t in self.tensors)


class _Reader:
    def __init__(self, f: BinaryIO, path: Path) -> None:
        self.f, self.path = f, path

    def take(self, n: int) -> bytes:
        data = self.f.read(n)
        if len(data) != n:
            raise GGUFError(f"{self.path} is truncated: its header ends early")
        return data

    def scalar(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.scalar("<Q")
        if n > MAX_STRING:
            raise GGUFError(f"{self.path}: a header string claims {n} bytes; the file is corrupt")
        return self.take(n).decode("utf-8", "replace")

    def value(self, vtype: int, *, keep: bool = True):
        if vtype in _SCALARS:
            return self.scalar(_SCALARS[vtype])
        if vtype == 8:
            return self.string()
        if vtype == 9:
            item_type, count = self.scalar("<I"), self.scalar("<Q")
            if item_type in _SCALARS and not keep:
                self.f.seek(struct.calcsize(_SCALARS[item_type]) * count, 1)
                return count
            items = [self.value(item_type, keep=keep) for _ in range(count)]
            return items if keep else count
        raise GGUFError(f"{self.path}: unknown GGUF value type {vtype}; the file is corrupt")


def read_header(path: Path) -> GGUFHeader:
    """Parse the header; raises GGUFError for a non-GGUF, corrupt or truncated header."""
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as f:
        magic = f.read(4)
        if magic != MAGIC:
            raise GGUFError(f"{path} is not a GGUF file (it starts with {magic!r}, not b'GGUF')")
        r = _Reader(f, path)
        version = r.scalar("<I")
        if version not in (2, 3):
            raise GGUFError(f"{path}: GGUF version {version} is not supported (2 or 3 expected)")
        n_tensors, n_kv = r.scalar("<Q"), r.scalar("<Q")
        if n_tensors > 1_000_000 or n_kv > 1_000_000:
            raise GGUFError(f"{path}: implausible header counts; the file is corrupt")
        metadata: dict[str, object] = {}
        vocab_size = None
        for _ in range(n_kv):
            key = r.string()
            vtype = r.scalar("<I")
            if vtype == 9:
                # Keep small arrays; only count big ones (the vocabulary, merges, token types).
                value = r.value(vtype, keep=False)
                if key == "tokenizer.ggml.tokens":
                    vocab_size = int(value)
                metadata[key] = f"<array of {value}>"
            else:
                metadata[key] = r.value(vtype)
        tensors = []
        for _ in range(n_tensors):
            name = r.string()
            n_dims = r.scalar("<I")
            shape = tuple(r.scalar("<Q") for _ in range(n_dims))
            tensors.append(Tensor(name, shape, r.scalar("<I"), r.scalar("<Q")))
        alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        alignment = alignment if isinstance(alignment, int) and alignment > 0 else DEFAULT_ALIGNMENT
        pos = f.tell()
        data_start = (pos + alignment - 1) // alignment * alignment
    return GGUFHeader(path, version, metadata, tuple(tensors), data_start, size, vocab_size)


def check_complete(header: GGUFHeader) -> None:
    """Raise GGUFError when the tensor data runs past the end of the file (a cut download)."""
    end = header.data_end()
    if end is not None and end > header.file_size:
        raise GGUFError(
            f"{header.path} is truncated: its tensors need {end:,} bytes but the file has "
            f"{header.file_size:,} (an interrupted download or copy?)"
        )
