"""Workspace events: watched files, workspace folders, and $/progress while a root is indexed.

* `workspace/didChangeWatchedFiles`: the fallback for the index's own watchdog observer (inotify
  watches run out, remote file systems). The paths go to the context provider as one queued
  job and from there to the root's watcher: the observer's debounced batches, so a change
  heard of from both costs a stat, not a second parse. Registered dynamically at `initialized`
  (one `**/*` watcher) when the client says `workspace.didChangeWatchedFiles.dynamicRegistration`.
* `workspace/didChangeWorkspaceFolders` (pygls advertises `workspaceFolders` with change
  notifications): removed folders are released, added ones indexed in the background.
* `$/progress` for the first build of a root, when the client has `window.workDoneProgress`:
  begin "coderd: indexing NAME", a report at most every 200 ms (files parsed / found), end
  with a summary. A root whose index is already built (shared with another session) gets none.
* `coderd/workspace`: the roots, their index state, and where given names are defined.

Handlers run on the event loop and only queue work; the provider's jobs thread and the index
threads do it (ARCHITECTURE.md, concurrency contract).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability

from coderd.context.index.workspace import IndexStats
from lsp.server.documents import uri_to_path

if TYPE_CHECKING:
    from lsp.server.session import CoderdServer

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file

WORKSPACE_METHOD = "coderd/workspace"
WATCHERS = [types.FileSystemWatcher(glob_pattern="**/*")]  # create, change and delete
REGISTRATION_ID = "coderd-watched-files"  # one registration per connection


class WorkspaceEvents:
    def __init__(self, server: CoderdServer) -> None:
        self.server = server
        self._tasks: set[asyncio.Task[None]] = set()

    def initialized(self) -> None:
        """On the event loop, after `initialized`: ask for file events, follow index builds."""
        context = self.server.context
        if context is None:
            return  # context disabled: no index to keep fresh or to report on
        capabilities = self.server.client_capabilities
        watched_files = "workspace.did_change_watched_files.dynamic_registration"
        if get_capability(capabilities, watched_files, False):
            self._spawn(self._register_watchers())
        if get_capability(capabilities, "window.work_done_progress", False):
            loop = asyncio.get_running_loop()
            context.report_builds(lambda root: IndexProgress(self.server, loop))

    def files_changed(self, params: types.DidChangeWatchedFilesParams) -> None:
        context = self.server.context
        paths = [p for p in (uri_to_path(change.uri) for change in params.changes) if p is not None]
        if context is not None and paths:
            context.files_changed(paths)  # created, changed or deleted: the disk says which

    def folders_changed(self, params: types.DidChangeWorkspaceFoldersParams) -> None:
        context = self.server.context
        if context is None:
            return
        for folder in params.event.removed:  # first: a renamed folder is removed, then added
            if (path := uri_to_path(folder.uri)) is not None:
                context.remove_root(path)
        for folder in params.event.added:
            if (path := uri_to_path(folder.uri)) is not None:
                context.add_root(path)

    async def describe(self, params: object) -> dict[str, Any]:
        """`coderd/workspace`: `params` is what pygls makes of the JSON (a namedtuple)."""
        context = self.server.context
        names = getattr(params, "names", None)
        names = [str(n) for n in names] if isinstance(names, (list, tuple)) else []
        if context is None:
            return {"roots": [], "definitions": {name: [] for name in names}}
        return await asyncio.to_thread(context.describe, names)  # copies the indexes' tables

    async def _register_watchers(self) -> None:
        registration = types.Registration(
            id=REGISTRATION_ID,
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=WATCHERS),
        )
        try:
            await self.server.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            )
        except Exception as error:  # the observer alone keeps the index fresh
            log.info("client/registerCapability for watched files refused: %s", error)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)


class IndexProgress:
    """`$/progress` for the first build of one root: a `coderd.context.index.registry.BuildListener`.

    The registry calls it on a coderd thread (the build's, or the provider's jobs thread),
    already throttled; each call is handed to the event loop with `call_soon_threadsafe`, where
    the token is created (a request: notifications wait for its answer) and begin, reports and
    end are sent in order.
    """

    def __init__(self, server: CoderdServer, loop: asyncio.AbstractEventLoop) -> None:
        self._server = server
        self._loop = loop
        self._token = f"coderd-index-{uuid.uuid4().hex}"
        self._state = "new"  # new -> creating -> open -> closed
        self._title = ""
        self._pending_report: tuple[int, int] | None = None  # arrived while creating
        self._pending_end: IndexStats | None = None
        self._task: asyncio.Task[None] | None = None

    # ---- BuildListener: coderd threads --------------------------------------------------

    def build_started(self, root: Path) -> None:
        self._post(self._begin, root)

    def build_progress(self, done: int, total: int) -> None:
        self._post(self._report, done, total)

    def build_finished(self, stats: IndexStats) -> None:
        self._post(self._end, stats)

    def _post(self, callback: Callable[..., None], *args: object) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed: the server is exiting
            pass

    # ---- the event loop ---------------------------------------------------------------------

    def _begin(self, root: Path) -> None:
        if self._state != "new":
            return
        self._state = "creating"
        self._title = f"coderd: indexing {root.name or root}"
        self._task = self._loop.create_task(self._create())

    async def _create(self) -> None:
        progress = self._server.work_done_progress
        try:
            await progress.create_async(self._token)
        except Exception as error:  # refused: the build goes on without a progress bar
            log.info(
                "window/workDoneProgress/create refused (%s): no progress for %s",
                error,
                self._title,
            )
            self._state = "closed"
            return
        progress.begin(
            self._token,
            types.WorkDoneProgressBegin(title=self._title, cancellable=False, percentage=0),
        )
        self._state = "open"
        if self._pending_report is not None:
            self._report(*self._pending_report)
        if self._pending_end is not None:
            self._end(self._pending_end)

    def _report(self, done: int, total: int) -> None:
        if self._state in ("new", "creating"):
            self._pending_report = (done, total)
        elif self._state == "open":
            percentage = min(100, done * 100 // total) if total else 100
            self._server.work_done_progress.report(
                self._token,
                types.WorkDoneProgressReport(
                    message=f"{done}/{total} files", percentage=percentage
                ),
            )

    def _end(self, stats: IndexStats) -> None:
        if self._state in ("new", "creating"):
            self._pending_end = stats
        elif self._state == "open":
            self._state = "closed"
            seconds = (stats.build_ms or 0.0) / 1000
            self._server.work_done_progress.end(
                self._token,
                types.WorkDoneProgressEnd(
                    message=f"{stats.files} files, {stats.definitions} definitions, {seconds:.1f} s"
                ),
            )


def register_workspace(server: CoderdServer) -> WorkspaceEvents:
    """The handlers; the caller runs `initialized()` of the result from its `initialized`."""
    events = WorkspaceEvents(server)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def on_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        events.files_changed(params)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def on_workspace_folders(params: types.DidChangeWorkspaceFoldersParams) -> None:
        events.folders_changed(params)

    # Custom methods' params: what pygls makes of the JSON (objects become namedtuples), read
    # with getattr. Annotated Any, never object: pygls passes the server as a handler's first
    # argument when that parameter's annotation is a class the server derives from.
    @server.feature(WORKSPACE_METHOD)
    async def on_workspace(params: Any) -> dict[str, Any]:
        return await events.describe(params)

    return events
