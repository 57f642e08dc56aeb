"""Replay a typing trace through the real language server over stdio, as an editor would.

`Editor` is one LSP client (pygls) connected to one `coderd lsp` process: didOpen, then for
each key a didChange and a textDocument/inlineCompletion request. Three ways to type:

* sequential: wait for each answer before the next key; coderd/status's `last` (the request's
  RequestStats) is read after each answer, off the clock;
* gaps: keys at the trace's recorded gaps, never waiting; before each key the client sends
  `$/cancelRequest` for a request still in flight (VS Code cancels on a document change;
  `cancel_stale=False` leaves it to the server's own supersession);
* typing through: a user who types the suggestion on screen, one character at a time.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient

from .replay_stats import KeyResult, classify, coderd_stats
from .traces import Document, Trace

STATUS = "coderd/status"
CURSOR_METHOD = "coderd/didMoveCursor"
SEGMENT_PAUSE_S = 0.5  # between segments: the user moves elsewhere


def coderd_command(standalone: bool = False) -> list[str]:
    """What an editor starts: `coderd lsp` (a relay to the shared daemon, or the whole server)."""
    return [sys.executable, "-m", "lsp", "lsp", *(["--standalone"] if standalone else [])]


def scratch_env(home: Path, **extra: str) -> dict[str, str]:
    """HOME, TMPDIR and XDG_* (XDG_RUNTIME_DIR too: where a shared daemon's socket lives)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODERD_", "XDG_"))}
    env.update(HOME=str(home), TMPDIR=str(home / "tmp"))
    for name in ("CONFIG", "STATE", "DATA", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    runtime = home / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    env.update(extra)
    return env


@dataclass
class ServerSpec:
    command: list[str]
    env: dict[str, str]
    init_options: dict | None = None
    # Send coderd/didMoveCursor where the cursor lands on an open or a switch, as coderd's own
    # clients do (editors/PROTOCOL.md); False: a generic LSP client, which says nothing.
    cursor_hints: bool = True


@dataclass
class Editor:
    """One connected client. Answer times are taken when the response is read, not awaited."""

    spec: ServerSpec
    root: Path
    client: BaseLanguageClient = field(init=False)
    messages: list[str] = field(default_factory=list)
    answered: dict = field(default_factory=dict)  # msg id -> perf_counter() of the response

    async def start(self) -> Editor:
        self.client = BaseLanguageClient("coderd-bench", "1")

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def _show(params):
            self.messages.append(params.message)

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def _log(params):
            pass

        await self.client.start_io(*self.spec.command, env=self.spec.env, cwd=str(self.root))
        folder = types.WorkspaceFolder(uri=self.root.as_uri(), name=self.root.name)
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=self.root.as_uri(),
                workspace_folders=[folder],
                initialization_options=self.spec.init_options,
            )
        )
        self.client.initialized(types.InitializedParams())
        return self

    @property
    def pid(self) -> int | None:
        server = self.client._server
        return server.pid if server else None

    async def status(self) -> dict:
        return _plain(await self.client.protocol.send_request_async(STATUS, {})) or {}

    async def wait_ready(self, timeout_s: float = 300) -> dict:
        deadline = time.monotonic() + timeout_s
        while True:
            status = await self.status()
            if (
                status.get("state") not in ("loading", "uninitialized")
                or time.monotonic() > deadline
            ):
                return status
            await asyncio.sleep(0.2)

    def open(
        self, uri: str, text: str, language: str, cursor: tuple[int, int] | None = None
    ) -> None:
        """didOpen; and where the editor shows the cursor (`cursor`: line, character)."""
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language, version=1, text=text
                )
            )
        )
        if cursor is not None:
            self.focus(uri, cursor)

    def focus(self, uri: str, cursor: tuple[int, int]) -> None:
        """The cursor landed at `cursor` in `uri` (an open, a switch of tab): coderd's clients
        say so (coderd/didMoveCursor); a generic client (`cursor_hints` off) says nothing."""
        if self.spec.cursor_hints:
            position = {"line": cursor[0], "character": cursor[1]}
            self.client.protocol.notify(
                CURSOR_METHOD, {"textDocument": {"uri": uri}, "position": position}
            )

    def change(self, uri: str, version: int, start, end, text: str) -> None:
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=text
        )
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )

    def close_document(self, uri: str) -> None:
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def request(self, uri: str, position: tuple[int, int], msg_id: str) -> Future:
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(*position),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
        future = self.client.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
        )
        future.add_done_callback(lambda _f: self.answered.setdefault(msg_id, time.perf_counter()))
        return future

    def cancel(self, msg_id: str) -> None:
        self.client.cancel_request(types.CancelParams(id=msg_id))

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 30)
            self.client.exit(None)
            await asyncio.wait_for(self.client.stop(), 30)
        except (asyncio.TimeoutError, RuntimeError):
            if self.client._server and self.client._server.returncode is None:
                self.client._server.kill()


def _plain(obj):
    """pygls hands a custom method's result over as named tuples: back to dicts and lists."""
    if hasattr(obj, "_asdict"):
        obj = obj._asdict()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _record(editor: Editor, result: KeyResult, future: Future, msg_id: str) -> None:
    result.answered_at = editor.answered.get(msg_id)
    if future.cancelled():
        result.outcome = "cancelled"
        return
    error = future.exception()
    if error is not None:
        cancelled = "cancel" in f"{type(error).__name__} {error}".lower()
        result.outcome = "cancelled" if cancelled else "error"
        result.text = str(error)[:80]
        return
    answer = future.result()
    items = getattr(answer, "items", answer) or []
    result.text = items[0].insert_text if items else ""
    if not isinstance(result.text, str):
        result.text = result.text.value
    result.outcome = "shown" if items else "empty"


async def replay(
    editor: Editor,
    trace: Trace,
    text: str,
    uri: str,
    *,
    gaps: bool = False,
    cancel_stale: bool = True,
    with_stats: bool = True,
    segment_stats: bool = False,
    after_key=None,
) -> list[KeyResult]:
    """Type every segment of the trace; one request per key.

    `after_key(segment, index, doc, line, col)`, awaited after each answer when sequential:
    where --interleave asks llama-server for the same text before the next key.
    `segment_stats` (gaps): once a segment's answers are in, coderd/status's `last` (its last
    key's request, the newest) is read off the clock and kept on that key's result.
    A segment whose line has no tail left to delete (a burst continuing a line) sends no edit.
    """
    doc = Document(text)
    editor.open(uri, text, trace.language_id)
    results: list[KeyResult] = []
    index = 0
    for si, seg in enumerate(trace.segments):
        if len(doc.lines[seg.line]) > seg.character:
            start, end, _ = doc.replace(seg.line, seg.character, len(doc.lines[seg.line]), "")
            editor.change(uri, doc.version, start, end, "")
        col, inflight, last_key = seg.character, [], 0.0
        for k, ch in enumerate(seg.typed):
            if gaps and k:
                await asyncio.sleep(
                    max(0.0, last_key + seg.gaps_ms[k] / 1000 - time.perf_counter())
                )
            if cancel_stale:
                for msg_id, fut, _ in inflight:
                    if not fut.done():
                        editor.cancel(msg_id)
            start, end, _ = doc.replace(seg.line, col, col, ch)
            col += 1
            editor.change(uri, doc.version, start, end, ch)
            msg_id = f"key-{index}"
            last_key = time.perf_counter()
            future = editor.request(uri, doc.cursor(seg.line, col), msg_id)
            result = KeyResult(si, index, last_key, last_key)
            results.append(result)
            inflight.append((msg_id, future, result))
            if not gaps:
                await asyncio.gather(asyncio.wrap_future(future), return_exceptions=True)
                _record(editor, result, future, msg_id)
                if with_stats:
                    result.stats = coderd_stats((await editor.status()).get("last"))
                if after_key is not None:
                    await after_key(si, index, doc, seg.line, col)
            index += 1
        for msg_id, fut, result in inflight:
            await asyncio.gather(asyncio.wrap_future(fut), return_exceptions=True)
            _record(editor, result, fut, msg_id)
        if gaps and segment_stats and inflight:
            inflight[-1][2].stats = coderd_stats((await editor.status()).get("last"))
        following = trace.segments[si + 1] if si + 1 < len(trace.segments) else None
        if following is not None and (following.line, following.character) != (seg.line, col):
            # The user moves the cursor elsewhere (a click, a search), then starts typing there
            # after the pause: coderd's clients say where it landed (a generic client nothing).
            editor.focus(uri, doc.cursor(following.line, following.character))
        await asyncio.sleep(SEGMENT_PAUSE_S)  # typing the whole tail left the line as in the file
    classify(results)
    return results


async def typing_through(editor: Editor, trace: Trace, text: str, uri: str) -> list[KeyResult]:
    """Sequential; each key types the suggestion's next character (else the file's)."""
    doc = Document(text)
    editor.open(uri, text, trace.language_id)
    results: list[KeyResult] = []
    index = 0
    for si, seg in enumerate(trace.segments):
        original = doc.lines[seg.line]
        start, end, _ = doc.replace(seg.line, seg.character, len(original), "")
        editor.change(uri, doc.version, start, end, "")
        col, shown = seg.character, ""
        for k in range(len(seg.typed)):
            # The suggestion's next character; the file's when there is none (or it is a newline).
            ch = shown[0] if shown and shown[0] != "\n" else seg.typed[k]
            start, end, _ = doc.replace(seg.line, col, col, ch)
            col += 1
            editor.change(uri, doc.version, start, end, ch)
            msg_id = f"through-{index}"
            key_at = time.perf_counter()
            future = editor.request(uri, doc.cursor(seg.line, col), msg_id)
            result = KeyResult(si, index, key_at, key_at)
            await asyncio.gather(asyncio.wrap_future(future), return_exceptions=True)
            _record(editor, result, future, msg_id)
            result.stats = coderd_stats((await editor.status()).get("last"))
            results.append(result)
            shown = result.text if result.outcome == "shown" else ""
            index += 1
        # Put the line back as it is in the file before moving on.
        start, end, _ = doc.replace(seg.line, 0, len(doc.lines[seg.line]), original)
        editor.change(uri, doc.version, start, end, original)
        await asyncio.sleep(SEGMENT_PAUSE_S)
    return results
