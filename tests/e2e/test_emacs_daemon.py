"""Emacs and the shared daemon, set up as the README says (its first elisp block, verbatim but
for the checkout's path), `coderd` on PATH running the real relay and daemon
(tests/fake_server.py: scripted replies). Runs editors/emacs/test/coderd-daemon-test.el.

- Beside eglot + pylsp: after `kill -9` of the daemon, the next line typed gets the server's
  suggestion on the same connection, and pylsp still answers hover.
- Two Emacs of one user share one daemon: both get suggestions, one daemon process, and the
  daemon counts two sessions (one per Emacs), within `daemon.sessions`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import test_emacs
from lsp_client import runtime_dir_for, scratch_env
from test_emacs import ELISP, EMACS, REPO, assert_passed, run_ert
from test_emacs_beside import PLACEHOLDER, fake_coderd, pylsp_dir, readme_snippet, user_path
from test_nvim_daemon import SESSION_CONNECTED, daemon_log
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


def test_two_emacs_share_one_daemon(tmp_path, emacs_ok):
    """Two Emacs of one user (one HOME, one runtime folder) at once: one daemon, two sessions."""
    home = tmp_path / "home"
    meet = tmp_path / "meet"
    meet.mkdir()
    procs = []
    for name in ("first", "second"):
        env = scratch_env(
            home,
            CODERD_TEST_PYTHON=sys.executable,
            CODERD_FAKE_SCRIPT=json.dumps({"rules": [{"after": "y = ", "reply": "shared()"}]}),
            CODERD_TEST_MEET=str(meet),
            CODERD_TEST_NAME=name,
            CODERD_TEST_PEERS="2",
            **snippet_env(tmp_path / name),
        )
        args = [EMACS, "--batch", "-Q", "-l", str(DAEMON_TESTS), "--eval"]
        procs.append(
            subprocess.Popen(
                [*args, "(ert-run-tests-batch-and-exit (quote (tag shared)))"],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    statuses = []
    for proc in procs:
        try:
            output, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"emacs ran past {RUN_TIMEOUT_S} s\n{proc.communicate()[0]}")
        print(output)
        proc.output = output
        assert_passed(proc, 1)
        statuses += lines_with("STATUS", output)
    assert len(statuses) == 2 and statuses[0]["pid"] == statuses[1]["pid"], statuses
    assert [s["sessions"] for s in statuses] == [2, 2], statuses  # one connection per Emacs
    assert len(SESSION_CONNECTED.findall(daemon_log(home))) == 2, daemon_log(home)
    assert len(list(runtime_dir_for(home).glob("**/coderd-*.pid"))) <= 1
