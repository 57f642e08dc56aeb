"""The Emacs client (editors/emacs) end to end: real Emacs in batch mode, real server over stdio.

Each test runs `emacs --batch -Q` on editors/emacs/test/coderd-test.el with an ERT selector
(unit tests, the eglot path, the jsonrpc path, the real engine) in a scratch HOME. The ERT tests
type with `execute-kbd-macro`, so the real command loop, hooks and keymaps run, wait with
deadlines for the overlay, and assert exact ghost and buffer text.

Needs Debian's `emacs-nox` (28+) and `elpa-eglot` (eglot is built into Emacs 29+).
test_emacs_beside.py (the README's set-up beside eglot + pylsp, messages, a missing `coderd`)
and test_emacs_menu.py (company's selection) use `run_ert` with their own ERT files.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
from lsp_client import scratch_env  # noqa: E402

REPO = TESTS.parent
ELISP = REPO / "editors" / "emacs"
ERT_FILE = ELISP / "test" / "coderd-test.el"
EMACS = shutil.which("emacs")
DEBIAN_ELPA = "/usr/share/emacs/site-lisp/elpa"

# On an empty line inside a function: a multi-line reply, so word and line accepts differ;
# three candidates for Invoked requests (cycling). coderd-test.el asserts exactly these texts.
SCRIPT = {
    "rules": [
        {
            "after": "def add(a, b):\n    ",
            "replies": [
                "total = a + b\n    return total",
                "return a + b",
                "result = a + b\n    return result",
            ],
        }
    ]
}
WRONG = {"rules": [{"after": "def add(a, b):\n    ", "reply": "total = a - b\n    return total"}]}

pytestmark = pytest.mark.skipif(
    EMACS is None, reason="emacs is not installed (apt install emacs-nox)"
)


def _probe(form: str) -> bool:
    """Whether FORM evaluates without error in `emacs --batch -Q` (Debian's elpa added)."""
    prelude = (
        f'(progn (add-to-list (quote package-directory-list) "{DEBIAN_ELPA}") '
        f"(package-initialize) {form})"
    )
    proc = subprocess.run(
        [EMACS, "--batch", "-Q", "--eval", prelude], capture_output=True, timeout=30
    )
    return proc.returncode == 0


@pytest.fixture(scope="module")
def emacs_ok():
    if not _probe('(unless (>= emacs-major-version 28) (error "too old"))'):
        pytest.skip("Emacs 28 or newer is needed")


@pytest.fixture(scope="module")
def eglot_ok(emacs_ok):
    if not _probe("(require (quote eglot))"):
        pytest.skip("eglot is not installed (apt install elpa-eglot, or Emacs 29+)")


def run_ert(
    tmp_path: Path,
    selector: str,
    *,
    script: dict | None = SCRIPT,
    env: dict | None = None,
    timeout: float = 30,
    ert_file: Path = ERT_FILE,
) -> subprocess.CompletedProcess:
    extra = {"CODERD_TEST_PYTHON": sys.executable, **(env or {})}
    if script is not None:
        extra["CODERD_FAKE_SCRIPT"] = json.dumps(script)
    proc = subprocess.run(
        [
            EMACS,
            "--batch",
            "-Q",
            "-l",
            str(ert_file),
            "--eval",
            f"(ert-run-tests-batch-and-exit (quote {selector}))",
        ],
        cwd=REPO,
        env=scratch_env(tmp_path / "home", **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    proc.output = proc.stdout + proc.stderr
    return proc


def assert_passed(proc: subprocess.CompletedProcess, count: int) -> None:
    assert proc.returncode == 0, proc.output
    # An empty selection also exits 0: check that the expected tests ran.
    summary = f"Ran {count} tests, {count} results as expected, 0 unexpected"
    assert summary in proc.output, proc.output


def test_unit(tmp_path, emacs_ok):
    assert_passed(run_ert(tmp_path, "(tag unit)", script=None), 6)


def test_byte_compiles_without_warnings(tmp_path, emacs_ok):
    out = tmp_path / "elc"
    out.mkdir()
    files = " ".join(f'"{p}"' for p in sorted(ELISP.glob("*.el")))
    form = (
        f'(progn (add-to-list (quote load-path) "{ELISP}") (setq byte-compile-error-on-warn t) '
        f"(setq byte-compile-dest-file-function (lambda (f) (expand-file-name "
        f'(concat (file-name-nondirectory f) "c") "{out}"))) '
        f"(dolist (f (list {files})) (unless (byte-compile-file f) (kill-emacs 1))))"
    )
    proc = subprocess.run(
        [EMACS, "--batch", "-Q", "--eval", form],
        capture_output=True,
        text=True,
        env=scratch_env(tmp_path / "home"),
        timeout=30,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_eglot_typing_accept_cycle_dismiss(tmp_path, eglot_ok):
    assert_passed(run_ert(tmp_path, "(tag eglot)"), 1)


def test_jsonrpc_backend_without_eglot(tmp_path, emacs_ok):
    assert_passed(run_ert(tmp_path, "(tag jsonrpc)"), 1)


def test_fails_when_the_server_suggests_something_else(tmp_path, eglot_ok):
    proc = run_ert(tmp_path, "(tag eglot)", script=WRONG)
    assert proc.returncode != 0, proc.output
    assert "Ran 1 tests, 0 results as expected, 1 unexpected" in proc.output
    # It failed on the text itself, not on a timeout or a crash.
    assert "total = a - b" in proc.output, proc.output


def test_real_engine_round_trip(tmp_path, tmp_path_factory, emacs_ok):
    from coderd.testing.synthetic import cached_model

    model = cached_model("tiny", cache_dir=tmp_path_factory.mktemp("models"))
    proc = run_ert(
        tmp_path,
        "(tag real)",
        script=None,
        env={"CODERD_TEST_REAL": "1", "CODERD_MODEL_PATH": str(model)},
    )
    assert_passed(proc, 1)
    assert re.search(r"real engine: \d+ item\(s\)", proc.output), proc.output
