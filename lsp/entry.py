"""The `coderd` console script: coderd's CLI plus the `lsp` command that this package adds.

It lives here, not in coderd/, because the language server sits on top of coderd and
coderd must never import it.
"""

from __future__ import annotations

import sys
from typing import Sequence


def add_lsp_command(commands) -> None:
    lsp = commands.add_parser(
        "lsp", help="run the language server on stdio (what editors start)",
        description="Speaks LSP on stdin/stdout. Logs go to $XDG_STATE_HOME/coderd/coderd.log.",
    )
    lsp.add_argument(
        "--stdio", action="store_true", help="accepted for editors that pass it; stdio is the default"
    )
    lsp.set_defaults(run=run_lsp)


def run_lsp(args) -> int:
    from .server import run_stdio

    run_stdio()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from coderd.cli import main as cli_main

    return cli_main(argv, extra=[add_lsp_command])


if __name__ == "__main__":
    sys.exit(main())
