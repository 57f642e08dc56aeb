"""A loopback HTTP server for the remote backend's tests: it records every request it gets.

It answers /infill in llama-server's streamed format and any other POST in OpenAI's, with
": ping" comments between events as sse-starlette sends them.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
