"""Emacs as a user sets it up: the README's snippet, beside eglot + pylsp, and its messages.

`emacs --batch -Q` runs editors/emacs/test/coderd-beside-test.el, which evaluates the README's
first elisp block verbatim (only `/path/to/coderd` made this checkout), opens a Python file,
starts eglot with its stock server list (pylsp, from python-lsp-server in the `dev` extra) and
checks that pylsp keeps the buffer while coderd's ghost text appears in it. `coderd` on PATH is
a script running tests/fake_server.py, so the README's default command (`coderd lsp`) starts
the real relay and daemon with the scripted engine.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import test_emacs
from test_emacs import ELISP, EMACS, ERT_FILE, REPO, assert_passed, run_ert

# test_emacs.py's fixtures (skip without Emacs 28+ / eglot), made visible here.
emacs_ok = test_emacs.emacs_ok
eglot_ok = test_emacs.eglot_ok

BESIDE = ELISP / "test" / "coderd-beside-test.el"
README = ELISP / "README.md"
PLACEHOLDER = "/path/to/coderd"

pytestmark = pytest.mark.skipif(
    EMACS is None, reason="emacs is not installed (apt install emacs-nox)"
)


def readme_snippet() -> str:
    """The README's first elisp block: the set-up it leads with."""
    blocks = re.findall(r"^```elisp\n(.*?)^```", README.read_text(), flags=re.S | re.M)
    assert blocks, "no ```elisp block in editors/emacs/README.md"
    return blocks[0]


def pylsp_dir() -> Path:
    found = shutil.which("pylsp") or str(Path(sys.executable).parent / "pylsp")
    if not Path(found).exists():
        pytest.skip("pylsp is not installed (pip install python-lsp-server)")
    return Path(found).parent


def fake_coderd(bin_dir: Path) -> Path:
    """A `coderd` executable that is the real server with the scripted engine."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "coderd"
    fake = REPO / "tests" / "fake_server.py"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{fake}" "$@"\n')
    script.chmod(0o755)
    return bin_dir


def user_path(*first: Path) -> str:
    """PATH with FIRST in front and no other `coderd` (the venv's real one is left out)."""
    rest = [
        p
        for p in os.environ.get("PATH", "").split(os.pathsep)
        if p and not (Path(p) / "coderd").exists()
    ]
    return os.pathsep.join([*map(str, first), *rest])


def starts(text: str, output: str) -> int:
    """How many lines of OUTPUT start with TEXT (`coderd-status` repeats notices indented)."""
    return sum(line.startswith(text) for line in output.splitlines())


def test_readme_snippet_is_complete():
    snippet = readme_snippet()
    assert f'(add-to-list \'load-path "{PLACEHOLDER}/editors/emacs")' in snippet
    assert "(require 'coderd)" in snippet
    # The default set-up must not hand coderd eglot's one server slot per buffer.
    assert "coderd-setup-eglot" not in snippet


def test_readme_setup_beside_eglot_pylsp(tmp_path, eglot_ok):
    snippet_file = tmp_path / "init-snippet.el"
    snippet_file.write_text(readme_snippet().replace(PLACEHOLDER, str(REPO)))
    # pylsp's folder may hold the venv's real `coderd`: the fake one goes first.
    path = user_path(fake_coderd(tmp_path / "bin"), pylsp_dir())
    proc = run_ert(
        tmp_path,
        "(tag readme)",
        ert_file=BESIDE,
        env={"CODERD_TEST_SNIPPET": str(snippet_file), "PATH": path},
        timeout=180,
    )
    assert_passed(proc, 1)


def test_setup_eglot_without_modes_takes_no_server_slot(tmp_path, eglot_ok):
    assert_passed(run_ert(tmp_path, "(tag eglot-setup)", script=None, ert_file=ERT_FILE), 1)


def test_warning_shown_once_across_daemon_restart(tmp_path, emacs_ok):
    proc = run_ert(tmp_path, "(tag messages)", ert_file=BESIDE, timeout=180)
    assert_passed(proc, 1)
    # The warning reached the echo area (stderr in --batch) exactly once.
    assert starts("coderd: configuration problems, defaults used:", proc.stderr) == 1, proc.output


def test_server_start_does_not_block_emacs(tmp_path, emacs_ok):
    assert_passed(run_ert(tmp_path, "(tag nonblocking)", ert_file=BESIDE, timeout=120), 1)


def test_missing_executable_reported_once_with_the_fix(tmp_path, emacs_ok):
    proc = run_ert(tmp_path, "(tag missing)", ert_file=BESIDE, timeout=60)
    assert_passed(proc, 1)
    assert starts("coderd: `coderd-not-installed-here' not found", proc.stderr) == 1, proc.output
