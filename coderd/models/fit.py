"""Will a model fit this machine, with which settings, and which model to recommend.

Memory for a run = the weights (the file, mapped) + the KV cache (n_ctx positions x bytes per
position) + compute buffers. The KV figure comes from the catalogue or from the file's own
header (gguf_meta), so `coderd doctor` is right for files the catalogue does not know; both
give it for an f16 cache, and `kv_bytes` scales it to model.kv_cache_type.
On a GPU build the weights and cache go to the GPU, whose memory llama.cpp does not report to
us; then only the host side is checked and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from coderd.models.catalog import STARTER_INSTALL, Catalog, Entry
from coderd.models.gguf_meta import GGUFHeader
from coderd.system.hardware import physical_cores, resolve_threads

GiB = 2**30
MiB = 2**20
COMPUTE_OVERHEAD = 384 * MiB  # compute buffers, the runtime, the vocabulary
HEADROOM = 0.85  # leave the editor and the system some of what is free
MIN_CTX = 1024  # below this a FIM prompt (prefix + suffix + context) is starved
# Bytes per cached element: ggml's q8_0 block is 32 values in 34 bytes (int8 + an f16 scale),
# q4_0's 32 values in 18 bytes.
KV_ELEMENT_BYTES = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}


def kv_bytes(f16_bytes_per_token: int, kv_type: str = "f16") -> int:
    """KV bytes per context position for a cache of `kv_type`, from the f16 figure."""
    return int(f16_bytes_per_token * KV_ELEMENT_BYTES[kv_type] / 2)


@dataclass(frozen=True)
class Shape:
    size_bytes: int
    kv_bytes_per_token: int
    context_length: int
    architecture: str = ""
    mla: bool | None = None  # deepseek2 only: True = MLA cache, False = legacy (9x larger)

    @classmethod
    def of_entry(cls, entry: Entry) -> Shape:
        return cls(
            entry.size_bytes,
            entry.kv_bytes_per_token,
            entry.context_length,
            entry.architecture,
            False if entry.architecture == "deepseek2" else None,
        )

    @classmethod
    def of_header(cls, header: GGUFHeader) -> Shape:
        kv, mla = kv_bytes_per_token(header)
        ctx = header.arch_value("context_length")
        return cls(
            header.file_size,
            kv,
            int(ctx) if isinstance(ctx, int) else 0,
            header.architecture or "",
            mla,
        )

    def need_bytes(self, n_ctx: int, kv_type: str = "f16") -> int:
        return (
            self.size_bytes + n_ctx * kv_bytes(self.kv_bytes_per_token, kv_type) + COMPUTE_OVERHEAD
        )


def _int(value: object, default: int = 0) -> int:
    if isinstance(value, list):  # per-layer arrays (some architectures): take the largest
        value = max(value) if value else default
    return int(value) if isinstance(value, (int, float)) else default


def kv_bytes_per_token(h: GGUFHeader) -> tuple[int, bool | None]:
    """f16 KV bytes per context position, and (deepseek2 only) whether the file uses MLA."""
    n_layer = _int(h.arch_value("block_count"))
    n_embd = _int(h.arch_value("embedding_length"))
    n_head = _int(h.arch_value("attention.head_count"), 1) or 1
    n_head_kv = _int(h.arch_value("attention.head_count_kv"), n_head) or n_head
    if h.architecture == "deepseek2":
        mla = (h.arch_value("attention.key_length_mla") is not None) or h.has_tensor(
            "attn_k_b.weight"
        )
        if mla:
            per_layer = _int(h.arch_value("attention.kv_lora_rank")) + _int(
                h.arch_value("rope.dimension_count")
            )
        else:
            per_layer = n_head * (
                _int(h.arch_value("attention.key_length"))
                + _int(h.arch_value("attention.value_length"))
            )
        return n_layer * per_layer * 2, mla
    head_k = _int(h.arch_value("attention.key_length"), n_embd // n_head)
    head_v = _int(h.arch_value("attention.value_length"), head_k)
    return n_layer * n_head_kv * (head_k + head_v) * 2, None


@dataclass(frozen=True)
class Plan:
    fits: bool
    n_ctx: int
    kv_type: str
    gpu_layers: int
    threads: int
    need_bytes: int
    available_bytes: int
    notes: tuple[str, ...]

    @property
    def message(self) -> str:
        return "; ".join(self.notes)


def plan(
    shape: Shape,
    *,
    n_ctx: int,
    available: int,
    gpu_offload: bool,
    threads: int = 0,
    gpu_layers: int = -1,
    kv_type: str = "f16",
) -> Plan:
    """Settings for this model on this machine; fits=False with the reason when it cannot run."""
    notes: list[str] = []
    per_token = kv_bytes(shape.kv_bytes_per_token, kv_type)
    layers = gpu_layers if gpu_layers >= 0 else (999 if gpu_offload else 0)
    n_threads = resolve_threads(threads)
    want = min(n_ctx, shape.context_length) if shape.context_length else n_ctx
    if want < n_ctx:
        notes.append(f"n_ctx {n_ctx} is above the model's training context; using {want}")
    if shape.mla is False:
        notes.append(
            "legacy deepseek2 GGUF (converted before llama.cpp's MLA cache): "
            "its KV cache is about 9x larger; a re-converted file saves memory"
        )
    if gpu_offload and layers > 0:
        # Weights and KV cache live in GPU memory (unified memory on Apple Silicon).
        notes.append("GPU offload: the model goes to GPU memory, which is not checked here")
        return Plan(
            True,
            want,
            kv_type,
            layers,
            n_threads,
            shape.need_bytes(want, kv_type),
            available,
            tuple(notes),
        )
    budget = int(available * HEADROOM)
    if shape.size_bytes + COMPUTE_OVERHEAD + MIN_CTX * per_token > budget:
        need = shape.need_bytes(MIN_CTX, kv_type)
        notes.insert(
            0,
            f"needs about {need / GiB:.1f} GiB (weights {shape.size_bytes / GiB:.1f} GiB "
            f"+ KV cache for {MIN_CTX} positions), but only {available / GiB:.1f} GiB "
            "of memory is available",
        )
        return Plan(False, want, kv_type, layers, n_threads, need, available, tuple(notes))
    fitted = want
    while fitted > MIN_CTX and shape.need_bytes(fitted, kv_type) > budget:
        fitted //= 2
    fitted = max(fitted, MIN_CTX)
    if fitted < want:
        notes.append(
            f"n_ctx lowered from {want} to {fitted} to fit {available / GiB:.1f} GiB available"
        )
    return Plan(
        True,
        fitted,
        kv_type,
        layers,
        n_threads,
        shape.need_bytes(fitted, kv_type),
        available,
        tuple(notes),
    )


# Which catalogue entries suit which machine, best first. CPU decoding speed falls with model
# size (1.3B Q4_K_M: 26 tokens/s on 2 cores), so without a GPU the 1.3B model is the one that
# answers within a keystroke; with a GPU, the largest that fits.
CPU_CHOICES = ("deepseek-coder-1.3b-base:Q8_0", "deepseek-coder-1.3b-base:Q4_K_M")
GPU_CHOICES = (
    "deepseek-coder-33b-base:Q4_K_M",
    "deepseek-coder-6.7b-base:Q8_0",
    "deepseek-coder-6.7b-base:Q4_K_M",
    "deepseek-coder-1.3b-base:Q8_0",
    "deepseek-coder-1.3b-base:Q4_K_M",
)
FAST_CPU_CORES = 8
REC_CTX = 2048


@dataclass(frozen=True)
class Recommendation:
    entry: Entry | None
    reason: str


def fits(entry: Entry, *, n_ctx: int, available: int, kv_type: str = "f16") -> bool:
    return Shape.of_entry(entry).need_bytes(n_ctx, kv_type) <= available * HEADROOM


def recommend(
    catalog: Catalog,
    *,
    available: int,
    gpu_offload: bool,
    cores: int | None = None,
    n_ctx: int = REC_CTX,
) -> Recommendation:
    cores = cores or physical_cores()
    choices: tuple[str, ...]
    if gpu_offload:
        # GPU memory is unknown here; host memory bounds what can be mapped and is the GPU's
        # own on Apple Silicon, so it is the bound we can check.
        choices, why = GPU_CHOICES, "GPU offload available: the largest model that fits memory"
    elif cores >= FAST_CPU_CORES:
        choices, why = (
            CPU_CHOICES,
            f"CPU only, {cores} cores: 1.3B keeps completions within a keystroke",
        )
    else:
        choices, why = (
            CPU_CHOICES[1:],
            f"CPU only, {cores} cores: the smallest DeepSeek model is the fast one",
        )
    for key in choices:
        try:
            entry = catalog.find(key)
        except LookupError:
            continue
        if fits(entry, n_ctx=n_ctx, available=available):
            return Recommendation(entry, why)
    return Recommendation(
        None,
        f"no catalogue model fits {available / GiB:.1f} GiB of available memory; "
        f"the Gemma starter ({STARTER_INSTALL}) needs about 0.7 GiB",
    )
