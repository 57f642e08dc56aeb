"""Warm across restarts (issue #12, item 3): what a daemon knew, kept for the next one.

When the daemon exits (idle or shut down), its worker keeps the completion cache (cache.py
`export`) and, through an engine that can (`KeepsWarm`: the local one, kv_persist.py), the KV
states of the hottest documents, under $XDG_CACHE_HOME/coderd/warm/. The next daemon for the
same model reads them back before its first request: a suggestion typed through before the
restart is answered from the cache again, and a document that was hot costs only what changed
in it. Both are only ever used where the text still matches (the cache's anchor and suffix
checks; the KV states' token ids), and both files name the model they were made with: another
model restores nothing. A file that does not read is ignored with one log line.

The cache file is small (at most cache.TOTAL entries of a few KiB); the KV file is bounded in
kv_persist.py. Secret-looking files' suggestions (.env, keys: context/index/walk.py) are not
written. Worker thread only (it calls the engine).
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlparse

from coderd.completion.cache import CompletionCache, Entry
from coderd.context.index.walk import is_secret_name
from coderd.engine.base import Engine
from coderd.prompt.blocks import Block, ContextBlocks
from coderd.system import paths

log = logging.getLogger(__name__)


@runtime_checkable
class KeepsWarm(Protocol):
    """An engine whose KV states can outlive it (llama/engine.py)."""

    def save_warm(self) -> int: ...

    def restore_warm(self) -> int: ...


def model_identity(engine: Engine) -> str:
    """The model the suggestions came from: its file (path, size, mtime), or its name."""
    info = engine.info
    try:
        stat = os.stat(info.path)
        return json.dumps([os.path.realpath(info.path), stat.st_size, stat.st_mtime_ns])
    except (OSError, ValueError):
        return json.dumps([info.path, info.name])


def cache_file(ident: str) -> Path:
    return paths.cache_dir() / "warm" / f"completions-{zlib.crc32(ident.encode()):08x}.json"


def save(engine: Engine, cache: CompletionCache, blocks: ContextBlocks | None = None) -> None:
    """The daemon exits: keep its completion cache, hottest KV states and the context blocks
    those states hold (prompt/blocks.py: retrieval in the next daemon may give others)."""
    ident = model_identity(engine)
    entries = [(uri, e) for uri, e in cache.export() if not _secret(uri)]
    path = cache_file(ident)
    states = 0
    try:
        if isinstance(engine, KeepsWarm):
            states = engine.save_warm()
        paths.ensure_dir(path.parent)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        rows = [[uri, e.prefix_len, e.anchor, e.suffix_head, list(e.texts)] for uri, e in entries]
        kept = [
            [doc, b.text, list(b.ids), list(b.chunks), b.shown]
            for doc, b in (blocks.kept() if blocks is not None else [])
            if not _secret(doc)
        ]
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            json.dump({"identity": ident, "entries": rows, "blocks": kept}, out, default=str)
        os.replace(tmp, path)
    except OSError as exc:  # a full or read-only disk: the next start is only colder
        log.warning("warm start: cannot keep the state for the next start: %s", exc)
        return
    log.info("warm start: kept %d KV states and %d suggestions", states, len(entries))


def restore(engine: Engine, cache: CompletionCache, blocks: ContextBlocks | None = None) -> None:
    """The daemon starts: take back what the last one for this model kept."""
    states = engine.restore_warm() if isinstance(engine, KeepsWarm) else 0
    ident = model_identity(engine)
    path = cache_file(ident)
    entries: list[tuple[str, Entry]] = []
    kept: list[tuple[str, Block]] = []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["identity"] != ident:
            log.info("warm start: %s was kept for another model; not restored", path)
        else:
            for uri, prefix_len, anchor, suffix_head, texts in data["entries"]:
                entry = Entry(int(prefix_len), str(anchor), str(suffix_head), tuple(texts))
                if not all(isinstance(t, str) for t in entry.texts):
                    raise TypeError("a suggestion that is not text")
                entries.append((str(uri), entry))
            for doc, text, ids, chunks, shown in data.get("blocks", []):
                block = Block(str(text), tuple(int(i) for i in ids), tuple(chunks), str(shown))
                if not all(isinstance(c, dict) for c in block.chunks):
                    raise TypeError("a context chunk that is not a mapping")
                kept.append((str(doc), block))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.info("warm start: %s ignored (%s)", path, exc)
        entries, kept = [], []
    cache.adopt(entries)
    if blocks is not None:
        blocks.keep(kept)
    if states or entries:
        log.info("warm start: %d KV states and %d suggestions restored", states, len(entries))


def _secret(uri: str) -> bool:
    name = Path(unquote(urlparse(uri).path)).name
    return bool(name) and is_secret_name(name)
