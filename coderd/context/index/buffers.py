"""Editor buffers in a workspace index (mixed into WorkspaceIndex, workspace.py).

An open buffer overrides the disk. `set_buffer` only stores the text (cheap enough for the
event loop); one worker thread parses it, skipping versions a newer one replaced, and keeps
the syntax tree of the last parse (`buffer_tree`: type inference and the suggestion check
reparse it incrementally). A keystroke inside a line that no symbol is read from is reparsed
incrementally and keeps the symbols (line_edits.py); any other edit extracts them again.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import tree_sitter

from coderd.context.index.extract import extract_with_tree
from coderd.context.index.languages import language_for_path
from coderd.context.index.line_edits import reparse, symbol_rows, within_plain_line
from coderd.context.index.readers import IndexReaders
from coderd.context.index.walk import content_is_indexable

log = logging.getLogger(__name__)


class EditorBuffers(IndexReaders):
    """The attributes and the writers below are WorkspaceIndex's (workspace.py)."""

    _tickets: itertools.count[int]
    _buffer_versions: itertools.count[int]
    _buffer_worker: ThreadPoolExecutor
    _symbol_rows: dict[str, frozenset[int]]  # buffers: the rows their symbols come from
    _indexable_name: Callable[[str], bool]
    update: Callable[[str | os.PathLike[str]], None]
    _commit: Callable[..., None]

    def set_buffer(
        self, path: str | os.PathLike[str], text: str, then: Callable[[], None] | None = None
    ) -> Future | None:
        """The editor's text of `path` replaces the disk's; parsed on the buffer worker, which
        then calls `then()` (unless a newer text or a close overtook this one): the caller's
        work that needs the parse, off the event loop. Returns a future that completes after
        both (tests wait on it), or None for a path we do not index."""
        rel = self.relative(path)
        if rel is None or not self._indexable_name(rel):
            return None
        with self._lock:
            version = next(self._buffer_versions)
            self._buffers[rel] = (version, text)
        return self._buffer_worker.submit(self._apply_buffer, rel, version, then)

    def clear_buffer(self, path: str | os.PathLike[str]) -> Future | None:
        """The editor closed `path`: the disk is the truth again (re-read on the worker)."""
        rel = self.relative(path)
        if rel is None:
            return None
        with self._lock:
            if self._buffers.pop(rel, None) is None:
                return None
        return self._buffer_worker.submit(self.update, rel)

    def _apply_buffer(self, rel: str, version: int, then: Callable[[], None] | None) -> None:
        with self._lock:
            current = self._buffers.get(rel)
            if current is None or current[0] != version:
                return  # closed, or a newer keystroke is queued behind us
            ticket = next(self._tickets)
        data = current[1].encode("utf-8", "surrogatepass")
        language = language_for_path(rel) or ""
        symbols = tree = None
        if content_is_indexable(data):  # a pasted private key must not enter the index
            kept = self._symbols_hold(rel, data)
            if kept is not None:  # a keystroke inside a body line (line_edits.py)
                self._keep_symbols(rel, ticket, (data, reparse(kept, data, language)))
                if then is not None:
                    then()
                return
            try:
                symbols, parsed = extract_with_tree(data, language, rel)
                tree = (data, parsed)
            except Exception:  # a parser's refusal leaves this buffer out, not the index
                log.exception("could not index %s", rel)
        self._commit(rel, ticket, symbols, None, from_disk=False, tree=tree)
        with self._lock:
            if symbols is not None and self._committed.get(rel) == ticket:
                self._symbol_rows[rel] = symbol_rows(symbols, data)
        if then is not None:
            # The next completion's work (retrieval warm-ups, the look-ahead build) is not
            # the index's: whoever handed the text over passes it (context/lookahead.py).
            then()

    def _symbols_hold(self, rel: str, data: bytes) -> tuple[bytes, tree_sitter.Tree] | None:
        """The buffer's last parse when its symbols hold for `data` (an edit within one line
        that no symbol is read from), else None."""
        with self._lock:
            kept, rows = self._trees.get(rel), self._symbol_rows.get(rel)
        if kept is None or rows is None or not within_plain_line(kept[0], data, rows):
            return None
        return kept

    def _keep_symbols(self, rel: str, ticket: int, tree: tuple[bytes, tree_sitter.Tree]) -> None:
        """The new tree with the symbols as they are: no change to the index's tables, so
        its generation (what the look-ahead's carry-over watches) stays the same."""
        with self._lock:
            if self._committed.get(rel, 0) > ticket or rel not in self._buffers:
                return  # a newer commit or a close overtook this one
            self._committed[rel] = ticket
            self._trees[rel] = tree
