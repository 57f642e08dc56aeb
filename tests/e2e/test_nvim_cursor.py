"""The Neovim client says where the cursor went (`coderd/didMoveCursor`, editors/PROTOCOL.md),
so that the server prewarms the prompt there before the first key: Neovim started as a user
does (tests/e2e/test_nvim_session.py: the README's init.lua, the file on the command line, a
`coderd` on PATH running the relay and daemon with the scripted engine, the wire teed).

editors/nvim/tests/cursor.lua moves the cursor without typing and checks what the plugin sent
and the server's `coderd/status` prewarm counts; this test checks the same notifications on
the wire. Both Neovims of test_nvim.py: 0.11 (UTF-8 positions) and Debian's 0.7.2 (UTF-16).
"""

from __future__ import annotations

import pytest
from test_nvim import NVIMS
from test_nvim_session import install_coderd_script, lines_with, lsp_messages, run_nvim, work_files

METHOD = "coderd/didMoveCursor"


def app_source() -> str:
    lines = [f"value_{n} = {n}" for n in range(80)]
    lines[69] = '    word = "héllo" + x'  # é: the x's column differs in UTF-8 and UTF-16
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("nvim", NVIMS)
def test_a_jump_or_another_buffer_is_sent_and_prewarmed_a_column_is_not(nvim, tmp_path):
    """Before: nothing told the server where the cursor was, and the first key after a jump
    evaluated its whole prompt."""
    work_files(tmp_path, app_py=app_source(), second_py="y = 2\n")
    bin_dir = install_coderd_script(tmp_path / "bin")
    wire = tmp_path / "wire-in"
    proc = run_nvim(
        nvim, tmp_path, ["app.py"], "cursor.lua", [bin_dir], CODERD_TEST_WIRE_IN=str(wire)
    )
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
    (moves,) = lines_with("MOVES", proc.stdout)
    (seen,) = lines_with("CURSOR", proc.stdout)
    on_wire = [m["params"] for m in lsp_messages(wire.read_bytes()) if m.get("method") == METHOD]
    assert on_wire == moves, (on_wire, moves)
    app, second = ((tmp_path / "work" / name).as_uri() for name in ("app.py", "second.py"))
    assert [(m["textDocument"]["uri"], m["position"]["line"]) for m in moves] == [
        (app, 0),
        (app, 69),
        (second, 0),
        (app, 69),
    ]
    # The x of `    word = "héllo" + x` in the negotiated encoding (0.7 offers only UTF-16).
    before_x = app_source().splitlines()[69].split("x")[0]
    unit = {"utf-8": len(before_x.encode()), "utf-16": len(before_x)}[seen["encoding"]]
    assert moves[1]["position"]["character"] == unit, (seen, moves[1])
    assert seen["after"] > seen["before"], seen  # the server queued a prewarm for the jump
