"""A workspace's own Python files never run inside coderd (security issue, item 1).

Editors start `coderd lsp` in the folder they opened, often a cloned repository. The relay then
starts the daemon; if that daemon put its working directory on `sys.path` (as `python -m` does),
a planted `lsp.py` or `coderd/` would run as the user the moment the editor sends `initialize`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psutil
from lsp_client import scratch_env

PLANTED = ("lsp.py", "coderd/__init__.py", "sitecustomize.py", "usercustomize.py")


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def read_frame(stream) -> dict:
    length = 0
    while line := stream.readline().strip():
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(stream.read(length))


def answer(process: subprocess.Popen, request_id: int) -> dict:
    while True:
        message = read_frame(process.stdout)
        if message.get("id") == request_id and "method" not in message:
            return message


def test_a_workspace_holding_lsp_coderd_and_sitecustomize_runs_none_of_them(tmp_path: Path):
    workspace, ran = tmp_path / "clone", tmp_path / "ran"
    ran.mkdir()
    for name in PLANTED:
        planted = workspace / name
        planted.parent.mkdir(parents=True, exist_ok=True)
        marker = ran / name.replace("/", "_")
        planted.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    coderd = Path(sys.executable).with_name("coderd")  # the console script editors start
    env = scratch_env(tmp_path / "home", CODERD_MODEL_PATH=str(tmp_path / "no-model.gguf"))
    process = subprocess.Popen(
        [str(coderd), "lsp"], cwd=workspace, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    failure = None
    try:
        process.stdin.write(
            frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "processId": None,
                        "rootUri": workspace.as_uri(),
                        "capabilities": {},
                    },
                }
            )
        )
        process.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        process.stdin.write(
            frame({"jsonrpc": "2.0", "id": 2, "method": "coderd/status", "params": {}})
        )
        process.stdin.flush()
        assert "capabilities" in answer(process, 1)["result"]
        daemon_pid = answer(process, 2)["result"]["pid"]
        # The daemon really started, from the workspace, and imported coderd's own code.
        assert daemon_pid != process.pid
        assert Path(psutil.Process(daemon_pid).cwd()) == workspace
        process.stdin.write(frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}))
        process.stdin.flush()
        answer(process, 3)
        process.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
        process.stdin.close()
        process.wait(timeout=30)
    except Exception as exc:  # the planted code is the likelier cause: report it first
        failure = exc
    finally:
        process.kill()
    assert sorted(p.name for p in ran.iterdir()) == []
    if failure is not None:
        raise failure
