"""Emacs: company's selected candidate goes with the request (selectedCompletionInfo).

Runs editors/emacs/test/coderd-menu-test.el: company (Debian's `elpa-company`) opens its menu
on "app = Lit" with a backend offering "Litestar" and "Literal"; the request's context, read
back from the jsonrpc events buffer, carries the selected one, and the scripted server's
answer shows that the server completed as if it were accepted. Corfu is not packaged by
Debian 12, so only company is driven (coderd-menu.el reads corfu defensively).
"""

from __future__ import annotations

import pytest
import test_emacs
from test_emacs import ELISP, EMACS, _probe, assert_passed, run_ert

emacs_ok = test_emacs.emacs_ok  # test_emacs.py's fixture (skip without Emacs 28+), visible here

MENU = ELISP / "test" / "coderd-menu-test.el"
# The reply depends on what the server takes as typed: the selected candidate accepted or not.
SCRIPT = {
    "rules": [
        {"after": "app = Litestar", "reply": "()"},
        {"after": "app = Literal", "reply": "[int]"},
        {"after": "app = Lit", "reply": "tle_thing"},
    ]
}

pytestmark = pytest.mark.skipif(
    EMACS is None, reason="emacs is not installed (apt install emacs-nox)"
)


def test_fit_to_point(tmp_path, emacs_ok):
    assert_passed(run_ert(tmp_path, "(tag menu-unit)", script=None, ert_file=MENU), 1)


def test_company_selection_goes_with_the_request(tmp_path, emacs_ok):
    if not _probe("(require (quote company))"):
        pytest.skip("company is not installed (apt install elpa-company)")
    proc = run_ert(tmp_path, "(tag company)", script=SCRIPT, ert_file=MENU, timeout=60)
    assert_passed(proc, 1)
