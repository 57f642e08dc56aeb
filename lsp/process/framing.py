"""LSP base-protocol framing (Content-Length headers) for the relay, which forwards messages
without interpreting most of them and so cannot use pygls's protocol objects."""

from __future__ import annotations

import asyncio
import json
from typing import Any, BinaryIO

MAX_HEADER_LINES = 32  # a peer sending endless headers is broken, not slow

# A JSON-RPC message as it travels: the relay reads only a few of its fields.
Message = dict[str, Any]


async def read_message(reader: asyncio.StreamReader) -> Message | None:
    """The next message, or None at the end of the stream. Unparsable bodies are skipped."""
    while True:
        length = None
        for _ in range(MAX_HEADER_LINES):
            line = await reader.readline()
            if not line:
                return None
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("ascii", "replace").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length is None:
            continue
        try:
            body = await reader.readexactly(length)
        except asyncio.IncompleteReadError:
            return None
        try:
            message = json.loads(body)
        except ValueError:
            continue
        if isinstance(message, dict):
            return message


def write_message(writer: asyncio.StreamWriter | BinaryIO, message: Message) -> None:
    """To an asyncio StreamWriter (buffered; the loop sends it) or a binary file (flushed)."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    flush = getattr(writer, "flush", None)
    if flush is not None:
        flush()
