"""The coderd language server: wiring between LSP messages and the completion service.

Handlers are thin: they read the document store, call the service, and convert (inline.py).
Model loading, prompts and inference live in `coderd`; this package never does them itself.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from concurrent.futures import Future

from lsprotocol import types
from pygls.exceptions import FeatureRequestError
from pygls.lsp.server import LanguageServer

from coderd import __version__
from coderd.config import LoadedSettings, load_settings
from coderd.context.provider import ContextProvider
from coderd.engine.loader import load_engine
from coderd.logs import setup_logging
from coderd.service import CompletionService, EngineFactory

from .documents import DocumentStore, uri_to_path
from .feedback import register_feedback
from .inline import register_inline_completion
from .protocol import CoderdProtocol

log = logging.getLogger(__name__)

STATUS_METHOD = "coderd/status"
# The server's copy of a document: for client test suites and bug reports about sync.
DOCUMENT_METHOD = "coderd/document"


class CoderdServer(LanguageServer):
    def __init__(self, engine_factory: EngineFactory = load_engine) -> None:
        super().__init__("coderd", __version__, protocol_cls=CoderdProtocol)
        self.engine_factory = engine_factory
        self.documents = DocumentStore()
        self.loaded: LoadedSettings | None = None
        self.service: CompletionService | None = None
        self._reported: set[str] = set()

    def configure(self, params: types.InitializeParams) -> None:
        self.loaded = load_settings(init_options=params.initialization_options)
        settings = self.loaded.settings
        setup_logging(settings.log.level)
        roots = workspace_roots(params)
        context = ContextProvider(settings.context, roots) if settings.context.enabled and roots else None
        if context is not None:
            context.start()
        self.service = CompletionService(settings, self.engine_factory, context)
        for problem in self.loaded.problems:
            log.warning("configuration: %s", problem)

    def start_service(self) -> None:
        if self.service is None or self.service.started:
            return  # `initialized` without `initialize`, or sent twice
        if self.loaded and self.loaded.problems:
            shown = "; ".join(str(p) for p in self.loaded.problems[:3])
            more = len(self.loaded.problems) - 3
            suffix = f" (and {more} more, see the log)" if more > 0 else ""
            self.tell_once("config", types.MessageType.Warning,
                           f"coderd: configuration problems, defaults used: {shown}{suffix}")
        loop = asyncio.get_running_loop()
        self.service.model_ready.add_done_callback(
            lambda fut: loop.call_soon_threadsafe(self._report_model, fut)
        )
        self.service.start()

    def _report_model(self, ready: Future) -> None:
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
        """Open buffers override the disk in the workspace index (it parses in its own thread)."""
        context = self.service.context if self.service else None
        doc = self.documents.get(uri)
        path = uri_to_path(uri)
        if context is not None and doc is not None and path is not None:
            context.set_buffer(path, doc.text)

    def document_closed(self, uri: str) -> None:
        if self.service is not None:
            self.service.forget(uri)
        path = uri_to_path(uri)
        if self.service is not None and self.service.context is not None and path is not None:
            self.service.context.clear_buffer(path)

    def report_server_error(self, error: Exception, source) -> None:
        """Out-of-band errors: logged every time, shown once.

        Errors inside a request handler already went back to the client in that request's
        response (InvalidParams, MethodNotFound...): those are only logged.
        """
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)
        if source is FeatureRequestError:
            return
        self.tell_once(
            "protocol", types.MessageType.Warning,
            f"coderd: ignored a malformed message from the editor ({error}); details in the log",
        )


def workspace_roots(params: types.InitializeParams) -> list[Path]:
    """Workspace folders, else rootUri, else rootPath: the trees whose files give context."""
    uris = [f.uri for f in params.workspace_folders or []] or ([params.root_uri] if params.root_uri else [])
    roots = [p for p in (uri_to_path(u) for u in uris) if p is not None]
    if not roots and params.root_path:
        roots = [Path(params.root_path)]
    return [r for r in roots if r.is_dir()]


def build_server(engine_factory: EngineFactory = load_engine) -> CoderdServer:
    server = CoderdServer(engine_factory)

    @server.feature(types.INITIALIZE)
    def on_initialize(params: types.InitializeParams) -> None:
        server.configure(params)

    @server.feature(types.INITIALIZED)
    def on_initialized(params: types.InitializedParams) -> None:
        server.start_service()

    @server.feature(types.SHUTDOWN)
    def on_shutdown(params: None) -> None:
        if server.service is not None:
            server.service.shutdown()

    @server.feature(STATUS_METHOD)
    def on_status(params) -> dict:
        status = server.service.status() if server.service else {"state": "uninitialized"}
        status["version"] = __version__
        status["problems"] = [str(p) for p in server.loaded.problems] if server.loaded else []
        status["position_encoding"] = server.documents.encoding
        return status

    @server.feature(DOCUMENT_METHOD)
    def on_document(params) -> dict | None:
        uri = getattr(params, "uri", None)
        doc = server.documents.get(uri) if isinstance(uri, str) else None
        return {"uri": doc.uri, "version": doc.version, "text": doc.text} if doc else None

    register_inline_completion(server)
    register_feedback(server)
    return server


def run_stdio(engine_factory: EngineFactory = load_engine) -> None:
    build_server(engine_factory).start_io()
