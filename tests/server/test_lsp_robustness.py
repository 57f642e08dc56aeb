"""Bad input never kills the server, and every request gets exactly one answer.

Most tests use the real LSP client; the malformed-message test writes raw Content-Length
frames to the server's stdin, since no well-behaved client can send them.
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
import time

import pytest
from lsp_client import TESTS, edit, inline, open_doc, running_server, scratch_env
from lsprotocol import types
from pygls.exceptions import JsonRpcException

URI = "file:///work/robust.py"
SOURCE = "def f(x):\n    return x\n\nvalue = \n"
SCRIPT = {"rules": [{"after": "", "reply": "42"}]}
INVALID_PARAMS, REQUEST_CANCELLED = -32602, -32800


def is_empty(result) -> bool:
    return isinstance(result, types.InlineCompletionList) and len(result.items) == 0


async def test_unknown_uri_is_an_empty_list(tmp_path):
    async with running_server(tmp_path, fake=SCRIPT) as client:
        assert is_empty(await inline(client, "file:///nowhere/never_opened.py", 0, 0))
        open_doc(client, URI, SOURCE)
        assert (await inline(client, URI, 3, 8)).items[0].insert_text == "42"


async def test_positions_past_the_end(tmp_path):
    async with running_server(tmp_path, fake=SCRIPT) as client:
        open_doc(client, URI, SOURCE)
        # SOURCE ends with "\n", so it has 5 lines (0..4); line 5 does not exist.
        for line in (5, 1000):
            with pytest.raises(JsonRpcException) as caught:
                await inline(client, URI, line, 0)
            assert caught.value.code == INVALID_PARAMS
        # A character past the end of an existing line means the end of that line.
        clamped = await inline(client, URI, 3, 500)
        assert isinstance(clamped, types.InlineCompletionList)
        assert clamped.items and clamped.items[0].insert_text == "42"
        end_of_line = types.Position(3, len("value = "))  # where the text goes, not 3:500
        assert clamped.items[0].range == types.Range(start=end_of_line, end=end_of_line)
        assert isinstance(await inline(client, URI, 4, 99), types.InlineCompletionList)
        # An edit whose range lies past the end does not lose the text or the server.
        edit(client, URI, 2, (40, 0), (41, 0), "# appended\n")
        doc = await client.protocol.send_request_async("coderd/document", {"uri": URI})
        assert doc.text == SOURCE + "# appended\n" and doc.version == 2
        # A range ending past the end reaches the end of the text: (0,0)-(line count,0) on a
        # text without a final line break replaces it all, as clients that do that expect.
        edit(client, URI, 3, (4, 0), (5, 0), "# last line, no break")
        doc = await client.protocol.send_request_async("coderd/document", {"uri": URI})
        assert doc.text == SOURCE + "# last line, no break"  # lines 0..4
        edit(client, URI, 4, (0, 0), (5, 0), SOURCE)
        doc = await client.protocol.send_request_async("coderd/document", {"uri": URI})
        assert doc.text == SOURCE and doc.version == 4
        assert (await inline(client, URI, 3, 8)).items[0].insert_text == "42"


async def test_huge_document_answers_empty_quickly(tmp_path):
    huge = "value = compute(1, 2)  # padding padding\n" * 110_000  # > 4M characters
    assert len(huge) > 4 * 1024 * 1024
    async with running_server(tmp_path, fake=SCRIPT) as client:
        open_doc(client, URI, huge)
        started = time.perf_counter()
        result = await inline(client, URI, 50_000, 8)
        elapsed = time.perf_counter() - started
        print(f"huge document ({len(huge)} chars): answered in {elapsed * 1000:.0f} ms")
        assert is_empty(result)
        assert elapsed < 5
        state = await client.protocol.send_request_async("coderd/status", {})
        assert state.last is None  # the engine never saw the huge text
        # Still tracked: edits apply, and once small again it is completed normally.
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=SOURCE)],
            )
        )
        assert (await inline(client, URI, 3, 8)).items[0].insert_text == "42"


async def test_request_after_close_is_empty(tmp_path):
    async with running_server(tmp_path, fake=SCRIPT) as client:
        open_doc(client, URI, SOURCE)
        assert (await inline(client, URI, 3, 8)).items[0].insert_text == "42"
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=URI))
        )
        assert is_empty(await inline(client, URI, 3, 8))
        # Changes to a closed document are ignored, not an error; reopening works.
        edit(client, URI, 5, (0, 0), (0, 0), "x")
        assert await client.protocol.send_request_async("coderd/document", {"uri": URI}) is None
        open_doc(client, URI, SOURCE)
        assert (await inline(client, URI, 3, 8)).items[0].insert_text == "42"


# -- raw JSON-RPC --------------------------------------------------------------------------


def frame(body) -> bytes:
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def read_frame(stdout: asyncio.StreamReader) -> dict | None:
    length = None
    while True:
        line = await stdout.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    assert length is not None, "a frame without Content-Length"
    return json.loads(await stdout.readexactly(length))


def request(msg_id, method, params=None) -> dict:
    message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method, params) -> dict:
    return {"jsonrpc": "2.0", "method": method, "params": params}


def inline_params(uri, position) -> dict:
    return {"textDocument": {"uri": uri}, "position": position, "context": {"triggerKind": 2}}


class RawServer:
    """The server as a subprocess, and every frame it wrote to stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.received: list[dict] = []

    async def send(self, *messages) -> None:
        for message in messages:
            self.process.stdin.write(frame(message))
        await self.process.stdin.drain()

    async def response(self, msg_id, timeout: float = 10) -> dict:
        """Read frames until the response to msg_id arrives (earlier frames are kept)."""

        async def wait():
            while True:
                message = await read_frame(self.process.stdout)
                assert message is not None, "the server closed its stdout"
                self.received.append(message)
                if message.get("id") == msg_id and "method" not in message:
                    return message

        return await asyncio.wait_for(wait(), timeout)

    def show_messages(self) -> list[str]:
        return [
            m["params"]["message"]
            for m in self.received
            if m.get("method") == types.WINDOW_SHOW_MESSAGE
        ]


async def test_malformed_messages_raw(tmp_path):
    env = scratch_env(tmp_path, CODERD_FAKE_SCRIPT=json.dumps(SCRIPT))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(TESTS / "fake_server.py"),
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    server = RawServer(process)
    uri = "file:///work/raw.py"
    bad = [
        '{"jsonrpc": "2.0", "id": 1, "method": ',  # truncated JSON
        [1, 2, 3],  # a JSON array (LSP has no batches)
        "42",
        "null",
        b"\xff\xfe not utf-8",
        notification("textDocument/didOpen", {"textDocument": 5}),  # bad notification params
    ]
    try:
        await server.send(*bad)
        # Requests whose params do not parse are still answered, each with its own id.
        await server.send(
            request(2, "textDocument/inlineCompletion", inline_params(uri, "abc")),
            request(
                "three",
                "textDocument/inlineCompletion",
                inline_params(uri, {"line": -1, "character": 0}),
            ),
            request(4, "textDocument/inlineCompletion"),  # params missing altogether
        )
        for msg_id in (2, "three", 4):
            assert (await server.response(msg_id))["error"]["code"] == INVALID_PARAMS
        # Custom requests may omit params (JSON-RPC allows it); unknown methods say so.
        await server.send(request(5, "coderd/status"), request(6, "no/such/method"))
        assert (await server.response(5))["result"]["state"] == "uninitialized"
        assert (await server.response(6))["error"]["code"] == -32601

        # Now a normal session on the same connection.
        await server.send(request(10, "initialize", {"processId": None, "capabilities": {}}))
        assert "capabilities" in (await server.response(10))["result"]
        await server.send(
            notification("initialized", {}),
            notification(
                "textDocument/didOpen",
                {
                    "textDocument": {
                        "uri": uri,
                        "languageId": "python",
                        "version": 1,
                        "text": "x = \n",
                    }
                },
            ),
            request(
                11, "textDocument/inlineCompletion", inline_params(uri, {"line": 0, "character": 4})
            ),
        )
        assert (await server.response(11))["result"]["items"][0]["insertText"] == "42"

        # More garbage after initialization, interleaved with good requests.
        for n in range(20, 30):
            await server.send(
                bad[n % len(bad)],
                request(n, "textDocument/inlineCompletion", inline_params(uri, "abc")),
                request(
                    100 + n,
                    "textDocument/inlineCompletion",
                    inline_params(uri, {"line": 0, "character": 4}),
                ),
            )
            assert (await server.response(n))["error"]["code"] == INVALID_PARAMS
            assert (await server.response(100 + n))["result"]["items"][0]["insertText"] == "42"
        await server.send(request(200, "coderd/status", {}))
        assert (await server.response(200))["result"]["state"] == "ready"
        assert process.returncode is None, "the server died"

        # After shutdown a request is still answered (InvalidRequest), then exit ends it.
        await server.send(request(300, "shutdown"), request(301, "coderd/status", {}))
        assert (await server.response(300))["result"] is None
        assert (await server.response(301))["error"]["code"] == -32600
        await server.send(notification("exit", None))
        assert await asyncio.wait_for(process.wait(), 10) == 0
        while (message := await read_frame(process.stdout)) is not None:
            server.received.append(message)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    answered = collections.Counter(m["id"] for m in server.received if "method" not in m)
    assert all(count == 1 for count in answered.values()), answered
    expected = {2, "three", 4, 5, 6, 10, 11, 200, 300, 301}
    expected |= set(range(20, 30)) | set(range(120, 130))
    assert set(answered) == expected
    malformed = [m for m in server.show_messages() if "malformed" in m]
    assert len(malformed) <= 1, malformed
