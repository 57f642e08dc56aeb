"""The shared daemon through real `coderd lsp` relays over stdio (pytest-lsp), real sockets.

The scripted engine stands in for llama.cpp where the subject is the plumbing; the last test
uses the real engine to show that sessions keep their own KV cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import stat
import time
from pathlib import Path

import psutil
import pytest
from lsp_client import edit, inline, open_doc, running_server, runtime_dir_for, status

from lsp.process.rendezvous import RendezvousError, runtime_folder

ECHO = {"rules": [{"after": "", "reply": "<{prefix_tail}>"}]}


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def texts(result) -> list[str]:
    items = result.items if hasattr(result, "items") else (result or [])
    return [item.insert_text for item in items]


@pytest.mark.asyncio
async def test_the_socket_is_private_and_the_model_lives_in_the_daemon(tmp_path: Path):
    async with running_server(tmp_path, fake=ECHO, daemon=True) as client:
        info = await status(client)
        folder = runtime_dir_for(tmp_path) / "coderd"
        (sock,) = folder.glob("coderd-*.sock")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_ISSOCK(sock.stat().st_mode) and stat.S_IMODE(sock.stat().st_mode) == 0o600
        (pid_file,) = folder.glob("coderd-*.pid")
        assert int(pid_file.read_text()) == info.pid != os.getpid()
        assert "serve" in psutil.Process(info.pid).cmdline()
        assert info.sessions == 1


@pytest.mark.asyncio
async def test_two_editors_starting_at_once_share_one_daemon(tmp_path: Path):
    async with contextlib.AsyncExitStack() as stack:
        a, b = await asyncio.gather(
            *(
                stack.enter_async_context(running_server(tmp_path, fake=ECHO, daemon=True))
                for _ in range(2)
            )
        )
        first, second = await status(a), await status(b)
        assert first.pid == second.pid
        assert second.sessions == 2
        daemons = [
            p
            for p in psutil.process_iter(["cmdline"])
            if "serve" in (p.info["cmdline"] or []) and p.pid == first.pid
        ]
        assert len(daemons) == 1


@pytest.mark.asyncio
async def test_sessions_have_their_own_documents(tmp_path: Path):
    uri = (tmp_path / "same.py").as_uri()
    async with (
        running_server(tmp_path, fake=ECHO, daemon=True) as a,
        running_server(tmp_path, fake=ECHO, daemon=True) as b,
    ):
        open_doc(a, uri, "alpha = ")
        open_doc(b, uri, "beta = ")
        assert texts(await inline(a, uri, 0, 8)) == ["<alpha = >"]
        assert texts(await inline(b, uri, 0, 7)) == ["<beta = >"]


@pytest.mark.asyncio
async def test_editors_with_other_completion_settings_share_the_daemon_and_keep_theirs(
    tmp_path: Path,
):
    long = {"rules": [{"after": "", "reply": "abcdefgh"}]}
    short_options = {"completion": {"max_tokens": 3, "debounce_ms_max": 0}}
    uri = (tmp_path / "same.py").as_uri()
    async with (
        running_server(tmp_path, fake=long, daemon=True) as a,
        running_server(tmp_path, fake=long, daemon=True, init_options=short_options) as b,
    ):
        first, second = await status(a), await status(b)
        assert first.pid == second.pid and second.sessions == 2  # one model in memory
        open_doc(a, uri, "x = ")
        open_doc(b, uri, "x = ")
        assert texts(await inline(a, uri, 0, 4)) == ["abcdefgh"]
        assert texts(await inline(b, uri, 0, 4)) == ["abc"]  # its own max_tokens


@pytest.mark.asyncio
async def test_a_killed_daemon_is_restarted_and_the_session_carries_on(tmp_path: Path):
    uri = (tmp_path / "a.py").as_uri()
    async with running_server(tmp_path, fake=ECHO, daemon=True) as client:
        open_doc(client, uri, "x = 1; y = ")
        assert texts(await inline(client, uri, 0, 11)) == ["<x = 1; y = >"]
        old = (await status(client)).pid
        os.kill(old, signal.SIGKILL)
        assert wait_for(
            lambda: (
                not psutil.pid_exists(old) or psutil.Process(old).status() == psutil.STATUS_ZOMBIE
            )
        )
        edit(client, uri, 2, (0, 11), (0, 11), "2")  # typed while the daemon is down
        result = await asyncio.wait_for(inline(client, uri, 0, 12), 30)
        # The new daemon got the document again, with the edit made after the kill.
        assert texts(result) == ["<x = 1; y = 2>"]
        assert (await status(client)).pid != old


@pytest.mark.asyncio
async def test_a_relay_of_another_version_makes_the_daemon_retire(tmp_path: Path):
    async with running_server(tmp_path, fake=ECHO, daemon=True) as client:
        old = (await status(client)).pid
        (sock_path,) = (runtime_dir_for(tmp_path) / "coderd").glob("coderd-*.sock")
        with socket.socket(socket.AF_UNIX) as raw:
            raw.connect(str(sock_path))
            raw.sendall(b'{"coderd": "hello", "version": "0.0.0-other", "protocol": 1}\n')
            reply = json.loads(raw.makefile().readline())
        assert reply["coderd"] == "mismatch"
        assert wait_for(lambda: not sock_path.exists())  # no longer findable...
        assert (await status(client)).pid == old  # ...but its session goes on
    async with running_server(tmp_path, fake=ECHO, daemon=True) as client:
        assert (await status(client)).pid != old  # a new one was started
    assert wait_for(lambda: not psutil.pid_exists(old))


@pytest.mark.asyncio
async def test_the_daemon_exits_after_its_idle_time(tmp_path: Path):
    async with running_server(tmp_path, fake=ECHO, daemon=True) as client:
        pid = (await status(client)).pid
    started = time.monotonic()
    assert wait_for(lambda: not psutil.pid_exists(pid), timeout=20)
    assert time.monotonic() - started >= 1.0  # CODERD_DAEMON_IDLE_TIMEOUT_S=2 in scratch_env
    assert not list((runtime_dir_for(tmp_path) / "coderd").glob("coderd-*.sock"))


def test_without_xdg_runtime_dir_a_private_folder_in_tmp_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    folder = runtime_folder()
    assert folder.parent == tmp_path and folder.name == f"coderd-{os.getuid()}"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.chmod(0o755)  # widened by someone: narrowed again, the socket must stay private
    assert stat.S_IMODE(runtime_folder().stat().st_mode) == 0o700


def test_a_planted_symlink_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / f"coderd-{os.getuid()}").symlink_to(elsewhere)
    with pytest.raises(RendezvousError, match="not a folder owned by you"):
        runtime_folder()


@pytest.mark.asyncio
async def test_two_sessions_keep_their_own_kv_cache(tmp_path: Path, tiny_model_path: Path):
    """Alternating editors: neither re-evaluates the other's prompt (real engine, KV slots)."""
    body = "".join(f"def function_{i}(value):\n    return value * {i}\n\n" for i in range(30))
    uri_a, uri_b = (tmp_path / "a.py").as_uri(), (tmp_path / "b.py").as_uri()
    async with (
        running_server(tmp_path, model=tiny_model_path) as a,
        running_server(tmp_path, model=tiny_model_path) as b,
    ):
        open_doc(a, uri_a, body + "result = ")
        open_doc(b, uri_b, body.replace("value", "item") + "total = ")
        lines = body.count("\n")
        await inline(a, uri_a, lines, 9)
        first = (await status(a)).last
        await inline(b, uri_b, lines, 8)
        assert (await status(b)).pid == (await status(a)).pid
        edit(a, uri_a, 2, (lines, 9), (lines, 9), "f")
        await inline(a, uri_a, lines, 10)
        again = (await status(a)).last
        assert first.evaluated_tokens > 100
        assert again.evaluated_tokens < 10, again  # A's cache survived B's request


async def roots_of(client) -> dict:
    from pygls.exceptions import JsonRpcException

    try:
        answer = await asyncio.wait_for(
            client.protocol.send_request_async("coderd/workspace", {"names": ["Square"]}), 10
        )
    except JsonRpcException:  # in flight when the daemon died: answered, "ask again"
        return {}
    return {Path(r.path).name: r for r in answer.roots}


async def eventually(probe, condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if condition(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


@pytest.mark.asyncio
async def test_editors_on_one_root_share_its_index_and_a_restart_keeps_added_folders(tmp_path):
    from lsprotocol import types

    first, second = tmp_path / "first", tmp_path / "second"
    for root in (first, second):
        (root / "pkg").mkdir(parents=True)
        (root / "pkg" / "shapes.py").write_text("class Square:\n    side = 1\n")
    async with (
        running_server(tmp_path, fake=ECHO, daemon=True, root=first) as a,
        running_server(tmp_path, fake=ECHO, daemon=True, root=first) as b,
    ):
        shared = await eventually(lambda: roots_of(b), lambda r: r["first"].ready)
        assert shared["first"].users == 2  # one index for both editors
        a.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                event=types.WorkspaceFoldersChangeEvent(
                    added=[types.WorkspaceFolder(uri=second.as_uri(), name="second")], removed=[]
                )
            )
        )
        added = await eventually(lambda: roots_of(a), lambda r: "second" in r and r["second"].ready)
        assert added["second"].ready
        old = (await status(a)).pid
        os.kill(old, signal.SIGKILL)
        # The relays start a new daemon and replay `initialize` with the folders as they are now.
        after = await eventually(
            lambda: roots_of(a),
            lambda r: "second" in r and r["second"].ready and r["first"].ready,  # built in turn
            timeout=30,
        )
        assert after["second"].ready and after["first"].ready
        assert (await status(a)).pid != old
