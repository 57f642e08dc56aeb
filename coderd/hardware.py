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
