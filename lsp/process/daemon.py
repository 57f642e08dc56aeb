"""`coderd serve`: one process that holds the model for all of a user's editors.

Each editor connection (a `coderd lsp` relay, see proxy.py) is a session: a `CoderdServer` of
its own (documents, settings problems, pop-ups) speaking LSP over the Unix socket, sharing one
`CompletionService` (one model, one worker thread, a KV slot per session) and the workspace
indexes (shared per root by coderd.context.index.registry). Everything runs on one asyncio loop, as
in standalone mode; the concurrency contract of ARCHITECTURE.md is unchanged.

The daemon loads the model as soon as it starts, exits `daemon.idle_timeout_s` after its last
session ended, and retires (stops being findable, exits when its sessions end) when a relay of
another coderd version says hello.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import logging
import os
import signal
import socket
import threading
from typing import Any, Protocol, TypeGuard

from pygls.io_ import run_async

from coderd import __version__
from coderd.completion.service import CompletionService, EngineFactory
from coderd.config.settings import Settings, load_settings
from coderd.context.index.registry import IndexRegistry
from coderd.engine.base import Engine
from coderd.system.logs import setup_logging
from lsp.process.rendezvous import PROTOCOL, Rendezvous, RendezvousError, daemon_key, welcome_line
from lsp.server.app import build_server

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file

HELLO_TIMEOUT_S = 10.0


class SlotsEngineFactory(Protocol):
    """An engine factory that also sizes the engine for `slots` sessions (`load_engine`)."""

    def __call__(self, settings: Settings, /, *, slots: int) -> Engine: ...


def takes_slots(factory: EngineFactory) -> TypeGuard[SlotsEngineFactory]:
    """Whether `factory` has a `slots` parameter (tests' factories may not)."""
    return "slots" in inspect.signature(factory).parameters


class Daemon:
    def __init__(
        self,
        engine_factory: EngineFactory,
        init_options: dict[str, Any] | None,
        key: str | None = None,
    ) -> None:
        self.loaded = load_settings(init_options=init_options)
        settings = self.loaded.settings
        setup_logging(settings.log.level)
        self.rendezvous = Rendezvous(key or daemon_key(settings))
        self.slots = settings.daemon.sessions
        self.idle_timeout_s = settings.daemon.idle_timeout_s
        if takes_slots(engine_factory):
            factory = engine_factory
            engine_factory = lambda s: factory(s, slots=self.slots)
        self.service = CompletionService(
            settings,
            engine_factory,
            None,
            slots=self.slots,
            keep_warm=True,
            paced_collection=True,
        )
        self.engine_factory = engine_factory
        self.registry = IndexRegistry()  # one index per workspace root, whoever opens it
        self._ids = itertools.count(1)
        self._sessions = 0
        self._retiring = False
        self._idle: asyncio.TimerHandle | None = None
        self._stopped: asyncio.Event | None = None

    def run(self) -> int:
        life = self.rendezvous.claim()
        if life is None:
            log.info("daemon: another one is running for %s", self.rendezvous.socket_path)
            return 0
        try:
            listener = self.rendezvous.bind()
        except OSError as exc:
            os.close(life)
            raise RendezvousError(f"cannot listen on {self.rendezvous.socket_path}: {exc}") from exc
        log.info(
            "daemon %s (pid %d) on %s, %d KV slots",
            __version__,
            os.getpid(),
            self.rendezvous.socket_path,
            self.slots,
        )
        self.service.start()  # load the model now: the first keystroke should not wait for it
        try:
            asyncio.run(self._serve(listener))
        finally:
            self.rendezvous.release(listener)
            os.close(life)
            self.service.shutdown()
            self.service.join(30)  # the worker writes the warm state first (completion/warm.py)
        log.info("daemon: stopped")
        return 0

    async def _serve(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stopped.set)
        server = await asyncio.start_unix_server(self._session, sock=listener)
        self._arm_idle_timer()
        async with server:
            await self._stopped.wait()

    def _arm_idle_timer(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = None
        if self._stopped is None:
            return  # not serving yet: _serve arms the timer once the event exists
        if self._sessions == 0:
            delay = 0 if self._retiring else self.idle_timeout_s
            self._idle = asyncio.get_running_loop().call_later(delay, self._stopped.set)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            hello = json.loads(await asyncio.wait_for(reader.readline(), HELLO_TIMEOUT_S) or b"{}")
        except (asyncio.TimeoutError, ValueError, ConnectionError):
            writer.close()
            return
        accepted = hello.get("version") == __version__ and hello.get("protocol") == PROTOCOL
        writer.write(welcome_line(accepted))
        if not accepted:
            log.info("daemon: a relay of coderd %s said hello: retiring", hello.get("version"))
            self._retire()
            writer.close()
            return
        self._sessions += 1
        self._arm_idle_timer()
        session = f"s{next(self._ids)}"
        server = build_server(
            self.engine_factory, shared=self.service, session=session, registry=self.registry
        )
        server.protocol.set_writer(writer)
        server._stop_event = stop = threading.Event()
        log.info("daemon: session %s connected (%d now)", session, self._sessions)
        try:
            await run_async(
                stop_event=stop,
                reader=reader,
                protocol=server.protocol,
                logger=log,
                error_handler=server.report_server_error,
            )
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            server.end_session()
            writer.close()
            self._sessions -= 1
            log.info("daemon: session %s ended (%d left)", session, self._sessions)
            self._arm_idle_timer()

    def _retire(self) -> None:
        """Let a daemon of the newer version take the socket; serve our sessions to their end."""
        self._retiring = True
        life_socket = self.rendezvous.socket_path
        try:
            if life_socket.exists():
                life_socket.unlink()
        except OSError:
            pass
        # The life lock must go too, or the new daemon would think this one still serves.
        self.rendezvous.pid_path.unlink(missing_ok=True)
        self._arm_idle_timer()


def run_daemon(
    engine_factory: EngineFactory, init_options: dict[str, Any] | None, key: str | None = None
) -> int:
    try:
        return Daemon(engine_factory, init_options, key).run()
    except RendezvousError as exc:
        log.error("daemon: %s", exc)
        print(f"coderd serve: {exc}", flush=True)
        return 1
