"""The prewarms one editor connection asks for (coderd/completion/prewarm.py says what they are).

* Where the user went: an open, a change of document, a jump, a cursor a coderd client
  reported (`moved`). After didOpen the prewarm waits for the index's parse of the buffer, so
  that its prompt has the file's repository context.
* Where the context arrived (`index_ready`): a workspace index ends its first build after its
  documents were opened. A document opened while the index did not exist yet (a daemon just
  started) was prompted with no context, and one opened during the build with what was indexed
  so far; asking again in place is answered from the completion cache, so no request would ever
  build the context again. Each such document (`Document.before_index`) is given to the index
  again (it may have started from the disk) and the one the session is in has its prompt
  re-evaluated in the background with the context it has now, as a request's newer block is
  (worker.py `switch_prompt`).

Event loop only; the index's callbacks are handed over with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.context.provider import ContextProvider
from coderd.policy.secrets import remote_secret_refusal
from lsp.server.documents import MAX_COMPLETION_CHARS, Document, DocumentStore, uri_to_path


class Connection(Protocol):
    """What of an editor connection (lsp/server/session.py CoderdServer) the prewarms use."""

    session: str
    documents: DocumentStore
    service: CompletionService | None

    @property
    def context(self) -> ContextProvider | None: ...

    def doc_key(self, uri: str) -> str: ...


class DocumentWarming:
    def __init__(self, server: Connection) -> None:
        self._server = server

    def moved(
        self,
        doc: Document,
        parsed: Future[object] | None,
        cursor: tuple[int, int] | None = None,
    ) -> None:
        """Prewarm at the end of the last edit, at `cursor` (offset, line) where a client said
        the cursor went, or after didOpen at the end of the document (LSP tells no cursor
        before a request) unless a client has said where the cursor is by the time the index
        has parsed the buffer (`parsed`: the open's prewarm waits for it, so that the prompt
        has the file's context). An edit's, at once: its request follows within the editor's
        debounce."""
        service = self._server.service
        if cursor is None and doc.changes == 0:
            doc.before_index = not self._index_built(doc)
        snapshot = self._snapshot(doc, cursor)
        if service is None or snapshot is None:
            return
        if cursor is not None:
            line = cursor[1]
        else:
            # After didOpen the prewarm is at the end: its line is where the session "is", so
            # the first edit far from it is a jump, prewarmed at its own place.
            line = doc.edit_line if doc.edit_line is not None else doc.text.count("\n")
        opened = cursor is None and doc.changes == 0
        if not service.moved(snapshot, line, opened=opened, cursor=cursor is not None):
            return
        if parsed is None:
            service.prewarm(snapshot, user_moved=True)
            return
        doc.awaiting_parse = True

        def after_parse() -> None:
            doc.awaiting_parse = False
            if not self._unchanged(doc, snapshot):
                return
            at = snapshot
            if doc.cursor is not None:  # a client said where the cursor is meanwhile
                offset, line = doc.cursor
                at_cursor = replace(snapshot, offset=offset)
                if service.moved(at_cursor, line, opened=False, cursor=True):
                    at = at_cursor  # not within a line of the end: prewarm there instead
            service.prewarm(at, user_moved=True)

        self._after(parsed, after_parse)

    def follow_indexes(self) -> None:
        """Hear when each workspace index of the connection ends its first build (on the
        event loop: `initialize`)."""
        context = self._server.context
        if context is None:
            return
        loop = asyncio.get_running_loop()
        context.on_index_ready(lambda root: call_soon(loop, lambda: self.index_ready(root)))

    def index_ready(self, root: Path) -> None:
        """The index of `root` has ended its first build (the module's docstring)."""
        server, context, service = self._server, self._server.context, self._server.service
        if context is None or service is None:
            return
        here = service.prewarms.place(server.session)
        for doc in server.documents.all():
            path = uri_to_path(doc.uri)
            index = context.index_for(path, create=False) if path is not None else None
            if not doc.before_index or path is None or index is None or index.root != root:
                continue
            doc.before_index = False
            parsed = context.set_buffer(path, doc.text)  # the index started from the disk
            snapshot = self._snapshot(doc, doc.cursor)
            if server.doc_key(doc.uri) != here or snapshot is None or parsed is None:
                continue

            def after_parse(doc: Document = doc, snapshot: DocumentSnapshot = snapshot) -> None:
                if self._unchanged(doc, snapshot) and self._server.service is service:
                    service.switch_prompt(snapshot)

            self._after(parsed, after_parse)

    def _index_built(self, doc: Document) -> bool:
        context, path = self._server.context, uri_to_path(doc.uri)
        index = context.index_for(path, create=False) if context and path else None
        return index is not None and index.ready.is_set()

    def _snapshot(self, doc: Document, cursor: tuple[int, int] | None) -> DocumentSnapshot | None:
        """The document's prompt at `cursor`, else at the end of its last edit, else at its
        end; None for what is never prewarmed (too big, secret-looking with a remote)."""
        server, service = self._server, self._server.service
        if service is None or len(doc.text) > MAX_COMPLETION_CHARS:
            return None
        path = uri_to_path(doc.uri)
        if remote_secret_refusal(str(path) if path else doc.uri, service.settings) is not None:
            return None  # a prewarm sends the text as a request would (policy/secrets.py)
        if cursor is not None:
            offset = cursor[0]
        else:
            offset = doc.edit_offset if doc.edit_offset is not None else len(doc.text)
        return DocumentSnapshot(
            server.doc_key(doc.uri),
            doc.text,
            offset,
            doc.language_id,
            path=str(path) if path else None,
            session=server.session,
        )

    def _unchanged(self, doc: Document, snapshot: DocumentSnapshot) -> bool:
        """Not for a text the user has changed since, nor after the close."""
        return self._server.documents.get(doc.uri) is doc and doc.text is snapshot.text

    @staticmethod
    def _after(parsed: Future[object], callback: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        parsed.add_done_callback(lambda _: call_soon(loop, callback))


def call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    try:
        loop.call_soon_threadsafe(callback)
    except RuntimeError:  # the loop is closed: the server is exiting
        pass
