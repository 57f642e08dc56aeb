"""Neovim and the shared daemon, as a user's Neovims meet it: the README's init.lua, `coderd`
on PATH running the real relay and daemon (tests/fake_server.py: scripted replies).

- After `kill -9` of the daemon, the next line typed gets the server's suggestion
  (editors/nvim/tests/restart.lua), through the same one client.
- Two Neovims of one user share one daemon: both get suggestions, one daemon process, and
  the daemon counts two sessions, within `daemon.sessions` (editors/nvim/tests/shared.lua).

Both Neovims of test_nvim.py: 0.11 next to this Python, Debian's 0.7.2 at /usr/bin/nvim.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from lsp_client import runtime_dir_for, scratch_env
from test_nvim import NVIMS
from test_nvim_session import TESTS, install_coderd_script, lines_with, readme_init_lua

RUN_TIMEOUT_S = 200
# The scripted engine's answers: one line per step of the scripts.
REPLIES = {
    "rules": [
        {"after": "y = ", "reply": "compute()"},
        {"after": "z = ", "reply": "again()"},
    ]
}
SHARED = {"rules": [{"after": "y = ", "reply": "shared()"}]}
SESSION_CONNECTED = re.compile(r"daemon: session s\d+ connected")


def start_nvim(nvim: str, folder: Path, home: Path, script: str, **env: str) -> subprocess.Popen:
    """Neovim on folder/work/app.py with the README's init.lua; HOME decides the daemon."""
    work = folder / "work"
    work.mkdir(parents=True, exist_ok=True)
    (work / "app.py").write_text("x = 1\n")
    environment = scratch_env(home, **env)
    environment["PATH"] = f"{install_coderd_script(folder / 'bin')}:/usr/bin:/bin"
    init = readme_init_lua(folder)
    args = [nvim, "--headless", "-u", str(init), "-i", "NONE", "-n", "app.py"]
    return subprocess.Popen(
        [*args, "-c", f"luafile {TESTS / script}"],
        env=environment,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def finish(proc: subprocess.Popen, home: Path) -> str:
    """Neovim's output once it passed; on a failure, the output and the daemon's log."""
    try:
        output, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        output = proc.communicate()[0] + f"\nnvim ran past {RUN_TIMEOUT_S} s"
    print(output)
    if proc.returncode != 0 or "PASS" not in output:
        pytest.fail(f"{output}\n--- coderd.log ---\n{daemon_log(home)[-6000:]}")
    return output


def daemon_log(home: Path) -> str:
    log = home / "state" / "coderd" / "coderd.log"
    return log.read_text() if log.exists() else ""


@pytest.mark.parametrize("nvim", NVIMS)
def test_next_suggestion_after_kill_9_of_the_daemon(nvim, tmp_path):
    """The Done-when's "after `kill -9` of the daemon the next suggestion arrives": fails
    when the suggestion after the kill never comes (the script waits 40 s for it)."""
    home = tmp_path / "home"
    proc = start_nvim(nvim, tmp_path, home, "restart.lua", CODERD_FAKE_SCRIPT=json.dumps(REPLIES))
    output = finish(proc, home)
    ((old, new),) = lines_with("DAEMONS", output)
    assert old != new, output


@pytest.mark.parametrize("nvim", NVIMS)
def test_two_neovims_share_one_daemon(nvim, tmp_path):
    """Two Neovims of one user (one HOME, one runtime folder): one daemon, two sessions. With
    two clients per Neovim (the 0.8+ bug) the daemon counted four, past `daemon.sessions` 3."""
    home = tmp_path / "home"
    meet = tmp_path / "meet"
    meet.mkdir()
    procs = [
        start_nvim(
            nvim,
            tmp_path / name,
            home,
            "shared.lua",
            CODERD_FAKE_SCRIPT=json.dumps(SHARED),
            CODERD_TEST_MEET=str(meet),
            CODERD_TEST_NAME=name,
            CODERD_TEST_PEERS="2",
        )
        for name in ("first", "second")
    ]
    statuses = [lines_with("STATUS", finish(proc, home))[0] for proc in procs]
    assert statuses[0]["pid"] == statuses[1]["pid"], statuses  # one daemon
    assert [s["clients"] for s in statuses] == [1, 1], statuses  # one client per Neovim
    assert [s["sessions"] for s in statuses] == [2, 2], statuses
    # Two sessions ever connected to it, and one daemon ever ran.
    assert len(SESSION_CONNECTED.findall(daemon_log(home))) == 2, daemon_log(home)
    assert len(list(runtime_dir_for(home).glob("**/coderd-*.pid"))) <= 1
