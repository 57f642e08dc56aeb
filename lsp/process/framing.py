"""LSP base-protocol framing (Content-Length headers), lenient and never fatal.

`FrameParser` is the framing without any IO (bytes in, message bodies out), so that the relay
(asyncio streams, `MessageReader`) and the standalone server (pygls's stdin reader, see
lsp/server/protocol.py `LenientStdin`) cut frames the same way:

* header names in any case (`content-length`), lines ending in CRLF or LF alone;
* a frame that cannot be cut (a Content-Length that is not a number, or is negative or huge;
  a header line over `MAX_HEADER_LINE` bytes; no Content-Length at all) is skipped: what
  follows its headers is read as header lines until the next `Content-Length` line, found
  also at the end of a line (a body without a line break runs into the next frame's header);
* a body that is not JSON and names a header (`Content-Length` or `Content-Type`: its
  frame's length was too long and swallowed the next frame's start) resumes at that name.
  A frame announcing more bytes than ever come still waits for them: framing cannot tell.

Problems are logged once per stream at warning level (then at debug level), and counted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, BinaryIO, TypeGuard

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file

MAX_HEADER_LINE = 64 * 1024  # longer lines are dropped (their last bytes kept: see _line)
MAX_BODY = 1 << 30  # a frame announcing more is skipped, not awaited
READ_CHUNK = 64 * 1024
_TAIL = 256  # of an overlong line, what is kept: a Content-Length at its end still counts

# The last Content-Length on a line, with its value (checked separately: "abc", "-5"...).
_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\S*)[ \t]*\Z", re.IGNORECASE)
_HEADER = re.compile(rb"content-(?:length|type)")  # in a lowered body: a frame's start, maybe

# A JSON-RPC message as it travels: the relay reads only a few of its fields.
Message = dict[str, Any]


class FrameParser:
    """Bytes in (`feed`), bodies out (`frames`); keeps what is incomplete for the next feed."""

    def __init__(self, name: str = "stream") -> None:
        self.name = name  # for the log: "editor", "daemon", "stdin"
        self.problems = 0  # frames skipped or resynchronised, for tests and the log
        self._buffer = bytearray()
        self._length: int | None = None  # the header's Content-Length, when valid
        self._bad: bytes | None = None  # the header line that spoilt this frame
        self._header_lines = 0  # non-blank lines seen in the current header block
        self._body: int | None = None  # reading a body of this many bytes
        self._overlong = False  # dropping the middle of a line longer than MAX_HEADER_LINE
        self._scanned = 0  # the buffer's first bytes known to hold no line break

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        return self.frames()

    def frames(self) -> list[bytes]:
        """The bodies complete in the buffer, in order."""
        out: list[bytes] = []
        while True:
            if self._body is not None:
                if len(self._buffer) < self._body:
                    return out
                body = bytes(self._buffer[: self._body])
                del self._buffer[: self._body]
                self._body, self._scanned = None, 0
                if self._whole(body):
                    out.append(body)
                continue
            line = self._line()
            if line is None:
                return out
            self._header(line)

    def _line(self) -> bytes | None:
        end = self._buffer.find(b"\n", self._scanned)
        if end < 0:
            if len(self._buffer) > MAX_HEADER_LINE:
                self._drop_middle()
            self._scanned = len(self._buffer)
            return None
        line = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        self._scanned = 0
        if self._overlong:
            self._overlong = False
            self._problem(f"a header line over {MAX_HEADER_LINE} bytes")
            self._spoil(b"(an overlong line)")
        elif len(line) > MAX_HEADER_LINE:
            self._problem(f"a header line over {MAX_HEADER_LINE} bytes")
            self._spoil(b"(an overlong line)")
            line = line[-_TAIL:]
        return line

    def _drop_middle(self) -> None:
        """An endless line: keep only its last bytes (the next frame's header may end it)."""
        self._overlong = True
        del self._buffer[:-_TAIL]

    def _header(self, line: bytes) -> None:
        text = line.strip()
        if not text:
            if self._length is not None and self._bad is None:
                self._body = self._length
            elif self._header_lines and self._bad is None:
                self._problem("a frame without Content-Length")
            self._length, self._bad, self._header_lines = None, None, 0
            return
        found = _LENGTH.search(text)
        if found is not None and found.start() > 0:
            # The header ends a line: a skipped body ran into it, and a frame starts here.
            self._length, self._bad, self._header_lines = None, None, 0
        self._header_lines += 1
        if found is None:
            return  # Content-Type, or a skipped frame's body: read on to the next header
        value = found.group(1)
        if value.isdigit() and int(value) <= MAX_BODY:
            self._length = int(value)
        else:
            self._problem(f"Content-Length {value[:40].decode('ascii', 'replace')!r}")
            self._spoil(value)

    def _spoil(self, why: bytes) -> None:
        """This frame is skipped, whatever its other headers say."""
        self._bad = why
        self._header_lines = max(self._header_lines, 1)

    def _whole(self, body: bytes) -> bool:
        """False for a body that is not JSON and holds a header's name: its frame announced
        too many bytes and swallowed the next frame's start, which is put back in front of
        the buffer. (Bodies are parsed twice only when they name a header.)"""
        found = _HEADER.search(body.lower())  # lower() then search: 4x faster than IGNORECASE
        if found is None or parse_body(body) is not None:
            return True
        self._problem("a body that runs into the next frame")
        self._buffer[:0] = body[found.start() :]
        self._scanned = 0
        return False

    def _problem(self, what: str) -> None:
        self.problems += 1
        level = logging.WARNING if self.problems == 1 else logging.DEBUG
        log.log(level, "%s: skipped a malformed frame (%s); resynchronising", self.name, what)


def parse_body(body: bytes) -> object:
    """The JSON value of a body, or None when it is not JSON (never raises)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


class MessageReader:
    """Messages (JSON objects) from an asyncio stream; other bodies are skipped and logged."""

    def __init__(self, stream: asyncio.StreamReader, name: str) -> None:
        self.stream = stream
        self.parser = FrameParser(name)
        self.skipped = 0  # bodies that were not a JSON object
        self._ready: list[bytes] = []

    async def read(self) -> Message | None:
        """The next message, or None at the end of the stream."""
        while True:
            while self._ready:
                message = parse_body(self._ready.pop(0))
                if isinstance(message, dict):
                    return message
                self.skipped += 1
                level = logging.WARNING if self.skipped == 1 else logging.DEBUG
                log.log(level, "%s: skipped a body that is not a JSON object", self.parser.name)
            data = await self.stream.read(READ_CHUNK)
            if not data:
                return None
            self._ready.extend(self.parser.feed(data))


def encode_message(message: Message) -> bytes:
    """The frame of a message. Text holding lone surrogates (JSON allows "\\udc80") is sent
    with JSON escapes, as it came. Raises ValueError for what JSON cannot carry (a nesting
    too deep for this stack)."""
    try:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        body = json.dumps(message, separators=(",", ":")).encode("ascii")
    except RecursionError as exc:
        raise ValueError("a message nested too deep to encode") from exc
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def write_message(writer: asyncio.StreamWriter | BinaryIO, message: Message) -> None:
    """To an asyncio StreamWriter (buffered; the loop sends it) or a binary file (flushed)."""
    writer.write(encode_message(message))
    flush = getattr(writer, "flush", None)
    if flush is not None:
        flush()


# -- JSON-RPC 2.0 validity, the same for the relay and the standalone server -----------------

INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603
CONTENT_MODIFIED = -32801  # LSP: the answer would be stale; the client may ask again

RequestId = int | str  # LSP: a request's id is an integer or a string


def usable_id(value: object) -> TypeGuard[RequestId]:
    """An id the relay can key and echo: an integer or a string (not a bool, list, object,
    null or fraction, which JSON-RPC's Invalid Request answers with id null)."""
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def invalid_reason(message: Message) -> str | None:
    """Why this is no JSON-RPC 2.0 request, notification or response; None when it is one."""
    if message.get("jsonrpc") != "2.0":
        return 'no "jsonrpc": "2.0"'
    if "id" in message and not usable_id(message["id"]):
        return "an id that is neither an integer nor a string"
    if "method" in message:
        if not isinstance(message["method"], str):
            return "a method that is not a string"
        if not isinstance(message.get("params"), (dict, list, type(None))):
            return "params that are neither an object nor an array"
    elif "id" not in message:
        return "neither a method nor an id"
    return None


def error_response(request_id: RequestId | None, code: int, message: str) -> Message:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
