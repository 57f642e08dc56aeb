"""pygls's protocol with the changes that matter to a completion server.

1. Position encoding: pygls takes the client's first choice; we take UTF-8 whenever the client
   offers it (byte columns are the cheapest to convert and what Neovim prefers), else UTF-16.
2. Document sync goes straight into our `DocumentStore` (LSP line rules, one conversion
   module) instead of pygls's workspace, so each keystroke is applied once, not twice.
3. A request whose params do not parse still gets its one answer (InvalidParams) instead of
   being dropped, so a client never waits forever on it; so does a request after `shutdown`
   (InvalidRequest, as the spec asks; pygls drops it).
4. Handler futures of notifications are dropped when they finish (pygls keeps them: a leak of
   one future per keystroke).
5. A second `initialize` is refused (InvalidRequest, "already initialized"): the first
   session keeps working (configuring again would swap in a service that never starts).
6. A request that is no JSON-RPC 2.0 request (no "jsonrpc": "2.0", a method that is not a
   string, an id that is neither an integer nor a string) is answered with InvalidRequest,
   with its id, or null when the id itself is what is wrong, as the relay does.
7. Frames are cut as the relay cuts them (`LenientStdin` over lsp/process/framing.py): pygls
   reads only `Content-Length: N` ending in CRLF, exactly, and one frame with a lowercase
   header, LF line ends or a bad length would make it deaf for good.

The protocol reaches its connection's state through `ConnectionHooks`, which `CoderdServer`
(session.py) fills in with itself: this module does not import session.py, so session.py can
name `CoderdProtocol` as its protocol's type (the architecture test forbids import cycles).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Generator
from functools import partial
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import RPCRequest
from pygls.protocol.language_server import lsp_method

from coderd.positions import UTF8, normalise_encoding
from lsp.process.framing import READ_CHUNK, FrameParser, invalid_reason, usable_id
from lsp.server.documents import DocumentStore

if TYPE_CHECKING:
    from pygls.protocol.json_rpc import MessageCallback, MessageHandler, MsgId, RPCMessage

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file


class ConnectionHooks(Protocol):
    """What the protocol needs of its connection: `CoderdServer` (session.py)."""

    documents: DocumentStore

    @property
    def in_daemon(self) -> bool: ...

    def document_changed(self, uri: str) -> None: ...

    def document_closed(self, uri: str) -> None: ...

    def end_session(self) -> None: ...


class LenientStdin:
    """stdin as pygls's reader sees it (it calls `readline` for headers, `read` for a body),
    cut by `FrameParser`: pygls then only ever reads a `Content-Length: N` line, a blank line
    and the body (CRLF line ends), whatever the editor sent (lsp/process/framing.py: any
    case, LF line ends, bad frames skipped with a resync). pygls calls it from a thread, one
    call at a time."""

    def __init__(self, stream: BinaryIO) -> None:
        read1: Callable[[int], bytes] | None = getattr(stream, "read1", None)
        self._read = read1 or stream.read
        self.parser = FrameParser("stdin")
        self._frames: deque[bytes] = deque()
        self._lines: list[bytes] = []
        self._body = b""

    def readline(self) -> bytes:
        if self._lines:
            return self._lines.pop()
        while not self._frames:
            data = self._read(READ_CHUNK)
            if not data:
                return b""
            # An empty body is no message (and pygls reads Content-Length: 0 as no length).
            self._frames.extend(body for body in self.parser.feed(data) if body)
        self._body = self._frames.popleft()
        self._lines.append(b"\r\n")
        return b"Content-Length: %d\r\n" % len(self._body)

    def read(self, size: int = -1) -> bytes:
        body, self._body = self._body, b""
        return body


class CoderdProtocol(LanguageServerProtocol):
    # Set by the server right after pygls made this protocol, before any message is read.
    connection: ConnectionHooks
    initialized_once = False  # an `initialize` succeeded on this connection
    refused = 0  # invalid messages (logged once, then counted)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        if self.initialized_once:
            log.warning("a second initialize request: refused, the first session goes on")
            raise JsonRpcInvalidRequest("already initialized")
        general = params.capabilities.general
        offered = (general.position_encodings or []) if general is not None else []
        if general is not None and any(normalise_encoding(kind) == UTF8 for kind in offered):
            general.position_encodings = [types.PositionEncodingKind.Utf8]
        result = yield from super().lsp_initialize(params)
        encoding = normalise_encoding(result.capabilities.position_encoding or "utf-16")
        self.connection.documents.encoding = encoding
        self.initialized_once = True
        return result

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        self.connection.documents.open(params.text_document)
        self.connection.document_changed(params.text_document.uri)
        yield from ()

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        self.connection.documents.change(params)
        self.connection.document_changed(params.text_document.uri)
        yield from ()

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        uri = params.text_document.uri
        self.connection.documents.close(uri)
        self.connection.document_closed(uri)
        yield from ()

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        """In the daemon, `exit` ends this editor's session, never the process."""
        if not self.connection.in_daemon:
            yield from super().lsp_exit(*args)
            return
        self.connection.end_session()
        if self._server._stop_event is not None:
            self._server._stop_event.set()
        if self.writer is not None:
            self.writer.close()
        yield from ()

    def _execute_handler(
        self,
        msg_id: MsgId,
        handler: MessageHandler,
        callback: MessageCallback,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        if isinstance(callback, partial) and callback.func == self._send_handler_result:
            return  # a request: its answer removes its future
        # pygls files every handler's future under an id, but only a request's answer removes
        # it: a notification or a step of a generator handler (ids made up with uuid4) would
        # stay for the server's life, one per keystroke.
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda _done: self._request_futures.pop(msg_id, None))

    @property
    def pending_handlers(self) -> int:
        """Handler futures pygls holds (requests in flight); coderd/status reports it."""
        return len(self._request_futures)

    def structure_message(self, data: dict[str, Any]) -> Any:  # pygls's type: one of many classes
        # pygls calls this for every JSON object in a message (json.loads's object_hook), the
        # innermost first; only objects with "jsonrpc" are structured.
        if "jsonrpc" in data and "method" in data and (reason := invalid_reason(data)):
            self._refuse(data, reason)
            raise JsonRpcInvalidRequest(f"invalid request: {reason}")
        if "jsonrpc" in data and "params" not in data and "method" in data:
            # JSON-RPC lets a request omit params (Neovim does for `coderd/status`); pygls's
            # fallback message classes require the field and would answer InternalError.
            if self.get_message_type(data["method"]) is None:
                data = {**data, "params": None}
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data:
                log.warning(
                    "invalid %s request %r: answering with an error", data["method"], data["id"]
                )
                self._send_response(data["id"], error=exc.to_response_error())
            raise

    def _refuse(self, data: dict[str, Any], reason: str) -> None:
        """InvalidRequest for a request (id null when the id is unusable); a notification
        is only logged."""
        msg_id = data.get("id") if usable_id(data.get("id")) else None
        self.refused += 1
        level = logging.WARNING if self.refused == 1 else logging.DEBUG
        log.log(level, "invalid message (%s; %d so far)", reason, self.refused)
        if "id" in data:
            error = JsonRpcInvalidRequest(f"invalid request: {reason}")
            self._send_response(msg_id, error=error.to_response_error())  # type: ignore[arg-type]

    def handle_message(self, message: RPCMessage) -> None:
        if isinstance(message, dict):
            # A whole message without "jsonrpc" (structure_message left it as it was).
            if "method" in message:
                self._refuse(message, 'no "jsonrpc": "2.0"')
                return
        if self._shutdown and isinstance(message, RPCRequest):
            log.warning(
                "%s request %r after shutdown: answering with an error", message.method, message.id
            )
            error = JsonRpcInvalidRequest("the server is shutting down")
            self._send_response(message.id, error=error.to_response_error())
            return
        super().handle_message(message)
