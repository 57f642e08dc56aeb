"""Repository context for one completion: the seam between the service and the index.

The event loop calls `set_buffer` / `clear_buffer` (cheap: the index parses in its own
thread, and they never create an index), and the workspace changes (`add_root`,
`remove_root`, `files_changed`, `report_builds`, `close`), which roots.py queues for its one
jobs thread. The completion worker calls `context_for` for a document's first prompt and for
prewarms, which retrieves, packs and caches (builder.py): while the retrieved definitions and
their files are unchanged it returns the very same text, so the context block at the head of
the prompt stays in the KV cache; while the user types it only asks `latest` (what the
look-ahead built). The index's buffer thread warms this provider's memos and builds the
context of a keystroke before its request comes (lookahead.py). Builds are not serialised:
the worker and the buffer threads of this and other sessions build at once (every memo has
its own lock). After `start()` the worker only reads indexes; without it (one-shot CLI runs,
tests) it creates the index on first use. `forget` drops all that is kept for a document.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

from coderd.config.settings import ContextSettings
from coderd.context.builder import ContextBuilder
from coderd.context.index.registry import BuildListener, IndexRegistry
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.lookahead import LookAhead
from coderd.context.pack.block import PackedContext, RepoFormat
from coderd.context.pack.hint import NOTHING_SHOWN, BlockShown, ReceiverHint
from coderd.context.retrieve.recent import RecentRegions
from coderd.context.roots import WorkspaceRoots

log = logging.getLogger(__name__)


class ContextProvider:
    def __init__(
        self,
        settings: ContextSettings,
        roots: list[Path],
        registry: IndexRegistry | None = None,
        *,
        repo_format: RepoFormat | None = None,
        recent: RecentRegions | None = None,
    ) -> None:
        self.settings = settings
        self.workspace = WorkspaceRoots(roots, registry)
        self._resolved: dict[str, Path] = {}  # path as given -> resolved (per document)
        self.repo_format = repo_format  # None: DeepSeek's "# path" headers
        self.recent = recent if recent is not None else RecentRegions()
        self.builder = ContextBuilder(settings.nearby_lines, self.recent)
        # The context of a keystroke, built before its request (and the memos warmed).
        self.ahead = LookAhead(
            self._build_ahead, warm=self._warm, stamp=self._index_stamp, hint=self._hint_ahead
        )
        # (tokenize, budget) of the last request's receiver hint: what the look-ahead makes.
        self._hint_args: tuple[Callable[[str], list[int]], int] | None = None

    def start(self) -> None:
        """Indexes are created in the background from now on (roots.py)."""
        self.workspace.start()

    def index_for(self, path: Path, *, create: bool = True) -> WorkspaceIndex | None:
        """The index of the workspace root holding `path`; created on first use unless
        `create` is False (the event loop's calls: they only ever find an existing one)."""
        return self.workspace.index_for(self._resolve(path), create=create)

    # ---- workspace changes: roots.py queues them for its jobs thread -------------------------

    def add_root(self, path: Path) -> None:
        self.workspace.add_root(path)

    def remove_root(self, path: Path) -> None:
        self.workspace.remove_root(path)

    def files_changed(self, paths: Iterable[Path]) -> None:
        self.workspace.files_changed(paths)

    def report_builds(self, listener_for: Callable[[Path], BuildListener]) -> None:
        self.workspace.report_builds(listener_for)

    def on_index_ready(self, callback: Callable[[Path], None]) -> None:
        self.workspace.on_index_ready(callback)

    def describe(self, names: Iterable[str] = ()) -> dict:
        return self.workspace.describe(names)

    def settled(self, timeout: float | None = None) -> bool:
        return self.workspace.settled(timeout)

    @property
    def roots(self) -> tuple[Path, ...]:
        return self.workspace.roots

    @property
    def registry(self) -> IndexRegistry:
        return self.workspace.registry

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
        """Returns a Future for the parse, the warm-up and the look-ahead build after it
        (lookahead.py; None outside every workspace, or while the index is not created yet:
        it then reads the file from disk). Also records the changed region (or, on open, the
        file) in the recent ring buffer."""
        index = self.index_for(path, create=False)
        if index is None:
            return None
        old = index.buffer_text(path)
        self.recent.record_change(Path(path), old, text)
        then = self.ahead.after_parse(Path(path), old, text, lambda: index.buffer_text(path))
        return index.set_buffer(path, text, then)

    def clear_buffer(self, path: Path) -> Future | None:
        """The disk is the truth again; returns the index's re-read (None: no index)."""
        index = self.index_for(path, create=False)
        return index.clear_buffer(path) if index is not None else None

    def context_for(
        self,
        path: Path,
        text: str,
        offset: int,
        tokenize: Callable[[str], list[int]],
        budget: int | None = None,
        *,
        repo_format: RepoFormat | None = None,
    ) -> PackedContext | None:
        """`budget`: tokens for the context (default context.budget_tokens; the service passes
        the one sized for this machine's speed, coderd/budget.py). `repo_format`: the model's
        repository tokens (None: this provider's, by default DeepSeek's "# path" headers);
        without a name it gets the workspace folder's."""
        budget = self.settings.budget_tokens if budget is None else budget
        if not self.settings.enabled or budget <= 0:
            return None
        repo_format = repo_format or self.repo_format
        self.ahead.remember(tokenize, budget, repo_format)
        ready = self.ahead.take(path, text, offset, budget, repo_format)
        if ready is not None:
            self.recent.record(Path(path), text.count("\n", 0, offset) + 1, "view")
            return ready
        return self._build(path, text, offset, tokenize, budget, repo_format)

    def latest(
        self,
        path: Path,
        text: str,
        offset: int,
        tokenize: Callable[[str], list[int]],
        budget: int,
        *,
        repo_format: RepoFormat | None = None,
    ) -> PackedContext | None:
        """What the context at this cursor is, as far as the look-ahead knows, without building
        anything: the newest context built after an edit near it; an empty one when the
        document has no context any more (outside every workspace, context turned off); None
        when the look-ahead has nothing for it (the caller keeps what it has, or builds)."""
        if not self.settings.enabled or budget <= 0 or self.index_for(path, create=False) is None:
            return PackedContext(text="")
        repo_format = repo_format or self.repo_format
        self.ahead.remember(tokenize, budget, repo_format)  # the next look-ahead builds so
        packed = self.ahead.latest(path, text, offset, budget, repo_format)
        if packed is not None:
            self.recent.record(Path(path), text.count("\n", 0, offset) + 1, "view")
        return packed

    def receiver_hint(
        self,
        path: Path,
        text: str,
        offset: int,
        tokenize: Callable[[str], list[int]],
        budget: int,
        shown: BlockShown = NOTHING_SHOWN,
    ) -> ReceiverHint | None:
        """The members of the receiver before the cursor as comment lines for right above the
        cursor's line, but those the prompt's block lists (`shown`: builder.py); None without a
        typed receiver, outside every workspace, or with context turned off. The look-ahead
        makes it after the keystroke's parse (`_hint_ahead`): a request mostly finds it made."""
        if not self.settings.enabled or budget <= 0:
            self._hint_args = None  # none to make ahead either
            return None
        self._hint_args = (tokenize, budget)
        index = self.index_for(path, create=False)
        rel = index.relative(path) if index is not None else None
        if index is None or rel is None:
            return None
        return self.builder.receiver_hint(
            index, rel, str(path), text, offset, tokenize, budget, shown
        )

    def _hint_ahead(self, path: Path, text: str, offset: int) -> None:
        """On the index's buffer thread after a keystroke's parse: the hint its request will
        ask for (kept in builder.hints), once a request asked for one."""
        if self._hint_args is not None:
            # Beside the block of the document's last request, as its next request's will be.
            shown = self.builder.hint_shown(str(path))
            self.receiver_hint(path, text, offset, *self._hint_args, shown)
            index = self.index_for(path, create=False)
            if index is not None:
                self._drop_if_closed(index, path)

    def _index_stamp(self, path: Path) -> object:
        """What a context built for `path` depends on in the index besides `path` itself."""
        index = self.index_for(path, create=False)
        rel = index.relative(path) if index is not None else None
        if index is None or rel is None:
            return None
        return (index.identity, index.generation_without(rel))

    def _warm(self, path: Path, old: str | None, text: str) -> None:
        """On the index's buffer thread, after the parse of `text` landed (lookahead.py)."""
        index = self.index_for(path, create=False)
        rel = index.relative(path) if index is not None else None
        if index is not None and rel is not None:
            self.builder.warm(index, rel, str(path), old, text)
            self._drop_if_closed(index, path)

    def _build_ahead(self, path: Path, *args) -> PackedContext | None:
        packed = self._build(path, *args)
        index = self.index_for(path, create=False)
        if index is not None:
            self._drop_if_closed(index, path)
        return packed

    def _drop_if_closed(self, index: WorkspaceIndex, path: Path) -> None:
        """Work for a document that was closed (forget) while it ran leaves nothing behind."""
        if index.buffer(path) is None:
            self._drop(path)

    def _build(
        self,
        path: Path,
        text: str,
        offset: int,
        tokenize: Callable[[str], list[int]],
        budget: int,
        repo_format: RepoFormat | None,
    ) -> PackedContext | None:
        # In the server (start() called) the worker never creates an index: that may take a
        # while, and a completion does not wait for the workspace.
        index = self.index_for(path, create=not self.workspace.background)
        rel = index.relative(path) if index is not None else None
        if index is None or rel is None:
            return None
        if repo_format is not None and not repo_format.name:
            repo_format = replace(repo_format, name=index.root.name)
        packed = self.builder.build(
            index, rel, str(path), text, offset, tokenize, budget, repo_format
        )
        # The cursor's region of this file is "viewed": other files' completions may use it.
        self.recent.record(Path(path), text.count("\n", 0, offset) + 1, "view")
        return packed

    def document_counts(self) -> dict[str, int]:
        """Entries of every per-document holder of this session and of its indexes (the
        buffers and parse trees of open documents): `coderd/status` reports them."""
        indexes = self.workspace.indexes()
        ahead = self.ahead.sizes()
        return {
            "builder_last": len(self.builder.last),
            "builder_documents": len(self.builder.documents),
            "builder_hints": len(self.builder.hints),
            "ahead_ready": ahead["ready"],
            "ahead_building": ahead["building"],
            "ahead_latest": ahead["latest"],
            "recent": self.recent.document_count(),
            "resolved": len(self._resolved),
            "index_buffers": sum(len(i.buffer_paths()) for i in indexes),
        }

    def forget(self, path: Path) -> Future | None:
        """The editor closed `path` (didClose): its buffer goes (the disk is the truth again)
        and so does everything kept for the document: the builder's last result and memos,
        the look-ahead's result, its recent regions, its resolved path. Returns the index's
        re-read of the file, after which nothing of the buffer is left (None: no index)."""
        cleared = self.clear_buffer(path)
        self._drop(path)  # after clear_buffer, which resolves the path again
        return cleared

    def _drop(self, path: Path) -> None:
        self.builder.forget(str(path))
        self.ahead.forget(Path(path))
        self.recent.forget(Path(path))
        self._resolved.pop(str(path), None)

    def close(self) -> None:
        """Release this provider's roots, in the background (roots.py)."""
        self.workspace.close()
