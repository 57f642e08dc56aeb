"""One editor connection: its settings, documents, completion service (or session of the
daemon's shared one) and workspace context. Handlers (lsp/handlers/) read and call it; the
server's wiring (app.py) registers them.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import FeatureRequestError
from pygls.lsp.server import LanguageServer

from coderd import __version__
from coderd.completion.service import CompletionService, EngineFactory
from coderd.config.settings import LoadedSettings, load_settings
from coderd.context.index.registry import IndexRegistry
from coderd.context.provider import ContextProvider
from coderd.engine.base import ModelInfo
from coderd.models.loader import load_engine
from coderd.positions import PositionError
from coderd.system.logs import setup_logging
from lsp.server.documents import DocumentStore, uri_to_path
from lsp.server.protocol import CoderdProtocol
from lsp.server.warming import DocumentWarming, call_soon

if TYPE_CHECKING:
    from pygls.server import ServerErrors

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file


class CoderdServer(LanguageServer):
    """One editor connection. Standalone, it owns its completion service; in the daemon
    (`shared`), the service is everyone's and this connection is the session `session`."""

    protocol: CoderdProtocol  # pygls made it from `protocol_cls`

    def __init__(
        self,
        protocol_cls: type[CoderdProtocol],
        engine_factory: EngineFactory = load_engine,
        shared: CompletionService | None = None,
        session: str = "",
        registry: IndexRegistry | None = None,
    ) -> None:
        super().__init__("coderd", __version__, protocol_cls=protocol_cls)
        self.engine_factory = engine_factory
        self.documents = DocumentStore()
        self.loaded: LoadedSettings | None = None
        self.service: CompletionService | None = None
        self.shared = shared
        self.session = session
        self.registry = registry  # the daemon's, shared by all sessions: one index per root
        self._reported: set[str] = set()
        self.warming = DocumentWarming(self)
        self.protocol.connection = self

    @property
    def in_daemon(self) -> bool:
        return self.shared is not None

    def doc_key(self, uri: str) -> str:
        """The service's key for a document: per session, so editors never share a cache."""
        return f"{self.session}|{uri}" if self.session else uri

    def configure(self, params: types.InitializeParams) -> None:
        self.loaded = load_settings(init_options=params.initialization_options)
        settings = self.loaded.settings
        if not self.in_daemon:
            setup_logging(settings.log.level)
        roots = workspace_roots(params)
        # Also without roots: the editor may add workspace folders later (lsp/workspace.py).
        context = (
            ContextProvider(settings.context, roots, self.registry)
            if settings.context.enabled
            else None
        )
        if context is not None:
            context.start()
        if self.shared is not None:
            self.service = self.shared
            self.shared.attach(self.session, context, settings)
        else:
            self.service = CompletionService(
                settings, self.engine_factory, context, paced_collection=True
            )
        self.warming.follow_indexes()
        for problem in self.loaded.problems:
            log.warning("configuration: %s", problem)

    def end_session(self) -> None:
        """The connection ended (daemon): hand back what it held. Safe to call twice."""
        if self.shared is not None and self.service is not None:
            self.service = None
            self.shared.detach(self.session)

    @property
    def context(self) -> ContextProvider | None:
        """This connection's workspace context provider, if it has one."""
        if self.service is None:
            return None
        return self.service.sessions.context_for(self.session)

    def start_service(self) -> None:
        if self.service is None:
            return  # `initialized` without `initialize`
        if self.service.started and not self.in_daemon:
            return  # sent twice
        if self.loaded and self.loaded.problems:
            shown = "; ".join(str(p) for p in self.loaded.problems[:3])
            more = len(self.loaded.problems) - 3
            suffix = f" (and {more} more, see the log)" if more > 0 else ""
            self.tell_once(
                "config",
                types.MessageType.Warning,
                f"coderd: configuration problems, defaults used: {shown}{suffix}",
            )
        loop = asyncio.get_running_loop()
        self.service.model_ready.add_done_callback(
            lambda fut: call_soon(loop, lambda: self._report_model(fut))
        )
        if not self.service.started:
            self.service.start()

    def _report_model(self, ready: Future[ModelInfo]) -> None:
        error = ready.exception()
        if error is not None:
            self.tell_once("model", types.MessageType.Error, f"coderd: {error}")
            return
        info = ready.result()
        for warning in info.warnings:
            self.tell_once(warning, types.MessageType.Warning, f"coderd: {warning}")

    def tell_once(self, key: str, kind: types.MessageType, message: str) -> None:
        """One pop-up per distinct problem for the life of the server; the log has the rest."""
        if key in self._reported:
            return
        self._reported.add(key)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def document_changed(self, uri: str) -> None:
        """Open buffers override the disk in the workspace index (it parses in its own thread);
        the edit's time is the typing rhythm the debounce follows. An open, a change of
        document or a jump has the prompt there prewarmed (coderd/completion/prewarm.py)."""
        if self.service is not None:
            self.service.edited(self.doc_key(uri))
        context = self.context
        doc = self.documents.get(uri)
        path = uri_to_path(uri)
        parsed = None
        if context is not None and doc is not None and path is not None:
            parsed = context.set_buffer(path, doc.text)
        if doc is not None:
            self.warming.moved(doc, parsed if doc.changes == 0 else None)

    def cursor_moved(self, uri: str, line: int, character: int) -> None:
        """coderd/didMoveCursor (lsp/handlers/cursor.py): prewarm there if it is a jump or
        another document than the session's last."""
        doc = self.documents.get(uri)
        if doc is None:
            return
        try:
            offset = doc.index.offset(line, character, self.documents.encoding)
        except PositionError:
            return
        doc.cursor = (offset, doc.index.position(offset, self.documents.encoding)[0])
        if doc.awaiting_parse:
            return  # the open's prewarm, after the parse, goes there (editors say it at once)
        self.warming.moved(doc, None, cursor=doc.cursor)

    def document_closed(self, uri: str) -> None:
        """Everything kept for the document goes: one call reaches every holder (the
        service's caches and prompt windows, the workspace context's buffer and memos)."""
        if self.service is not None:
            path = uri_to_path(uri)
            self.service.forget(self.doc_key(uri), self.session, str(path) if path else None)

    def report_server_error(self, error: Exception, source: ServerErrors) -> None:
        """Out-of-band errors: logged every time, shown once.

        Errors inside a request handler already went back to the client in that request's
        response (InvalidParams, MethodNotFound...): those are only logged.
        """
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)
        if source is FeatureRequestError:
            return
        self.tell_once(
            "protocol",
            types.MessageType.Warning,
            f"coderd: ignored a malformed message from the editor ({error}); details in the log",
        )


def workspace_roots(params: types.InitializeParams) -> list[Path]:
    """Workspace folders, else rootUri, else rootPath: the trees whose files give context."""
    uris = [f.uri for f in params.workspace_folders or []] or (
        [params.root_uri] if params.root_uri else []
    )
    roots = [p for p in (uri_to_path(u) for u in uris) if p is not None]
    if not roots and params.root_path:
        roots = [Path(params.root_path)]
    return [r for r in roots if r.is_dir()]
