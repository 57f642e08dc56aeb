"""Lint, format and types run with the tests: `python -m pytest` is the one check command.

The same three commands are the pre-commit hooks (.pre-commit-config.yaml). Each test prints
the tool's own report when it fails.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECKS = {
    "ruff lint": ["ruff", "check", "--output-format", "concise", "."],
    "ruff format": ["ruff", "format", "--check", "--diff", "."],
    # strict on coderd.engine, coderd.completion and lsp (pyproject.toml [tool.mypy])
    "mypy": ["mypy"],
}


@pytest.mark.parametrize("name", CHECKS)
def test_the_tree_passes(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *CHECKS[name]], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}{result.stderr}"
