"""Memory of the model-holding process with one and with three editors connected.

    python -m bench.daemon_memory --model PATH [--standalone]

Starts real `coderd lsp` relays (or, with --standalone, one `coderd lsp --standalone`) in a
scratch runtime folder, opens a real file in each and asks for one completion, then prints the
RSS of the daemon and of each relay (psutil). Three standalone servers would cost three times
the standalone figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SOURCE = Path(__file__).resolve().parents[1] / "coderd" / "completion" / "service.py"


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def start_editor(env: dict, index: int, standalone: bool) -> subprocess.Popen:
    command = [sys.executable, "-m", "lsp", "lsp"] + (["--standalone"] if standalone else [])
    editor = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    uri = f"file:///tmp/coderd-memory-{index}.py"
    text = SOURCE.read_text()
    for message in (
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}
            },
        },
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "textDocument/inlineCompletion",
            "params": {
                "textDocument": {"uri": uri},
                "position": {"line": 100, "character": 4},
                "context": {"triggerKind": 2},
            },
        },
    ):
        editor.stdin.write(frame(message))
    editor.stdin.flush()
    return editor


def mib(process: psutil.Process) -> int:
    return round(process.memory_info().rss / 2**20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--standalone", action="store_true")
    parser.add_argument("--settle-s", type=float, default=30.0, help="wait for load and completion")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="cdm")
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": home,
        "XDG_STATE_HOME": f"{home}/state",
        "XDG_CACHE_HOME": f"{home}/cache",
        "CODERD_MODEL_PATH": args.model,
        "CODERD_DAEMON_IDLE_TIMEOUT_S": "5",
        "CODERD_COMPLETION_MAX_TOKENS": "8",
    }
    editors = [start_editor(env, 0, args.standalone)]
    try:
        time.sleep(args.settle_s)
        if args.standalone:
            print(f"1 editor, standalone: {mib(psutil.Process(editors[0].pid))} MiB")
            return
        daemon = next(
            p
            for p in psutil.process_iter(["cmdline"])
            if "serve" in (p.info["cmdline"] or []) and p.environ().get("XDG_RUNTIME_DIR") == home
        )
        for count in (1, 3):
            if count == 3:
                editors += [start_editor(env, i, False) for i in (1, 2)]
                time.sleep(args.settle_s)
            relays = [mib(psutil.Process(e.pid)) for e in editors]
            print(
                f"{count} editor(s): daemon {mib(daemon)} MiB, relays {relays} MiB, "
                f"total {mib(daemon) + sum(relays)} MiB"
            )
    finally:
        for editor in editors:
            editor.kill()


if __name__ == "__main__":
    main()
