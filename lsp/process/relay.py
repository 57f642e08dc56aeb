"""`coderd lsp`: what an editor starts. It relays LSP between the editor's stdio and the daemon.

The relay is thin on purpose (it is one process per editor, the model lives once in the
daemon), but it keeps what it needs to survive the daemon's death without the editor noticing:
the `initialize` request and a mirror of the open documents. When the daemon's socket closes
while the editor is still there, it answers the requests in flight (null for inline
completions, an error otherwise: never a hang), starts a daemon again, replays `initialize`,
`initialized` and a `didOpen` per document with the text the dead daemon was sent, then goes
on relaying what the editor sent meanwhile.

When no daemon can be had (the runtime folder is refused, the daemon cannot start), the relay
stays and answers every request, `initialize` first, with an error naming the cause and the
fix: the editor shows it, rather than waiting forever on a server that said nothing.

No input kills it (framing.py cuts frames leniently and skips what it cannot cut): a message
that is not a valid JSON-RPC request or notification is not forwarded, and a request among
them is answered with InvalidRequest (id null when its id is not a number or a string, as
JSON-RPC asks); the fields the relay reads itself are checked before use.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from lsprotocol import types

from coderd.config.settings import load_settings
from coderd.system import paths
from coderd.system.logs import setup_logging
from lsp.process.framing import (
    CONTENT_MODIFIED,
    INTERNAL_ERROR,
    INVALID_REQUEST,
    Message,
    MessageReader,
    RequestId,
    encode_message,
    error_response,
    invalid_reason,
    usable_id,
    write_message,
)
from lsp.process.rendezvous import (
    Refused,
    Rendezvous,
    RendezvousError,
    daemon_key,
    open_daemon,
)
from lsp.process.replay import REPLAY_PREFIX, ReplayState

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file

RESTARTS = 3  # attempts in a row before the relay gives up and answers with errors
INLINE = types.TEXT_DOCUMENT_INLINE_COMPLETION
DRAIN_S = 2.0  # after the editor left: how long the daemon's last answers may take


class Relay:
    def __init__(self, daemon_command: list[str]) -> None:
        self.daemon_command = daemon_command
        self.state = ReplayState()  # what a restarted daemon is told again (replay.py)
        self.in_flight: dict[RequestId, Message] = {}  # editor request id -> the request
        self.resent: set[RequestId] = set()  # sent again once already (a crash must not loop)
        self.daemon: asyncio.StreamWriter | None = None
        self.backlog: list[Message] = []  # editor messages held while the daemon restarts
        self.refused = 0  # editor messages not forwarded (invalid), for the log
        self.shutting_down = False
        self.rendezvous: Rendezvous | None = None
        self.init_options: object = None  # initializationOptions: any JSON value
        self.restarts = 0
        self.gave_up: str | None = None  # why, once the relay gave up: every request hears it
        self._pump: asyncio.Task[None] | None = None
        self._stdout = sys.stdout.buffer

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        stdin = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin.buffer)
        editor = MessageReader(stdin, "editor")
        first = await editor.read()
        if first is None:
            return 0
        init = first.get("params") if first.get("method") == types.INITIALIZE else None
        options = init.get("initializationOptions") if isinstance(init, dict) else None
        if not isinstance(options, dict):
            options = None  # load_settings reports what it is; the daemon gets defaults
        loaded = load_settings(init_options=options)
        setup_logging(loaded.settings.log.level)
        self.init_options = options
        try:
            self.rendezvous = Rendezvous(daemon_key(loaded.settings))
        except RendezvousError as exc:  # the runtime folder is refused: say so, keep answering
            log.error("relay: %s", exc)
            self._give_up(str(exc))
        else:
            await self._connect()  # on failure, gave up: `initialize` gets the reason
        await self._from_editor(first)
        status = 0
        while (message := await editor.read()) is not None:
            if await self._from_editor(message) and message.get("method") == types.EXIT:
                status = 0 if self.shutting_down else 1
                break
        await self._drain()
        return status

    async def _drain(self) -> None:
        """The editor is done: let the daemon's last answers through, then hang up."""
        self.shutting_down = True
        if self.daemon is not None and self._pump is not None:
            if self.daemon.can_write_eof():
                self.daemon.write_eof()
            try:
                await asyncio.wait_for(asyncio.shield(self._pump), DRAIN_S)
            except asyncio.TimeoutError:
                pass

    # -- editor -> daemon ---------------------------------------------------------------------

    async def _from_editor(self, message: Message) -> bool:
        """Forward (or hold) one message; False when it was refused as invalid."""
        reason = invalid_reason(message)
        if reason is None:
            try:
                encode_message(message)  # what cannot be sent is refused before it counts
            except ValueError as exc:
                reason = str(exc)
        if reason is not None:
            self._refuse(message, reason)
            return False
        method = message.get("method")
        self.state.editor_sent(message)  # the last `initialize` before the daemon accepted one
        if method == types.SHUTDOWN:
            self.shutting_down = True
        if self.gave_up is not None:
            if "id" in message and method is not None:
                self._no_daemon(message["id"], method)
            return True
        if self.daemon is None:
            self.backlog.append(message)
            return True
        self._send(self.daemon, message)
        return True

    def _refuse(self, message: Message, reason: str) -> None:
        """Not forwarded: a request gets InvalidRequest (with its id when it has a usable
        one, else null); a notification or response is dropped. Logged once, then counted."""
        self.refused += 1
        level = logging.WARNING if self.refused == 1 else logging.DEBUG
        log.log(level, "relay: not forwarded (%s; %d so far)", reason, self.refused)
        if "method" not in message or "id" not in message:
            return
        msg_id = message["id"] if usable_id(message["id"]) else None
        self._to_editor(
            error_response(msg_id, INVALID_REQUEST, f"coderd: invalid request ({reason})")
        )

    def _send(self, writer: asyncio.StreamWriter, message: Message) -> None:
        try:
            data = encode_message(message)
        except ValueError as exc:  # checked when it came: only a deeper stack gets here
            self._refuse(message, str(exc))
            return
        method = message.get("method")
        if method is not None and "id" in message:
            self.in_flight[message["id"]] = message  # until the daemon answers it
        self.state.daemon_sent(message)  # as this daemon got it: what a new one gets again
        writer.write(data)

    # -- daemon -> editor ---------------------------------------------------------------------

    async def _pump_daemon(self, reader: asyncio.StreamReader) -> None:
        daemon = MessageReader(reader, "daemon")
        try:
            while (message := await daemon.read()) is not None:
                msg_id = message.get("id")
                if "method" not in message and usable_id(msg_id):  # a response
                    if msg_id not in self.in_flight and str(msg_id).startswith(REPLAY_PREFIX):
                        continue
                    self.in_flight.pop(msg_id, None)
                    initialize = self.state.initialize
                    if initialize and msg_id == initialize.get("id"):
                        self.state.answered(message)
                self._to_editor(message)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:  # killed, not closed
            log.warning("relay: lost the daemon (%s)", exc)
        self.daemon = None
        if not self.shutting_down:
            log.warning("relay: the daemon went away; starting it again")
            self._requeue_in_flight()
            await self._connect(replay=True)

    def _requeue_in_flight(self) -> None:
        """Ask the new daemon again what the dead one never answered; once only, so that a
        request that kills the daemon cannot do it forever (then: an empty answer)."""
        again = [m for i, m in self.in_flight.items() if i not in self.resent]
        self.resent.update(m["id"] for m in again)
        for request_id in [i for i in self.in_flight if i not in {m["id"] for m in again}]:
            self._answer(request_id, self.in_flight[request_id].get("method"))
        self.in_flight.clear()
        self.backlog[:0] = again

    def _answer(self, request_id: RequestId, method: str | None) -> None:
        if method == INLINE:
            self._to_editor({"jsonrpc": "2.0", "id": request_id, "result": None})
        else:
            message = "coderd: the daemon restarted; ask again"
            self._to_editor(error_response(request_id, CONTENT_MODIFIED, message))

    def _answer_in_flight(self) -> None:
        for request_id, message in list(self.in_flight.items()):
            self._answer(request_id, message.get("method"))
        self.in_flight.clear()

    def _to_editor(self, message: Message) -> None:
        try:
            write_message(self._stdout, message)
        except ValueError as exc:  # nothing the daemon sends; never fatal all the same
            log.error("relay: cannot send %s to the editor: %s", message.get("id"), exc)

    # -- connecting ---------------------------------------------------------------------------

    async def _connect(self, replay: bool = False) -> bool:
        reason = "cannot start the daemon"
        while self.restarts < RESTARTS:
            self.restarts += 1
            try:
                reader, writer = await self._open()
            except (RendezvousError, OSError, ValueError) as exc:
                log.error("relay: %s", exc)
                reason = str(exc)
                if not isinstance(exc, RendezvousError):  # its message says what to do
                    reason = f"cannot reach the coderd daemon ({exc}); see {paths.log_file()}"
                if isinstance(exc, Refused):
                    break  # not ours: trying again cannot help
                await asyncio.sleep(0.2 * self.restarts)
                continue
            self.restarts = 0
            if replay:
                self._replay(writer)
            self.daemon = writer
            for message in self.backlog:
                self._send(writer, message)
            self.backlog.clear()
            self._pump = asyncio.get_running_loop().create_task(self._pump_daemon(reader))
            return True
        self._give_up(reason)
        return False

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        assert self.rendezvous is not None
        return await open_daemon(self.rendezvous, self.daemon_command, self.init_options)

    def _replay(self, writer: asyncio.StreamWriter) -> None:
        for message in self.state.replay():
            try:
                write_message(writer, message)
            except ValueError as exc:  # it was sent once: only a deeper stack gets here
                log.error("relay: cannot replay %s: %s", message.get("method"), exc)
                return

    def _give_up(self, reason: str) -> None:
        """No daemon: every request from now on is answered with the reason (the editor shows
        `initialize`'s error), never left unanswered; the relay stays until the editor leaves."""
        self.gave_up = " ".join(reason.split())  # one line, whatever an OSError said
        self._answer_in_flight()
        for message in self.backlog:
            if "id" in message and "method" in message:
                self._no_daemon(message["id"], message["method"])
        self.backlog.clear()
        # A session that worked and lost its daemon: `initialize` is past, so a message says it.
        if self.state.initialized:
            self._to_editor(
                {
                    "jsonrpc": "2.0",
                    "method": types.WINDOW_SHOW_MESSAGE,
                    "params": {"type": 1, "message": f"coderd: {self.gave_up}"},
                }
            )

    def _no_daemon(self, request_id: RequestId, method: object) -> None:
        if method == types.SHUTDOWN:  # the editor may still leave cleanly
            self._to_editor({"jsonrpc": "2.0", "id": request_id, "result": None})
            return
        self._to_editor(error_response(request_id, INTERNAL_ERROR, f"coderd: {self.gave_up}"))


def run_relay(daemon_command: list[str]) -> int:
    try:
        return asyncio.run(Relay(daemon_command).run())
    except (BrokenPipeError, ConnectionResetError):
        return 0
