"""Seeded LSP fuzzing of a server process over raw stdio frames (tests/process/test_relay_fuzz.py
through the relay and the daemon, tests/server/test_protocol_fuzz.py standalone).

`Fuzz` writes a mix of valid traffic (didOpen, didChange with ranges in UTF-16 columns over text
with accents, CJK, emoji and lone low surrogates, didClose, inline completions, `coderd/document`,
`coderd/status`, cancels, second `initialize`s) in several framings (lowercase header, LF line
ends, extra headers, raw surrogate bytes) and malformed input: ids that are lists, objects,
bools or null, Content-Length `abc` or `-5` or too short or too long, header lines over 64 KiB,
deeply nested JSON, truncated JSON, bytes that are not UTF-8, top-level arrays, wrong-typed
params. It keeps the documents as the server must see them, by applying the same valid edits.

`run_fuzz` asserts what the server owes: it stays alive; every request with a usable id is
answered exactly once (the ones whose frame was destroyed on purpose at most once); each
request with a list or object id gets one InvalidRequest with id null; each `coderd/document`
answer equals the test's copy at that point of the stream, and so does every document at the
end; `shutdown` and `exit` end it with status 0.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsp_client import TESTS, scratch_env

SCRIPT = {"rules": [{"after": "", "reply": "42"}]}
INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32600, -32601, -32602

# What documents are made of: a lone low surrogate is what a JavaScript client sends for half
# an emoji ("\udc80" in the JSON). Only low ones: "\ud83d\ude00" would be one character.
WORDS = ["def", "x", "value", "return", "(", ")", ":", "=", "  ", "\t", "é", "中文", "😀", "\udc80"]
WEIGHTS = [6, 6, 6, 4, 3, 3, 3, 3, 4, 1, 1, 1, 1, 1]


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def position(text: str, offset: int) -> dict[str, int]:
    """LSP position (UTF-16 columns, "\\n" lines) of a character offset."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "character": utf16(text[start:offset])}


def crlf_frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(message: Any, raw_surrogates: bool = False) -> bytes:
    if raw_surrogates:  # lone surrogates as (ill-formed) UTF-8 bytes, as some clients do
        return json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps(message).encode("ascii")


@dataclass
class Expect:
    method: str
    exactly: bool = True  # False: its frame was destroyed on purpose, at most one answer
    document: Any = "unchecked"  # coderd/document: the expected answer
    code: int | None = None  # the expected error code, when there must be one
    message: Any = None  # what was sent, for the failure's report


@dataclass
class Fuzz:
    seed: int
    root: Path
    rng: random.Random = field(init=False)
    truth: dict[str, dict[str, Any]] = field(default_factory=dict)  # uri -> {"version", "text"}
    expect: dict[Any, Expect] = field(default_factory=dict)
    null_answers: int = 0  # requests whose id is a list or object: answered with id null
    kinds: collections.Counter[str] = field(default_factory=collections.Counter)
    _next: int = 1000
    _last_inline: Any = None

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.uris = [(self.root / f"doc{i}.py").as_uri() for i in range(4)]
        self.uris.append("untitled:Untitled-1")

    # -- building blocks ---------------------------------------------------------------------

    def new_id(self) -> Any:
        self._next += 1
        roll = self.rng.random()
        if roll < 0.1:
            return f"s\udc80-{self._next}"  # a string id holding a lone surrogate
        if roll < 0.3:
            return f"id-é-{self._next}"
        return self._next

    def text(self, words: int) -> str:
        out = self.rng.choices(WORDS, WEIGHTS, k=words)
        for i in range(len(out)):
            if self.rng.random() < 0.12:
                out[i] += "\n"
        return "".join(out)

    def request(self, method: str, params: Any, **expect: Any) -> tuple[Any, dict[str, Any]]:
        msg_id = self.new_id()
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
        self.expect[msg_id] = Expect(method, message=message, **expect)
        return msg_id, message

    def framed(self, message: Any) -> bytes:
        """A valid message in one of the framings every server must accept."""
        raw = "\udc80" in json.dumps(message, ensure_ascii=False) and self.rng.random() < 0.3
        body = encode(message, raw_surrogates=raw)
        roll = self.rng.random()
        if roll < 0.08:
            return b"content-length: %d\n\n" % len(body) + body
        if roll < 0.14:
            return b"CONTENT-LENGTH:%d\r\n\r\n" % len(body) + body
        if roll < 0.2:
            return (
                b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; "
                b"charset=utf-8\r\n\r\n" % len(body) + body
            )
        if roll < 0.24:
            return (
                b"Content-Type: application/vscode-jsonrpc\nContent-Length:  %d \n\n" % len(body)
                + body
            )
        return crlf_frame(body)

    # -- valid traffic -------------------------------------------------------------------------

    def did_open(self) -> bytes:
        uri = self.rng.choice(self.uris)
        text = self.text(self.rng.randrange(0, 120))
        self.truth[uri] = {"version": 1, "text": text}
        item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        return self.framed(
            {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}}
        )

    def did_change(self, whole: bool = False) -> bytes:
        if not self.truth:
            return self.did_open()
        uri = self.rng.choice(sorted(self.truth))
        doc = self.truth[uri]
        changes = []
        for _ in range(1 if whole else self.rng.randrange(1, 4)):
            text = doc["text"]
            if whole:
                new = self.text(self.rng.randrange(0, 80))
                changes.append({"text": new})
                doc["text"] = new
                continue
            lo = self.rng.randrange(0, len(text) + 1)
            hi = min(len(text), lo + self.rng.choice([0, 0, 1, 3, 20]))
            new = self.text(self.rng.choice([0, 1, 1, 2, 6]))
            start, end = position(text, lo), position(text, hi)
            if self.rng.random() < 0.2:
                start, end = end, start  # a reversed range means the same span
            changes.append({"range": {"start": start, "end": end}, "text": new})
            doc["text"] = text[:lo] + new + text[hi:]
        doc["version"] += 1
        params = {
            "textDocument": {"uri": uri, "version": doc["version"]},
            "contentChanges": changes,
        }
        return self.framed({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": params})

    def did_close(self) -> bytes:
        if not self.truth:
            return self.did_open()
        uri = self.rng.choice(sorted(self.truth))
        del self.truth[uri]
        params = {"textDocument": {"uri": uri}}
        return self.framed({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": params})

    def inline(self) -> bytes:
        uri = self.rng.choice(self.uris)
        text = self.truth.get(uri, {"text": ""})["text"]
        where = position(text, self.rng.randrange(0, len(text) + 1))
        params = {"textDocument": {"uri": uri}, "position": where, "context": {"triggerKind": 2}}
        msg_id, message = self.request("textDocument/inlineCompletion", params)
        self._last_inline = msg_id
        return self.framed(message)

    def document(self, uri: str | None = None) -> bytes:
        uri = uri or self.rng.choice(self.uris)
        doc = self.truth.get(uri)
        expected = {"uri": uri, **doc} if doc else None
        _, message = self.request("coderd/document", {"uri": uri}, document=expected)
        return self.framed(message)

    def status(self) -> bytes:
        return self.framed(self.request("coderd/status", {})[1])

    def cancel(self) -> bytes:
        if self._last_inline is None:
            return self.status()
        params = {"id": self._last_inline}
        return self.framed({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": params})

    def unknown_method(self) -> bytes:
        return self.framed(self.request("no/such/method", {}, code=METHOD_NOT_FOUND)[1])

    def bad_params_request(self) -> bytes:
        params = {"textDocument": {"uri": self.uris[0]}, "position": "abc"}
        return self.framed(
            self.request("textDocument/inlineCompletion", params, code=INVALID_PARAMS)[1]
        )

    def second_initialize(self) -> bytes:
        if self.rng.random() < 0.5:  # well-formed: refused, the first session goes on
            params: Any = {"processId": None, "capabilities": {}}
            return self.framed(self.request("initialize", params, code=INVALID_REQUEST)[1])
        params = self.rng.choice([[1], {"capabilities": 5}, "x"])  # wrong-typed: an error
        _, message = self.request("initialize", params)
        return self.framed(message)

    def without_jsonrpc(self) -> bytes:
        _, message = self.request("coderd/status", {}, code=INVALID_REQUEST)
        del message["jsonrpc"]
        return self.framed(message)

    # -- malformed -----------------------------------------------------------------------------

    def bad_id(self) -> bytes:
        bad = self.rng.choice([[1, 2], {"a": 1}, [], {}])
        self.null_answers += 1
        message = {"jsonrpc": "2.0", "id": bad, "method": "coderd/status", "params": {}}
        return crlf_frame(encode(message))

    def odd_id(self) -> bytes:
        """true, null or a fraction: no LSP id either (answered with id null)."""
        self.null_answers += 1
        message = {"jsonrpc": "2.0", "id": self.rng.choice([True, None, 1.5]), "method": "x/y"}
        return crlf_frame(encode(message))

    def lost_request(self) -> tuple[Any, bytes]:
        """A request whose frame is destroyed: it may never be answered."""
        msg_id, message = self.request("coderd/status", {}, exactly=False)
        return msg_id, encode(message)

    def bad_length(self) -> bytes:
        _, body = self.lost_request()
        value = self.rng.choice([b"abc", b"-5", b"1e3", b"", b"99999999999999999999"])
        return b"Content-Length: " + value + b"\r\n\r\n" + body

    def overlong_header(self) -> bytes:
        _, body = self.lost_request()
        junk = b"X-Junk: " + b"j" * self.rng.randrange(70_000, 90_000) + b"\r\n"
        return junk + crlf_frame(body)

    def nested(self) -> bytes:
        _, body = self.lost_request()
        depth = self.rng.choice([2_000, 20_000])
        return crlf_frame(body[:-1] + b',"deep":' + b"[" * depth + b"]" * depth + b"}")

    def garbage(self) -> bytes:
        _, body = self.lost_request()
        return crlf_frame(
            self.rng.choice(
                [
                    body[: len(body) // 2],  # truncated JSON
                    b"\xff\xfe not utf-8 " + body,
                    b"[1, 2, 3]",
                    b"42",
                    b"null",
                    b'"a string"',
                ]
            )
        )

    def short_length(self) -> bytes:
        """Announces fewer bytes than it has: the rest runs into the next frame's header."""
        _, body = self.lost_request()
        return b"Content-Length: %d\r\n\r\n" % self.rng.randrange(1, len(body)) + body

    def long_length(self) -> bytes:
        """Announces more bytes than it has: it swallows the next frame's header (and more),
        which the server must find again. The next frame is a plain one (see step)."""
        _, body = self.lost_request()
        return b"Content-Length: %d\r\n\r\n" % (len(body) + self.rng.randrange(24, 200)) + body

    def bad_notification(self) -> bytes:
        method, params = self.rng.choice(
            [
                (
                    "workspace/didChangeWorkspaceFolders",
                    {"event": {"added": [1, 2], "removed": "x"}},
                ),
                ("workspace/didChangeWorkspaceFolders", [1]),
                ("workspace/didChangeWorkspaceFolders", {"event": 5}),
                ("workspace/didChangeWorkspaceFolders", {"event": {"added": [{"uri": 5}]}}),
                ("textDocument/didOpen", {"textDocument": 5}),
                ("textDocument/didOpen", {"textDocument": {"uri": self.uris[0], "text": 5}}),
                ("textDocument/didChange", {"textDocument": {"uri": self.uris[0]}}),
                (
                    "textDocument/didChange",
                    {
                        "textDocument": {"uri": self.uris[0], "version": "x"},
                        "contentChanges": [{"text": "lost"}],
                    },
                ),
                ("textDocument/didClose", {"textDocument": {"uri": [1]}}),
                ("textDocument/didClose", "x"),
            ]
        )
        return crlf_frame(encode({"jsonrpc": "2.0", "method": method, "params": params}))

    # -- the stream ----------------------------------------------------------------------------

    VALID = {
        "did_open": 5,
        "did_change": 30,
        "did_change_whole": 3,
        "did_close": 3,
        "inline": 18,
        "document": 10,
        "status": 2,
        "cancel": 2,
        "unknown_method": 1,
        "bad_params_request": 2,
        "second_initialize": 1,
        "without_jsonrpc": 1,
    }
    MALFORMED = {
        "bad_id": 4,
        "odd_id": 1,
        "bad_length": 3,
        "overlong_header": 0.3,
        "nested": 1,
        "garbage": 3,
        "short_length": 2,
        "long_length": 2,
        "bad_notification": 4,
    }

    def step(self, plain_only: bool = False) -> tuple[str, bytes]:
        table = dict(self.VALID) if plain_only else {**self.VALID, **self.MALFORMED}
        kind = self.rng.choices(list(table), list(table.values()))[0]
        self.kinds[kind] += 1
        if kind == "did_change_whole":
            return kind, self.did_change(whole=True)
        data: bytes = getattr(self, kind)()
        return kind, data


def read_frames(buffer: bytearray) -> list[dict[str, Any]]:
    """The complete frames at the start of buffer (servers write canonical ones)."""
    out = []
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return out
        headers = bytes(buffer[:end]).decode("ascii").split("\r\n")
        (length,) = [int(h.split(":")[1]) for h in headers if h.startswith("Content-Length:")]
        if len(buffer) < end + 4 + length:
            return out
        out.append(json.loads(bytes(buffer[end + 4 : end + 4 + length])))
        del buffer[: end + 4 + length]


@dataclass
class Report:
    messages: int
    malformed: int
    requests: int
    answered: int
    null_answers: int
    documents: int  # coderd/document answers compared with an open document's text
    seconds: float
    kinds: dict[str, int]


async def run_fuzz(
    home: Path, *, daemon: bool, seed: int, messages: int, batch: int = 25
) -> Report:
    root = home / "work"
    root.mkdir(parents=True, exist_ok=True)
    env = scratch_env(home, CODERD_FAKE_SCRIPT=json.dumps(SCRIPT))
    command = [sys.executable, str(TESTS / "fake_server.py"), "lsp"]
    if not daemon:
        command.append("--standalone")
    err = home / "server.err"
    stderr = err.open("wb")
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout
    answers: collections.defaultdict[Any, list[dict[str, Any]]] = collections.defaultdict(list)
    null_answers: list[dict[str, Any]] = []
    arrived, closed = asyncio.Event(), asyncio.Event()

    async def read() -> None:
        buffer = bytearray()
        try:
            while chunk := await stdout.read(1 << 16):
                buffer += chunk
                for message in read_frames(buffer):
                    if "method" in message:
                        if "id" in message:  # a request of the server's: answer it
                            reply = {"jsonrpc": "2.0", "id": message["id"], "result": None}
                            stdin.write(crlf_frame(encode(reply)))
                        continue
                    if message.get("id") is None:
                        null_answers.append(message)
                    else:
                        answers[message["id"]].append(message)
                    arrived.set()
        finally:
            closed.set()
            arrived.set()

    async def answer(msg_id: Any, timeout: float = 60) -> dict[str, Any]:
        what = f"{fuzz.expect[msg_id].method} {msg_id!r}"

        async def wait() -> dict[str, Any]:
            while not answers.get(msg_id):
                if closed.is_set():
                    raise AssertionError(f"the server ended before answering {what}; see {err}")
                arrived.clear()
                await arrived.wait()
            return answers[msg_id][0]

        try:
            return await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"no answer to {what} in {timeout} s: the server is deaf"
            ) from None

    fuzz = Fuzz(seed, root)
    started = time.perf_counter()
    reader = asyncio.get_running_loop().create_task(read())
    try:
        init = {
            "processId": None,
            "capabilities": {},
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": "work"}],
        }
        init_id, message = fuzz.request("initialize", init)
        stdin.write(crlf_frame(encode(message)))
        stdin.write(crlf_frame(encode({"jsonrpc": "2.0", "method": "initialized", "params": {}})))
        status_id, message = fuzz.request("coderd/status", {})
        stdin.write(crlf_frame(encode(message)))
        await stdin.drain()
        assert "capabilities" in (await answer(init_id))["result"]
        first_pid = (await answer(status_id))["result"]["pid"]

        malformed = 0
        plain_next = False
        for n in range(messages):
            kind, data = fuzz.step(plain_only=plain_next)
            plain_next = kind == "long_length"
            malformed += kind in Fuzz.MALFORMED
            stdin.write(data)
            if n % batch == batch - 1:
                try:
                    await stdin.drain()
                except ConnectionError:
                    await process.wait()
                assert process.returncode is None, (
                    f"the server died (status {process.returncode}) after {n + 1} messages; "
                    f"see {err}"
                )
        # The end: plain traffic (a frame announcing too much finds its bytes), each document.
        tail = [fuzz.status() for _ in range(3)]
        tail += [fuzz.document(uri) for uri in fuzz.uris]
        last_id, message = fuzz.request("coderd/status", {})
        tail.append(fuzz.framed(message))
        stdin.write(b"".join(tail))
        await stdin.drain()
        last = await answer(last_id)
        # Everything written before it was read; give stragglers (a slow completion) a moment.
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and not closed.is_set()
            and any(e.exactly and not answers.get(i) for i, e in fuzz.expect.items())
        ):
            await asyncio.sleep(0.1)
        assert process.returncode is None, "the server died"
        if daemon:
            assert last["result"]["pid"] == first_pid, "the daemon was restarted"

        shutdown_id, message = fuzz.request("shutdown", None)
        stdin.write(crlf_frame(encode(message)))
        await stdin.drain()
        assert (await answer(shutdown_id))["result"] is None
        stdin.write(crlf_frame(encode({"jsonrpc": "2.0", "method": "exit"})))
        await stdin.drain()
        assert await asyncio.wait_for(process.wait(), 30) == 0
        await asyncio.wait_for(reader, 10)
        seconds = time.perf_counter() - started
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        reader.cancel()
        stderr.close()

    problems = []
    for msg_id, got in answers.items():
        expected = fuzz.expect.get(msg_id)
        if expected is None:
            problems.append(f"an answer to an id never sent: {msg_id!r}")
            continue
        if len(got) > 1:
            problems.append(f"{expected.method} {msg_id!r} answered {len(got)} times")
    for msg_id, expected in fuzz.expect.items():
        got = answers.get(msg_id, [])
        if expected.exactly and not got:
            problems.append(f"{expected.method} {msg_id!r} never answered: {expected.message}")
        if not got:
            continue
        if expected.code is not None and got[0].get("error", {}).get("code") != expected.code:
            problems.append(f"{expected.method} {msg_id!r}: {got[0]} (expected {expected.code})")
        if expected.document != "unchecked" and got[0].get("result") != expected.document:
            problems.append(
                f"coderd/document {msg_id!r}: {got[0].get('result')!r} != {expected.document!r}"
            )
    refused = [m for m in null_answers if m.get("error", {}).get("code") == INVALID_REQUEST]
    if len(refused) != fuzz.null_answers or len(null_answers) != fuzz.null_answers:
        problems.append(
            f"{len(null_answers)} answers with id null ({len(refused)} InvalidRequest) for "
            f"{fuzz.null_answers} requests with an id that is no integer or string"
        )
    assert not problems, "\n".join(problems[:30])
    return Report(
        messages=messages,
        malformed=malformed,
        requests=sum(1 for e in fuzz.expect.values() if e.exactly),
        answered=sum(len(a) for a in answers.values()) + len(null_answers),
        null_answers=len(null_answers),
        documents=sum(1 for e in fuzz.expect.values() if e.document not in ("unchecked", None)),
        seconds=seconds,
        kinds=dict(fuzz.kinds),
    )
