"""What this machine and this llama.cpp build can do: cores, memory, offload."""

from __future__ import annotations

import os

import psutil


def physical_cores() -> int:
    """Decoding is memory-bound: threads beyond the physical cores only add contention."""
    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


def available_memory_bytes() -> int:
    return int(psutil.virtual_memory().available)


def resolve_threads(configured: int) -> int:
    return configured if configured > 0 else physical_cores()


# -- what the llama.cpp build supports (`llama_print_system_info`, `llama_supports_gpu_offload`) --

GPU_BACKENDS = ("CUDA", "Metal", "Vulkan", "ROCm", "HIP", "SYCL", "OpenCL", "CANN", "MUSA")


def build_features(system_info: str, gpu_offload: bool) -> dict:
    """Parse llama.cpp's system info ("CPU : SSE3 = 1 | AVX2 = 1 | ... | CUDA : ARCHS = 890 | ...").

    Returns the CPU features switched on, the GPU backends compiled in, and whether layers can
    be offloaded. A backend appears in the string only when the build has it.
    """
    cpu: list[str] = []
    section = ""
    for part in system_info.split("|"):
        head, sep, rest = part.partition(" : ")
        if sep:  # "CUDA : ARCHS = 890" opens the CUDA section
            section, part = head.strip(), rest
        name, _, value = part.partition("=")
        if section == "CPU" and value.strip() == "1" and name.strip():
            cpu.append(name.strip())
    lowered = system_info.lower()
    backends = [
        b for b in GPU_BACKENDS if f"{b.lower()} :" in lowered or f"{b.lower()} =" in lowered
    ]
    return {"cpu_features": cpu, "gpu_backends": backends, "gpu_offload": bool(gpu_offload)}
