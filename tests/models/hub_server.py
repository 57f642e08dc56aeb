"""A loopback HTTP server that serves files the way the Hugging Face hub does, for pull tests.

huggingface_hub asks `HEAD /{repo}/resolve/{revision}/{file}` and reads X-Repo-Commit, ETag
(for LFS files: the sha256 of the content) and Content-Length; then it GETs the file, with
`Range: bytes=N-` when it resumes. The server counts every request and can misbehave on purpose:
drop the connection in the middle of the first GET, answer later GETs with 500, or serve
corrupted bytes under the genuine ETag.
"""

from __future__ import annotations

import hashlib
import re
import socket
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"
PATH_RE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")


@dataclass
class Hub:
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    drop_first_get_at: int | None = None  # bytes sent before the first GET is cut
    fail_gets_after_drop: int = 0  # then this many GETs answer 500
    corrupt: bool = False  # serve flipped bytes under the genuine ETag
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, repo: str, filename: str, data: bytes) -> str:
        self.files[(repo, filename)] = data
        return hashlib.sha256(data).hexdigest()

    def gets(self) -> list[tuple[str, str, str | None]]:
        return [r for r in self.requests if r[0] == "GET"]


def _handler(hub: Hub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

        def _lookup(self) -> bytes | None:
            m = PATH_RE.match(self.path.split("?")[0])
            if not m:
                return None
            return hub.files.get((m["repo"], m["file"]))

        def _common(self, data: bytes) -> None:
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
            self.send_header("Accept-Ranges", "bytes")

        def _not_found(self) -> None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_HEAD(self) -> None:
            with hub._lock:
                hub.requests.append(("HEAD", self.path, None))
            data = self._lookup()
            if data is None:
                return self._not_found()
            self.send_response(200)
            self._common(data)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()

        def do_GET(self) -> None:
            rng = self.headers.get("Range")
            with hub._lock:
                hub.requests.append(("GET", self.path, rng))
                n_get = len(hub.gets())
            data = self._lookup()
            if data is None:
                return self._not_found()
            if hub.drop_first_get_at is not None and 1 < n_get <= 1 + hub.fail_gets_after_drop:
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = bytes([data[0] ^ 0xFF]) + data[1:] if hub.corrupt else data
            start = 0
            if rng:
                m = re.match(r"bytes=(\d+)-$", rng)
                start = int(m.group(1)) if m else 0
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            self._common(data)
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            if n_get == 1 and hub.drop_first_get_at is not None:
                self.wfile.write(body[start : hub.drop_first_get_at])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-file
                return
            self.wfile.write(body[start:])

    return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A client hanging up mid-file (its disk filled up) is not the server's error, and
        # the traceback printed on stderr would be taken for coderd's.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class HubServer:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.server = _Server(("127.0.0.1", 0), _handler(hub))
        self.server.daemon_threads = True
        hub.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Hub:
        self.thread.start()
        return self.hub

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
