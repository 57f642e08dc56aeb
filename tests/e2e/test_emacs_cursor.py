"""Emacs says where the cursor went (`coderd/didMoveCursor`, editors/PROTOCOL.md), so that the
server prewarms the prompt there before the first key.

Runs editors/emacs/test/coderd-cursor-test.el against the scripted server: point moves with
keys through the real `post-command-hook`, nothing is typed; the ERT test checks what was
sent (a new line or buffer: one notification, in the negotiated encoding; a column within a
line: none) and that the server's `coderd/status` counts a prewarm for the jump, through the
jsonrpc backend and through eglot.
"""

from __future__ import annotations

import pytest
import test_emacs
from test_emacs import ELISP, EMACS, assert_passed, run_ert

emacs_ok = test_emacs.emacs_ok  # test_emacs.py's fixtures, visible here
eglot_ok = test_emacs.eglot_ok

CURSOR = ELISP / "test" / "coderd-cursor-test.el"

pytestmark = pytest.mark.skipif(
    EMACS is None, reason="emacs is not installed (apt install emacs-nox)"
)


def test_jsonrpc_backend_sends_lines_and_buffers_not_columns(tmp_path, emacs_ok):
    assert_passed(run_ert(tmp_path, "(tag jsonrpc)", script=None, ert_file=CURSOR, timeout=60), 1)


def test_eglot_backend_sends_lines_and_buffers_not_columns(tmp_path, eglot_ok):
    assert_passed(run_ert(tmp_path, "(tag eglot)", script=None, ert_file=CURSOR, timeout=60), 1)
