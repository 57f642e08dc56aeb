"""Start-up problems answer the editor (issue #11, item 6): an unwritable state folder or a
refused runtime folder ends in an answer to `initialize` (a result when coderd can do without,
else one line naming the cause and the fix), never in silence or a traceback.

The real `coderd` console script, as editors start it. The tests may run as root, whom
permission bits do not stop, so "unwritable" is a path under a regular file.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lsp_client import runtime_dir_for, scratch_env

ANSWER_S = 30.0  # the daemon's start (imports, no model) included, on a busy machine


class Editor:
    """`coderd lsp` over stdio: frames out, frames in, each wait bounded."""

    def __init__(self, home: Path, *args: str, **env: str) -> None:
        coderd = Path(sys.executable).with_name("coderd")
        self.process = subprocess.Popen(
            [str(coderd), "lsp", *args],
            env=scratch_env(home, CODERD_MODEL_PATH=str(home / "no-model.gguf"), **env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.buffer = b""

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()

    def answer(self, request_id: int, timeout: float = ANSWER_S) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = self._frame(deadline)
            if message.get("id") == request_id and "method" not in message:
                return message

    def _frame(self, deadline: float) -> dict:
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if sep:
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                if len(rest) >= length:
                    self.buffer = rest[length:]
                    return json.loads(rest[:length])
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(left, 0))
            chunk = os.read(self.process.stdout.fileno(), 65536) if ready else b""
            if not chunk:
                pytest.fail(f"no answer within the time (exit {self.process.poll()})")
            self.buffer += chunk

    def leave(self) -> str:
        """Shut down as an editor does; the process exits; its stderr."""
        self.send({"id": 99, "method": "shutdown"})
        assert "result" in self.answer(99)  # a clean shutdown, even with no daemon
        self.send({"method": "exit"})
        self.process.stdin.close()
        try:
            self.process.wait(timeout=ANSWER_S)
        finally:
            self.process.kill()
        return self.process.stderr.read().decode(errors="replace")


def initialize(editor: Editor) -> dict:
    editor.send(
        {
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}},
        }
    )
    return editor.answer(1)


def unwritable(tmp_path: Path) -> Path:
    """A folder that cannot be created, for root too: its parent is a regular file."""
    (tmp_path / "file").write_text("")
    return tmp_path / "file" / "state"


@pytest.mark.parametrize("mode", [(), ("--standalone",)], ids=["relay", "standalone"])
def test_an_unwritable_state_folder_still_gives_a_working_server(tmp_path: Path, mode):
    editor = Editor(tmp_path / "home", *mode, XDG_STATE_HOME=str(unwritable(tmp_path)))
    answer = initialize(editor)
    assert "capabilities" in answer.get("result", {}), answer
    editor.send({"method": "initialized", "params": {}})
    # Served (by the daemon, through the relay). Waiting for the load to end (no model here:
    # "error") keeps this test about start-up: leaving mid-load is another test's subject.
    deadline = time.monotonic() + ANSWER_S
    for request_id in range(2, 1000):
        editor.send({"id": request_id, "method": "coderd/status", "params": {}})
        if editor.answer(request_id)["result"]["state"] != "loading":
            break
        assert time.monotonic() < deadline, "the model's load never ended"
        time.sleep(0.1)
    assert "Traceback" not in editor.leave()


def refused_symlink(tmp_path: Path) -> Path:
    base = runtime_dir_for(tmp_path / "home")
    (base / "coderd").symlink_to(tmp_path)
    return base


@pytest.mark.parametrize(
    "runtime", [refused_symlink, unwritable], ids=["folder-symlink", "folder-unwritable"]
)
def test_a_refused_runtime_folder_answers_initialize_with_the_cause_and_the_fix(
    tmp_path: Path, runtime
):
    base = runtime(tmp_path)
    editor = Editor(tmp_path / "home", XDG_RUNTIME_DIR=str(base))
    error = initialize(editor)["error"]
    assert "\n" not in error["message"]
    assert str(base / "coderd") in error["message"]  # the cause
    assert "XDG_RUNTIME_DIR" in error["message"]  # and the fix
    editor.send({"id": 2, "method": "coderd/status", "params": {}})
    assert editor.answer(2)["error"]["message"] == error["message"]  # still there, answering
    assert "Traceback" not in editor.leave()
    assert editor.process.returncode == 0
