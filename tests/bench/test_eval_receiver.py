"""bench/eval_receiver.py: the expression before the cursor, and the block of its type's
members it would add, on a real index of real files."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:  # the eval's modules import each other by plain name
    sys.path.insert(0, str(BENCH))

from eval_receiver import receiver_block, receiver_expression  # noqa: E402

from coderd.context.index.workspace import WorkspaceIndex  # noqa: E402

CORE = """class Context:
    def find_root(self) -> "Context":
        return self

    def get_parameter_source(self, name: str) -> int:
        return 0
"""
MAIN = """from core import Context


def complete(ctx: Context):
    return ctx."""


@pytest.mark.parametrize(
    ("line", "expression"),
    [
        ("    x = ctx.", "ctx"),
        ("    return cmd.Root().", "cmd.Root()"),
        ("    Ok(Number::", "Number"),
        ("    self.stream.", "self.stream"),
        ("    x = ctx", None),
    ],
)
def test_the_expression_right_before_the_cursor(line: str, expression: str | None) -> None:
    assert receiver_expression(line) == expression


def test_the_block_holds_the_receivers_members(tmp_path: Path) -> None:
    (tmp_path / "core.py").write_text(CORE)
    (tmp_path / "main.py").write_text(MAIN)
    index = WorkspaceIndex(tmp_path)
    index.rescan()
    try:

        def tokenize(text: str) -> list[str]:
            return re.findall(r"\S+|\n", text)

        packed, why = receiver_block(index, "main.py", MAIN, len(MAIN), tokenize, 200)
        assert why == "typed" and packed is not None
        assert "def get_parameter_source(self, name: str) -> int:" in packed.text
        assert packed.text.startswith("# core.py\n")
        untyped = MAIN.replace("ctx: Context", "ctx")
        assert (
            receiver_block(index, "main.py", untyped, len(untyped), tokenize, 200)[1] == "untyped"
        )
    finally:
        index.close()
