"""Repository context for one completion: the seam between the service and the index.

The event loop calls `set_buffer` / `clear_buffer` (cheap: the index parses in its own
thread, and they never create an index; `start()` does that in the background). The completion worker calls `context_for`, which retrieves, packs and caches: while
the retrieved definitions and their files are unchanged it returns the very same text, so the
context block at the head of the prompt stays in the KV cache.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from ..config import ContextSettings
from .pack import PackedContext, RepoFormat, pack, read_file, select_members
from .recent import RecentRegions
from .registry import IndexRegistry
from .retrieve import is_type, retrieve, usage_of
from .index import WorkspaceIndex

log = logging.getLogger(__name__)


class ContextProvider:
    def __init__(self, settings: ContextSettings, roots: list[Path],
                 registry: IndexRegistry | None = None, *, repo_format: RepoFormat | None = None,
                 recent: RecentRegions | None = None) -> None:
        self.settings = settings
        # Deepest first, so a nested workspace folder wins over its parent.
        self.roots = sorted({r.resolve() for r in roots}, key=lambda r: len(r.parts), reverse=True)
        self.registry = registry or IndexRegistry()
        self._indexes: dict[Path, WorkspaceIndex] = {}
        self._lock = threading.Lock()
        self._resolved: dict[str, Path] = {}
        self._last: dict[str, tuple[tuple, PackedContext]] = {}
        self._texts: dict[tuple, str | None] = {}  # worker thread only
        self._tokens: dict[str, list[int]] = {}  # worker thread only; one tokenizer per provider
        self.repo_format = repo_format  # None: DeepSeek's "# path" headers
        self.recent = recent if recent is not None else RecentRegions()

    def start(self) -> None:
        """Create (walk, watch, build) the roots' indexes in the background, not on first use:
        starting a recursive watch takes a while on a big tree and must not hold up a caller."""
        threading.Thread(target=lambda: [self.index_for(r) for r in self.roots],
                         name="coderd-index-start", daemon=True).start()

    def index_for(self, path: Path, *, create: bool = True) -> WorkspaceIndex | None:
        """The index of the workspace root holding `path`; created on first use unless
        `create` is False (the event loop's calls: they only ever find an existing one)."""
        path = self._resolve(path)
        for root in self.roots:
            if path == root or root in path.parents:
                with self._lock:  # the event loop, the worker and start() all get here
                    if root not in self._indexes and create:
                        self._indexes[root] = self.registry.get_or_create(root)
                    return self._indexes.get(root)
        return None

    def _resolve(self, path: Path) -> Path:
        """Symlinks resolved once per document, not on every keystroke (it costs syscalls)."""
        key = str(path)
        resolved = self._resolved.get(key)
        if resolved is None:
            if len(self._resolved) > 4096:
                self._resolved.clear()
            resolved = self._resolved[key] = Path(path).resolve()
        return resolved

    def set_buffer(self, path: Path, text: str):
        """Returns the index's Future for the parse (None outside every workspace, or while
        the index is not created yet: it then reads the file from disk).
        Also records the changed region (or, on open, the file) in the recent ring buffer."""
        index = self.index_for(path, create=False)
        if index is None:
            return None
        self.recent.record_change(Path(path), index.buffer_text(path), text)
        return index.set_buffer(path, text)

    def clear_buffer(self, path: Path) -> None:
        index = self.index_for(path, create=False)
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
        own = index.file(rel)
        usage = usage_of(text, offset, own.imports if own is not None else ())
        candidates = retrieve(index, rel, text, offset, self.settings.nearby_lines,
                              recent=self.recent, usage=usage)
        # The cursor's region of this file is "viewed": other files' completions may use it.
        self.recent.record(Path(path), text.count("\n", 0, offset) + 1, "view")

        def members_of(file: str, container: str):
            symbols = index.file(file)
            return [d for d in symbols.definitions if d.container == container] if symbols else []

        # Same definitions, same parsed files (FileSymbols objects are replaced on every
        # re-parse), same members shown: same text, without reading or tokenising anything.
        signature = (rel, self.settings.budget_tokens, self.repo_format,
                     tuple((c.ref.path, c.ref.definition, id(index.file(c.ref.path)),
                            tuple(m.name for m in select_members(members_of(c.ref.path, c.ref.definition.name), usage.members))
                            if is_type(c.ref.definition) else ())
                           for c in candidates))
        cached = self._last.get(str(path))
        if cached is not None and cached[0] == signature:
            return cached[1]

        def read(file: str) -> str | None:
            buffered = index.buffer_text(file)
            if buffered is not None:
                return buffered
            key = (index.root, file, id(index.file(file)))  # re-parsed on every change on disk
            if key not in self._texts:
                if len(self._texts) > 256:
                    self._texts.clear()
                self._texts[key] = read_file(index.root, file)
            return self._texts[key]

        def count(text: str) -> list[int]:
            """Token ids of a snippet, memoised (the same snippets come back request after request)."""
            ids = self._tokens.get(text)
            if ids is None:
                if len(self._tokens) > 8192:
                    self._tokens.clear()
                ids = self._tokens[text] = tokenize(text)
            return ids

        packed = pack(candidates, current_path=rel, read=read, members_of=members_of,
                      tokenize=count, budget=self.settings.budget_tokens,
                      used_members=usage.members, repo_format=self.repo_format)
        self._last[str(path)] = (signature, packed)
        return packed

    def forget(self, path: Path) -> None:
        self._last.pop(str(path), None)
        self.recent.forget(Path(path))

    def close(self) -> None:
        self.registry.close_all()
