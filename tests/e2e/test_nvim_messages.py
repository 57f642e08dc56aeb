"""No coderd message ever stops typing in Neovim: a real Neovim in a real terminal (tmux, 60
columns), the README's init.lua, `coderd` on PATH (tests/fake_server.py through the real relay
and daemon), and a server warning longer than the command line.

Before: Neovim 0.11 showed "Press ENTER or type command to continue" in the middle of typing
(the keys typed next went to the prompt), and again after a daemon restart. Now the plugin
draws one line cut to the free width, once per distinct text per Neovim session, while the
full text is kept for :CoderdStatus.

The probe (editors/nvim/tests/probe.lua) reads Neovim's mode every 10 ms from a libuv timer,
which runs even while Neovim waits at a prompt: mode "r" is the hit-enter prompt.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from lsp_client import runtime_dir_for, scratch_env
from test_nvim import NVIMS
from test_nvim_session import TESTS, install_coderd_script, lsp_messages, readme_init_lua

# Three unknown settings: the server's "configuration problems" warning is ~300 characters.
UNKNOWN = ["a_rather_long_unknown_setting", "another_unknown_setting", "a_third_unknown_one"]
SETUP = "{ init_options = { completion = { " + ", ".join(f"{k} = 1" for k in UNKNOWN) + " } } }"
WARNING = "configuration problems"


class Terminal:
    """One Neovim in its own tmux server (-L: nothing shared with a user's tmux)."""

    def __init__(self, tmp_path: Path, env: dict[str, str]):
        self.socket = f"coderd-test-{os.getpid()}-{tmp_path.name}"
        self.env = env
        self.screens: list[str] = []

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout

    def start(self, command: str, cwd: Path) -> None:
        self.tmux("new-session", "-d", "-x", "60", "-y", "12", "-c", str(cwd), command)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", *(["-l"] if literal else []), "-t", "0", *keys)

    def screen(self) -> str:
        text = self.tmux("capture-pane", "-p", "-t", "0")
        self.screens.append(text)
        return text

    def stop(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"],
            env=self.env,
            capture_output=True,
            timeout=10,
        )


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def wait(what: str, cond, terminal: Terminal, timeout_s: float, type_while: bool = True):
    """Waits for `cond()`, typing a key every 150 ms meanwhile, like a user who goes on."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        if type_while:
            terminal.keys("x", literal=True)
        time.sleep(0.15)
    pytest.fail(f"timed out waiting for {what}\n--- screen ---\n{terminal.screen()}")


def server_warnings(wire_out: Path) -> int:
    return sum(
        1
        for m in lsp_messages(wire_out.read_bytes() if wire_out.exists() else b"")
        if m.get("method") == "window/showMessage" and WARNING in m["params"]["message"]
    )


@pytest.mark.skipif(shutil.which("tmux") is None, reason="no tmux (apt-get install tmux)")
@pytest.mark.parametrize("nvim", NVIMS)
def test_long_messages_never_stop_typing(nvim, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "app.py").write_text("x = 1\n")
    home = tmp_path / "home"
    probe = tmp_path / "probe.json"
    wire_out = tmp_path / "wire-out"
    # A short 'updatetime': the pause before <Esc> below lets CursorHoldI fire, where a
    # message drawn under "-- INSERT --" would be lost.
    extra = f'dofile("{TESTS / "probe.lua"}")\nvim.o.updatetime = 200\n'
    init = readme_init_lua(tmp_path, SETUP, extra)
    env = scratch_env(home, CODERD_TEST_PROBE=str(probe), CODERD_TEST_WIRE_OUT=str(wire_out))
    env["PATH"] = f"{install_coderd_script(tmp_path / 'bin')}:/usr/bin:/bin"
    term = Terminal(tmp_path, env)
    term.start(f"{nvim} -u {init} -i NONE -n app.py", work)
    try:
        wait("the probe", lambda: read_json(probe).get("modes"), term, 20, type_while=False)
        term.keys("Go")
        # Typing on while the server starts and sends its warning, and some more after it.
        wait("the server's warning", lambda: server_warnings(wire_out) >= 1, term, 30)
        for _ in range(10):
            term.keys("y", literal=True)
            time.sleep(0.1)
        assert "Press ENTER" not in term.screen()

        # kill -9 the daemon: the relay starts another, which sends the warning again.
        (pid_file,) = runtime_dir_for(home).glob("**/coderd-*.pid")
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
        wait("the new daemon's warning", lambda: server_warnings(wire_out) >= 2, term, 40)
        for _ in range(10):
            term.keys("z", literal=True)
            time.sleep(0.1)
        time.sleep(0.2)  # the probe writes every 100 ms
        typing = read_json(probe)["modes"]
        assert not any(m.startswith("r") for m in typing), f"a prompt while typing: {typing}"
        assert "Press ENTER" not in term.screen()

        # A pause, then out of insert mode: the one line is on screen.
        time.sleep(1)
        term.keys("Escape")
        wait(
            "the message line",
            lambda: "coderd: " + WARNING in term.screen(),
            term,
            10,
            type_while=False,
        )
        term.keys(":CoderdTestDump", "Enter")
        dump = wait(
            "the dump", lambda: read_json(Path(f"{probe}.dump")), term, 10, type_while=False
        )
        modes = read_json(probe)["modes"]
        term.keys(":qa!", "Enter")
    finally:
        term.stop()
    assert not any(m.startswith("r") for m in modes), f"a prompt came up: {modes}"
    assert modes.get("i", 0) > 50, modes  # typing really went on (10 ms samples)
    assert not any("Press ENTER" in s for s in term.screens), term.screens
    shown = [line for line in dump["messages"] if WARNING in line]
    assert len(shown) == 1, dump["messages"]  # once, though two daemons sent it
    assert all(len(line) < 60 for line in shown), shown
    (kept,) = [m["text"] for m in dump["kept"] if WARNING in m["text"]]
    assert all(key in kept for key in UNKNOWN), kept  # the full text
