"""The coderd language server's wiring: one `CoderdServer` (session.py) per connection, with
its protocol (protocol.py) and the handlers of lsp/handlers/ registered on it.

Handlers are thin: they read the document store, call the service, and convert (inline.py).
Model loading, prompts and inference live in `coderd`; this package never does them itself.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, BinaryIO, TypedDict, cast

from lsprotocol import types

from coderd import __version__
from coderd.completion.service import CompletionService, EngineFactory
from coderd.context.index.registry import IndexRegistry
from coderd.models.loader import load_engine
from lsp.handlers.cursor import register_cursor
from lsp.handlers.feedback import register_feedback
from lsp.handlers.inline import register_inline_completion
from lsp.handlers.workspace import register_workspace
from lsp.server.protocol import CoderdProtocol, LenientStdin
from lsp.server.session import CoderdServer

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file

STATUS_METHOD = "coderd/status"
# The server's copy of a document: for client test suites and bug reports about sync.
DOCUMENT_METHOD = "coderd/document"


class DocumentReply(TypedDict):
    """`coderd/document`'s answer for an open document."""

    uri: str
    version: int
    text: str


def build_server(
    engine_factory: EngineFactory = load_engine,
    shared: CompletionService | None = None,
    session: str = "",
    registry: IndexRegistry | None = None,
) -> CoderdServer:
    server = CoderdServer(CoderdProtocol, engine_factory, shared, session, registry)
    workspace = register_workspace(server)

    @server.feature(types.INITIALIZE)
    def on_initialize(params: types.InitializeParams) -> None:
        server.configure(params)

    @server.feature(types.INITIALIZED)
    def on_initialized(params: types.InitializedParams) -> None:
        server.start_service()
        workspace.initialized()

    @server.feature(types.SHUTDOWN)
    def on_shutdown(params: None) -> None:
        if server.in_daemon:
            server.end_session()
        elif server.service is not None:
            server.service.shutdown()

    # Custom methods' params: what pygls makes of the JSON (objects become namedtuples), read
    # with getattr. Annotated Any, never object: pygls passes the server as a handler's first
    # argument when that parameter's annotation is a class the server derives from.
    @server.feature(STATUS_METHOD)
    def on_status(params: Any) -> dict[str, Any]:
        status: dict[str, Any] = (
            server.service.status() if server.service else {"state": "uninitialized"}
        )
        status["version"] = __version__
        status["problems"] = [str(p) for p in server.loaded.problems] if server.loaded else []
        status["position_encoding"] = server.documents.encoding
        status["open_documents"] = len(server.documents)
        status["pending_handlers"] = server.protocol.pending_handlers
        context = server.context  # this session's workspace context: its per-document holders
        status["context_documents"] = context.document_counts() if context is not None else {}
        return status

    @server.feature(DOCUMENT_METHOD)
    def on_document(params: Any) -> DocumentReply | None:
        uri = getattr(params, "uri", None)
        doc = server.documents.get(uri) if isinstance(uri, str) else None
        return {"uri": doc.uri, "version": doc.version, "text": doc.text} if doc else None

    register_inline_completion(server)
    register_feedback(server)
    register_cursor(server)
    return server


def run_stdio(engine_factory: EngineFactory = load_engine) -> None:
    # Frames cut as the relay cuts them: pygls's own reader goes deaf on a lowercase header.
    # pygls only calls its readline() and read(n) (pygls.io_.StdinAsyncReader).
    stdin = cast(BinaryIO, LenientStdin(sys.stdin.buffer))
    build_server(engine_factory).start_io(stdin=stdin)
