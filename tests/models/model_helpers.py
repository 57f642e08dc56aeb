"""Helpers for the models tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = "test-org/tiny-coder-GGUF"
FILE = "tiny-coder.Q4_K_M.gguf"
KEY = "tiny-coder:Q4_K_M"


def write_user_catalog(home: Path, *, sha256: str = "unknown", size: int = 1) -> None:
    (home / "config" / "coderd").mkdir(parents=True, exist_ok=True)
    (home / "config" / "coderd" / "catalog.toml").write_text(
        f'''
[[model]]
name = "tiny-coder"
quant = "Q4_K_M"
file = "{FILE}"
repo = "{REPO}"
size_bytes = {size}
sha256 = "{sha256}"
architecture = "llama"
fim = "deepseek"
context_length = 16384
n_layer = 2
n_embd_kv = 64
kv_bytes_per_token = 512
''',
        "utf-8",
    )


def cli(*argv: str) -> int:
    """`coderd ARGV` in this process (monkeypatches apply); output via capsys."""
    from coderd.cli.main import main

    return main(list(argv))


def cli_subprocess(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`coderd ARGV` as a real process with the current (monkeypatched) environment."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from lsp.entry import main; sys.exit(main())", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
