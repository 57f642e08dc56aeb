"""A loopback HTTP server for the remote backend's tests: it records every request it gets.

It answers /infill in llama-server's streamed format and any other POST in OpenAI's, with
": ping" comments between events as sse-starlette sends them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

DEFAULT_LLAMA_SERVER = Path("/tmp/llama-build/bin/llama-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def llama_server_binary() -> Path | None:
    """llama-server built from the vendored sources (bench/build_llama_server.sh), or None."""
    path = Path(os.environ.get("CODERD_LLAMA_SERVER", DEFAULT_LLAMA_SERVER))
    return path if path.is_file() and os.access(path, os.X_OK) else None


@contextmanager
def llama_server(model: Path, log: Path, args: list[str]) -> Iterator[str]:
    """llama-server on loopback serving `model`, its output in `log`; yields its base URL."""
    binary = llama_server_binary()
    assert binary is not None, "no llama-server (the tests skip without one)"
    port = free_port()
    cmd = [str(binary), "-m", str(model), "--host", "127.0.0.1", "--port", str(port), *args]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama-server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class Recorder(ThreadingHTTPServer):
    """Records every request; answers /infill like llama-server, anything else like OpenAI."""

    daemon_threads = True

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict, object]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append(("GET", self.path, dict(self.headers), None))
                self.send_error(404)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(("POST", self.path, dict(self.headers), body))
                if self.path.endswith("/infill"):
                    events = [
                        {"content": "x = ", "stop": False},
                        {"content": "1\ny", "stop": False},
                        {
                            "content": "",
                            "stop": True,
                            "stop_type": "limit",
                            "timings": {"prompt_n": 7, "cache_n": 3, "predicted_n": 3},
                        },
                    ]
                else:
                    events = [
                        {"choices": [{"text": t, "finish_reason": None}]} for t in ("x = ", "1\ny")
                    ]
                    events += [{"choices": [{"text": "", "finish_reason": "length"}]}, "[DONE]"]
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for event in events:
                    data = event if isinstance(event, str) else json.dumps(event)
                    self.wfile.write(f": ping\n\ndata: {data}\n\n".encode())
                    self.wfile.flush()

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()


class VllmContract(ThreadingHTTPServer):
    """A loopback server that keeps vLLM's documented /v1/completions contract:

    * `suffix` is refused with HTTP 400 "suffix is not currently supported" (vllm #9976);
    * `prompt` is tokenised with special tokens parsed and BOS added, as vLLM's tokenizer does,
      here by llama.cpp with the model's own vocabulary (`tokenize(text) -> ids`);
    * answers stream as OpenAI chunks, then, with `stream_options.include_usage`, a last chunk
      (no choices) with `usage`; its `prompt_tokens_details.cached_tokens` is what automatic
      prefix caching holds (the prompt's common prefix with the earlier prompts, in whole
      16-token blocks), present only when the server runs with `--enable-prompt-tokens-details`
      (`prompt_tokens_details=True`) and the count is not 0, as vLLM's serving_completion.py
      writes it;
    * with `continuous_usage_stats` as well, every chunk carries `usage` with the prompt and
      completion counts so far, never the cached tokens (vLLM's source again);
    * an unknown `model` is 404 "The model `x` does not exist.", a wrong key 401;
    * GET /v1/models lists the served model, owned_by "vllm".

    `slow=True` streams one chunk every 50 ms until `max_tokens`, and records in
    `disconnected` when the client went away before the end. `refuse` names request fields
    answered with HTTP 400, as a strict OpenAI-compatible proxy in front of vLLM may: not
    vLLM's own behaviour (it accepts and ignores unknown fields).
    """

    daemon_threads = True
    BLOCK = 16

    def __init__(
        self,
        tokenize,
        served="deepseek-ai/deepseek-coder-6.7b-base",
        key=None,
        port=0,
        prompt_tokens_details=True,
        refuse=(),
    ) -> None:
        self.requests: list[dict] = []
        self.gets: list[str] = []
        self.prompt_ids: list[list[int]] = []
        self.disconnected = threading.Event()
        self.slow = False
        self.list_models = True  # False: GET /v1/models is 404, as behind a proxy that hides it
        self.pieces = ["x = ", "1"]  # the text streamed, one chunk each (up to max_tokens)
        outer = self

        def counts(prompt: int, completion: int) -> dict:
            return {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }

        def cached(ids: list[int]) -> int:
            best = 0
            for old in outer.prompt_ids:
                common = 0
                for a, b in zip(old, ids):
                    if a != b:
                        break
                    common += 1
                best = max(best, common)
            return best // outer.BLOCK * outer.BLOCK

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def reply(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def refused(self) -> bool:
                if key is not None and self.headers.get("Authorization") != f"Bearer {key}":
                    self.reply(401, {"error": "Unauthorized"})
                    return True
                return False

            def do_GET(self) -> None:
                outer.gets.append(self.path)
                if self.refused():
                    return
                if self.path != "/v1/models" or not outer.list_models:
                    self.reply(404, {"detail": "Not Found"})
                    return
                self.reply(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": served, "object": "model", "owned_by": "vllm"}],
                    },
                )

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                if self.refused():
                    return
                if self.path != "/v1/completions":
                    self.reply(404, {"detail": "Not Found"})
                    return
                if body.get("model", served) != served:
                    message = f"The model `{body['model']}` does not exist."
                    self.reply(
                        404,
                        {
                            "object": "error",
                            "message": message,
                            "type": "NotFoundError",
                            "code": 404,
                        },
                    )
                    return
                for name in refuse:
                    if name in body:
                        message = f"{name}: Extra inputs are not permitted"
                        self.reply(400, {"object": "error", "message": message, "code": 400})
                        return
                if body.get("suffix") is not None:
                    message = "suffix is not currently supported"
                    self.reply(
                        400,
                        {
                            "object": "error",
                            "message": message,
                            "type": "BadRequestError",
                            "code": 400,
                        },
                    )
                    return
                ids = tokenize(body["prompt"])
                hit = cached(ids)
                outer.prompt_ids.append(ids)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                n = int(body.get("max_tokens", 16))
                pieces = ["x" * (k % 3 + 1) for k in range(n)] if outer.slow else outer.pieces[:n]
                options = body.get("stream_options") or {}
                include_usage = bool(options.get("include_usage"))
                chunks = []
                for k, p in enumerate(pieces):
                    chunk = {"choices": [{"index": 0, "text": p, "finish_reason": None}]}
                    if include_usage and options.get("continuous_usage_stats"):
                        chunk["usage"] = counts(len(ids), k + 1)
                    chunks.append(chunk)
                chunks.append({"choices": [{"index": 0, "text": "", "finish_reason": "length"}]})
                if include_usage:
                    usage = counts(len(ids), len(pieces))
                    if prompt_tokens_details and hit:
                        usage["prompt_tokens_details"] = {"cached_tokens": hit}
                    chunks.append({"choices": [], "usage": usage})
                try:
                    for chunk in chunks:
                        if outer.slow:
                            time.sleep(0.05)
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    outer.disconnected.set()

        super().__init__(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
