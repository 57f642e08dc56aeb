"""`coderd lsp` (the relay, through the real daemon and the scripted engine) under fuzzed
input: it never dies, answers every request once, and keeps documents exactly in sync
(tests/fuzz_lsp.py says what is sent and checked). The framing alone is fuzzed first: random
streams of good and broken frames, cut into random chunks.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time

import psutil
from fuzz_lsp import SCRIPT, crlf_frame, encode, read_frames, run_fuzz
from lsp_client import TESTS, scratch_env

from lsp.process.framing import MAX_HEADER_LINE, FrameParser, parse_body

MESSAGES = 1500  # per run; raise it for a longer hunt (the stream depends on seed and count)
SEED = 20240611
FRAMES = 3000  # the framing fuzz: frames per stream


async def test_the_relay_survives_fuzzed_traffic(tmp_path):
    report = await run_fuzz(tmp_path, daemon=True, seed=SEED, messages=MESSAGES)
    print(f"relay fuzz: {report}")
    assert report.documents > 50  # the text was compared often, not only at the end


def broken_frame(rng: random.Random) -> bytes:
    junk = json.dumps({"jsonrpc": "2.0", "method": "junk", "params": {"n": rng.random()}})
    body = junk.encode()
    return rng.choice(
        [
            b"Content-Length: abc\r\n\r\n" + body,
            b"Content-Length: -5\r\n\r\n" + body,
            b"Content-Length:\r\n\r\n" + body,
            b"Content-Type: text/x\r\n\r\n" + body,  # no length at all
            b"Content-Length: %d\r\n\r\n" % rng.randrange(1, len(body)) + body,  # too short
            b"Content-Length: %d\r\n\r\n" % (len(body) + rng.randrange(24, 90)) + body,
            b"X: " + b"x" * (MAX_HEADER_LINE + rng.randrange(1, 5000)) + b"\r\n\r\n" + body,
            body + b"\n\n",  # a body without headers
        ]
    )


def good_frame(rng: random.Random, n: int) -> tuple[bytes, bytes]:
    body = json.dumps({"jsonrpc": "2.0", "method": "ok", "params": {"n": n, "t": "é\n"}}).encode()
    header = rng.choice(
        [
            b"Content-Length: %d\r\n\r\n",
            b"content-length: %d\n\n",
            b"Content-Type: application/vscode-jsonrpc\r\nContent-Length:%d\r\n\r\n",
            b"CONTENT-LENGTH: %d  \n\r\n",
        ]
    )
    return header % len(body) + body, body


def test_framing_recovers_every_good_frame():
    """Each broken frame is followed by a good one in a plain frame (a frame that announces
    too many bytes swallows what follows: only a header the parser can find again)."""
    rng = random.Random(SEED)
    stream, expected = bytearray(), []
    for n in range(FRAMES):
        if rng.random() < 0.3:
            stream += broken_frame(rng)
        data, body = good_frame(rng, n)
        stream += data
        expected.append(body)
    stream += b"Content-Length: 2\r\n\r\n{}"  # what a frame that announces too much waits for
    parser = FrameParser("fuzz")
    got: list[bytes] = []
    at = 0
    while at < len(stream):
        step = rng.choice([1, 7, 100, 4096, 65536])
        got += parser.feed(bytes(stream[at : at + step]))
        at += step
    good = [body for body in got if b'"ok"' in body]
    assert good == expected
    others = [parse_body(body) for body in got if b'"ok"' not in body and body != b"{}"]
    assert all(o is None or o.get("method") == "junk" for o in others)  # cut bodies: not JSON
    assert parser.problems > 0


async def test_a_lone_surrogate_survives_a_daemon_restart(tmp_path):
    """The relay re-sends its copy of each document to a new daemon: a text holding a lone
    surrogate ("\\udc80" in the JSON) once made every restart crash the relay."""
    env = scratch_env(tmp_path, CODERD_FAKE_SCRIPT=json.dumps(SCRIPT))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(TESTS / "fake_server.py"),
        "lsp",
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdin is not None and process.stdout is not None
    buffer, got = bytearray(), {}

    async def call(msg_id, method, params):
        process.stdin.write(
            crlf_frame(encode({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}))
        )
        while msg_id not in got:
            chunk = await asyncio.wait_for(process.stdout.read(1 << 16), 30)
            assert chunk, "the relay ended"
            buffer.extend(chunk)
            got.update((m["id"], m) for m in read_frames(buffer) if "method" not in m)
        return got[msg_id]

    def notify(method, params):
        process.stdin.write(
            crlf_frame(encode({"jsonrpc": "2.0", "method": method, "params": params}))
        )

    uri, text = (tmp_path / "s.py").as_uri(), "half an emoji: \udc80\nx = "
    try:
        await call(1, "initialize", {"processId": None, "capabilities": {}})
        notify("initialized", {})
        item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        notify("textDocument/didOpen", {"textDocument": item})
        assert (await call(2, "coderd/document", {"uri": uri}))["result"]["text"] == text
        old = (await call(3, "coderd/status", {}))["result"]["pid"]
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while psutil.pid_exists(old) and psutil.Process(old).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        change = {
            "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}},
            "text": "\udc81",
        }
        notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [change]},
        )
        document = (await call(4, "coderd/document", {"uri": uri}))["result"]
        assert document == {"uri": uri, "version": 2, "text": text + "\udc81"}
        assert (await call(5, "coderd/status", {}))["result"]["pid"] != old
        assert process.returncode is None
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
