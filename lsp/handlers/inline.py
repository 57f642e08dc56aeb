"""`textDocument/inlineCompletion`: snapshot the document, ask the service, convert the answer.

Every request is answered exactly once: with a list (possibly empty), with InvalidParams for a
position that does not exist, or with RequestCancelled after `$/cancelRequest` (pygls sends
that when the handler's task is cancelled; we also stop the engine: mid-token while it
generates, after the prompt chunk in progress while it evaluates the prompt).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from coderd.completion.service import DocumentSnapshot
from coderd.engine.base import ModelInfo
from coderd.policy.secrets import remote_secret_refusal
from coderd.positions import PositionError
from lsp.handlers.selection import selected_item
from lsp.server.documents import MAX_COMPLETION_CHARS, uri_to_path

if TYPE_CHECKING:
    from lsp.server.session import CoderdServer

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file

EMPTY = types.InlineCompletionList(items=[])
# Each item carries this command with its suggestion id: VS Code runs an item's command when it
# is accepted, and other clients read the id from it for coderd/didAccept (editors/PROTOCOL.md).
ACCEPTED_COMMAND = "coderd.accepted"


def register_inline_completion(server: CoderdServer) -> None:
    # A non-empty options object: Emacs's json reader turns an empty {} into nil ("no capability").
    @server.feature(
        types.TEXT_DOCUMENT_INLINE_COMPLETION,
        types.InlineCompletionOptions(work_done_progress=False),
    )
    async def on_inline_completion(
        params: types.InlineCompletionParams,
    ) -> types.InlineCompletionList:
        return await inline_completion(server, params)


async def inline_completion(
    server: CoderdServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList:
    uri = params.text_document.uri
    doc = server.documents.get(uri)
    if doc is None:
        log.info("inlineCompletion for a document that is not open: %s", uri)
        return EMPTY
    position = params.position
    try:
        offset = doc.index.offset(position.line, position.character, server.documents.encoding)
    except PositionError as exc:
        raise JsonRpcInvalidParams(f"position {position.line}:{position.character}: {exc}") from exc
    # The cursor as resolved (a column past the line's end clamped, one inside a character
    # rounded down), taken now: the document may change while the engine runs.
    here = types.Position(*doc.index.position(offset, server.documents.encoding))
    service = server.service
    if service is None or _model_failed(service.model_ready):
        return EMPTY
    # With an item selected in the editor's completion list, complete the text as it would be
    # with the item accepted, and answer over the item's range (selection.py).
    selected = selected_item(
        params.context.selected_completion_info, doc.index, offset, server.documents.encoding
    )
    text, cursor_offset, start, lead = doc.text, offset, here, ""
    if selected is not None:
        text, cursor_offset = selected.applied(doc.text, offset)
        start = types.Position(*doc.index.position(selected.start, server.documents.encoding))
        lead = selected.text
    if len(text) > MAX_COMPLETION_CHARS:
        log.info("%s is longer than %d characters: no completions", uri, MAX_COMPLETION_CHARS)
        return EMPTY
    # An explicit request (the user asked, e.g. to cycle) gets several candidates; typing gets one.
    invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
    candidates = service.settings.completion.candidates if invoked else 1
    path = uri_to_path(uri)
    refusal = remote_secret_refusal(str(path) if path else uri, service.settings)
    if refusal is not None:  # before submit: nothing of the document is sent
        log.info("%s: %s", uri, refusal)
        return EMPTY
    ticket = service.submit(
        DocumentSnapshot(
            server.doc_key(uri),
            text,
            cursor_offset,
            doc.language_id,
            candidates,
            str(path) if path else None,
            session=server.session,
        )
    )
    try:
        outcome = await asyncio.wrap_future(ticket.future)
    except asyncio.CancelledError:
        ticket.cancel.cancel("$/cancelRequest")
        raise
    if outcome.status == "error" and outcome.message:
        # Once per distinct reason (a remote backend that refuses the key, say): the log has all.
        server.tell_once(
            f"engine: {outcome.message}", types.MessageType.Warning, f"coderd: {outcome.message}"
        )
    if outcome.status != "ok":
        return EMPTY
    # Inserted at the cursor: the policy already removed what the suffix repeats. With a
    # selected item: the item and its continuation, over the item's range.
    where = types.Range(start=start, end=here)
    return types.InlineCompletionList(
        items=[
            types.InlineCompletionItem(
                insert_text=lead + s.text,
                range=where,
                command=types.Command(
                    title="coderd: accepted", command=ACCEPTED_COMMAND, arguments=[{"id": s.id}]
                ),
            )
            for s in outcome.suggestions
        ]
    )


def _model_failed(ready: Future[ModelInfo]) -> bool:
    return ready.done() and ready.exception() is not None
