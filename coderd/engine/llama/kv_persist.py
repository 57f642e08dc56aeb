"""KV states that outlive the daemon: the hottest documents' cells, kept on disk at exit.

When the daemon exits (idle, or shut down) the worker writes what the slots hold and the saved
states (kv_store.py), most recently used first, to one file per model in
$XDG_CACHE_HOME/coderd/warm/; the next daemon for the same model file reads them back as saved
states of no slot (`kv_store.ANY`). A state is only valid for the very tokens it holds, so its
token ids travel with it, and kv_sequences.py `resume` restores it only where a prompt shares
them (another text finds nothing to take). The file names the model file (path, size, mtime),
the KV cache type and the llama.cpp build: another model, or one rebuilt, restores nothing.

Bounded: at most `kv_store.MAX_BYTES` (what the daemon held in host memory anyway: a couple
of 600-token prompts of a 1.3B model in f16) and never more than a `FREE_DISK_SHARE`th of the
free disk. A file that is truncated, corrupt or of another model is ignored with one log line.
The file holds the prompts' token ids, that is the code: it is written 0600 in a 0700 folder.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import llama_cpp

from coderd.engine.llama.kv_plan import CacheState
from coderd.engine.llama.kv_store import ANY, MAX_BYTES, SavedState
from coderd.engine.llama.runtime import system_info
from coderd.system import paths

log = logging.getLogger(__name__)

MAGIC = b"coderd-kv-states 1\n"
FREE_DISK_SHARE = 10
LENGTH = struct.Struct("<Q")


def identity(model_path: str, kv_cache_type: str) -> str:
    """What a state depends on besides its tokens: the model file, the cache type, the build."""
    stat = os.stat(model_path)
    build = f"{getattr(llama_cpp, '__version__', '?')} {system_info()}"
    return json.dumps([os.path.realpath(model_path), stat.st_size, stat.st_mtime_ns,
                       kv_cache_type, build])  # fmt: skip


def file_for(ident: str) -> Path:
    return paths.cache_dir() / "warm" / f"kv-{zlib.crc32(ident.encode()):08x}.bin"


def save(states: Sequence[SavedState], ident: str, path: Path) -> int:
    """Write the hottest of `states` (most recent first) within the bound; returns how many."""
    paths.ensure_dir(path.parent)
    budget = min(MAX_BYTES, shutil.disk_usage(path.parent).free // FREE_DISK_SHARE)
    chosen: list[SavedState] = []
    for state in states:
        if state.size <= budget - sum(s.size for s in chosen):
            chosen.append(state)
    header = json.dumps(
        {
            "identity": ident,
            "states": [
                {
                    "tokens": s.record.tokens,
                    "head_len": s.record.head_len,
                    "block": list(s.record.block),
                    "drift": s.record.drift,
                    "size": s.size,
                    "crc": zlib.crc32(memoryview(s.data)),
                }
                for s in chosen
            ],
        }
    ).encode()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        out.write(MAGIC + LENGTH.pack(len(header)) + header)
        for s in chosen:
            out.write(memoryview(s.data))
    os.replace(tmp, path)
    return len(chosen)


def load(ident: str, path: Path) -> list[SavedState]:
    """The states kept in `path` for this model, most recent first; none (one log line) when
    the file is missing, another model's, truncated or corrupt."""
    try:
        with open(path, "rb") as f:
            if f.read(len(MAGIC)) != MAGIC:
                raise ValueError("not a coderd KV state file")
            (length,) = LENGTH.unpack(f.read(LENGTH.size))
            header = json.loads(f.read(length))
            if header["identity"] != ident:
                log.info("warm start: %s was kept for another model file; not restored", path)
                return []
            states = []
            for entry in header["states"]:
                data = (ctypes.c_ubyte * int(entry["size"]))()
                if f.readinto(data) != len(data) or zlib.crc32(memoryview(data)) != entry["crc"]:
                    raise ValueError("truncated or corrupt")
                record = CacheState(
                    [int(t) for t in entry["tokens"]],
                    None if entry["head_len"] is None else int(entry["head_len"]),
                    tuple(int(t) for t in entry["block"]),
                    int(entry["drift"]),
                )
                states.append(SavedState(ANY, record, data))
            return states
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError, struct.error) as exc:
        log.info("warm start: %s ignored (%s)", path, exc)
        return []
