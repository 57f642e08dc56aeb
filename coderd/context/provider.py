"""Repository context for one completion: the seam between the service and the index.

The event loop calls `set_buffer` / `clear_buffer` (cheap: the index parses in its own
thread). The completion worker calls `context_for`, which retrieves, packs and caches: while
the retrieved definitions and their files are unchanged it returns the very same text, so the
context block at the head of the prompt stays in the KV cache.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from ..config import ContextSettings
from .pack import PackedContext, pack, read_file
from .registry import IndexRegistry
from .retrieve import retrieve
from .index import WorkspaceIndex

log = logging.getLogger(__name__)


class ContextProvider:
    def __init__(self, settings: ContextSettings, roots: list[Path],
                 registry: IndexRegistry | None = None) -> None:
        self.settings = settings
        # Deepest first, so a nested workspace folder wins over its parent.
        self.roots = sorted({r.resolve() for r in roots}, key=lambda r: len(r.parts), reverse=True)
        self.registry = registry or IndexRegistry()
        self._indexes: dict[Path, WorkspaceIndex] = {}
        self._lock = threading.Lock()
        self._last: dict[str, tuple[tuple, PackedContext]] = {}

    def index_for(self, path: Path) -> WorkspaceIndex | None:
        """The index of the workspace root holding `path` (created, and built in the background, on first use)."""
        path = path.resolve()
        for root in self.roots:
            if path == root or root in path.parents:
                with self._lock:  # the event loop and the worker both get here
                    if root not in self._indexes:
                        self._indexes[root] = self.registry.get_or_create(root)
                    return self._indexes[root]
        return None

    def set_buffer(self, path: Path, text: str):
        """Returns the index's Future for the parse (None outside every workspace)."""
        index = self.index_for(path)
        return index.set_buffer(path, text) if index is not None else None

    def clear_buffer(self, path: Path) -> None:
        index = self.index_for(path)
        if index is not None:
            index.clear_buffer(path)

    def context_for(self, path: Path, text: str, offset: int,
                    tokenize: Callable[[str], list[int]]) -> PackedContext | None:
        if not self.settings.enabled or self.settings.budget_tokens <= 0:
            return None
        index = self.index_for(path)
        rel = index.relative(path) if index is not None else None
        if index is None or rel is None:
            return None
        candidates = retrieve(index, rel, text, offset, self.settings.nearby_lines)
        # Same definitions, same parsed files (FileSymbols objects are replaced on every
        # re-parse): same text, without reading or tokenising anything.
        signature = (rel, self.settings.budget_tokens,
                     tuple((c.ref.path, c.ref.definition, id(index.file(c.ref.path))) for c in candidates))
        cached = self._last.get(str(path))
        if cached is not None and cached[0] == signature:
            return cached[1]

        def read(file: str) -> str | None:
            buffered = index.buffer_text(file)
            return buffered if buffered is not None else read_file(index.root, file)

        def members_of(file: str, container: str):
            symbols = index.file(file)
            return [d for d in symbols.definitions if d.container == container] if symbols else []

        packed = pack(candidates, current_path=rel, read=read, members_of=members_of,
                      tokenize=tokenize, budget=self.settings.budget_tokens)
        self._last[str(path)] = (signature, packed)
        return packed

    def forget(self, path: Path) -> None:
        self._last.pop(str(path), None)

    def close(self) -> None:
        self.registry.close_all()
