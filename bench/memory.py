"""Memory of the processes that hold the model: one per editor, or one shared daemon.

The pid comes from coderd/status (`pid`: the process holding the model, the daemon's when
shared); a server that does not report it is taken to hold the model itself. PSS splits the
mmapped model file among the processes that share its pages, so it tells three standalone
servers (three copies of the KV cache and buffers, one of the weights' page cache) from one.
"""

from __future__ import annotations

import psutil

from .trace_replay import Editor


def proc_rss(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes; PSS splits the model's mmapped pages among the processes sharing them."""
    try:
        p = psutil.Process(pid)
        full = p.memory_full_info()
        return full.rss, getattr(full, "pss", 0)
    except psutil.Error:
        return 0, 0


def measure(editors: list[Editor], statuses: list[dict]) -> dict:
    model_pids = {s.get("pid") or e.pid for s, e in zip(statuses, editors)}
    editor_pids = {e.pid for e in editors}
    relays = editor_pids - model_pids
    rss = {pid: proc_rss(pid) for pid in model_pids | relays}
    if len(editors) == 1:
        mode = "standalone" if model_pids == editor_pids else "relay + daemon"
    else:
        mode = (
            f"shared daemon ({len(model_pids)} model process)"
            if len(model_pids) == 1
            else f"{len(model_pids)} model processes (no sharing)"
        )
    return {
        "editors": len(editors),
        "mode": mode,
        "status_pid": all(s.get("pid") for s in statuses),
        "model_rss_mb": mb(sum(rss[p][0] for p in model_pids)),
        "model_pss_mb": mb(sum(rss[p][1] for p in model_pids)),
        "relay_rss_mb": mb(sum(rss[p][0] for p in relays)),
    }


def mb(n: int) -> int:
    return round(n / 2**20)
