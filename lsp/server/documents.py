"""Open documents as the editor sees them, kept in sync by didOpen / didChange / didClose.

State changes run on the event loop and are cheap; the completion worker only ever receives
an immutable snapshot (`coderd.completion.service.DocumentSnapshot`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from coderd.positions import UTF16, LineIndex, PositionError

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file

# Larger buffers are still tracked (edits must apply), but are not sent to the model.
MAX_COMPLETION_CHARS = 4 * 1024 * 1024


def uri_to_path(uri: str) -> Path | None:
    """The file behind a `file:` URI; None for untitled buffers and other schemes."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None


@dataclass
class Document:
    uri: str
    language_id: str
    version: int
    text: str
    changes: int = 0  # didChange notifications applied: 0 right after didOpen
    # Where the last edit ended (the cursor, most likely): its offset and line. None after
    # didOpen and after a whole-text change, which tell no position.
    edit_offset: int | None = None
    edit_line: int | None = None
    # Where a client last said the cursor is (coderd/didMoveCursor): offset and line. Until
    # the index has parsed the buffer after didOpen (`awaiting_parse`), the open's prewarm,
    # which waits for that parse, takes it (lsp/server/warming.py).
    cursor: tuple[int, int] | None = None
    awaiting_parse: bool = False
    # Opened before the index of its folder had ended its first build (or outside every
    # folder): its prompts had what was indexed so far, until that build ends
    # (lsp/server/warming.py `index_ready`).
    before_index: bool = False
    _index: LineIndex | None = field(default=None, repr=False)

    @property
    def index(self) -> LineIndex:
        if self._index is None or self._index.text is not self.text:
            self._index = LineIndex.of(self.text)
        return self._index


class DocumentStore:
    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self.encoding = UTF16

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def open(self, item: types.TextDocumentItem) -> None:
        self._docs[item.uri] = Document(item.uri, item.language_id, item.version, item.text)

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)

    def __len__(self) -> int:
        return len(self._docs)

    def all(self) -> list[Document]:
        return list(self._docs.values())

    def change(self, params: types.DidChangeTextDocumentParams) -> None:
        doc = self._docs.get(params.text_document.uri)
        if doc is None:
            log.warning("didChange for a document that is not open: %s", params.text_document.uri)
            return
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                doc._index = self._apply_partial(doc, change)
                doc.text = doc._index.text
            else:
                doc.text = change.text
                doc.edit_offset = doc.edit_line = None
        doc.version = params.text_document.version
        doc.changes += 1

    def _apply_partial(
        self, doc: Document, change: types.TextDocumentContentChangePartial
    ) -> LineIndex:
        """The index of the text with the change applied (its `text`: the new text)."""
        index = doc.index
        lo, hi = (self._offset(doc, index, p) for p in (change.range.start, change.range.end))
        if hi < lo:
            lo, hi = hi, lo
        # The end of the inserted text; its line from the range, without scanning the text.
        doc.edit_offset = lo + len(change.text)
        start = min(change.range.start.line, change.range.end.line)
        t = change.text
        doc.edit_line = start + t.count("\n") + t.count("\r") - t.count("\r\n")
        return index.edited(lo, hi, change.text)

    def _offset(self, doc: Document, index: LineIndex, position: types.Position) -> int:
        try:
            return index.offset(position.line, position.character, self.encoding)
        except PositionError:
            # A line past the end means the end of the text, each end of the range on its own
            # (as vscode-languageserver-textdocument does): (0,0)-(line_count,0) replaces it all,
            # and an edit wholly past the end appends, keeping the text the user typed.
            log.warning(
                "position %s:%s outside %s; using the end of the text",
                position.line,
                position.character,
                doc.uri,
            )
            return len(doc.text)
