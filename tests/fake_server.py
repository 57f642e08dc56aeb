"""The real language server with the scripted engine ($CODERD_FAKE_SCRIPT) in place of llama.cpp.

With no arguments: the standalone server on stdio. With `lsp` or `serve` arguments: the same
commands as the `coderd` script (the relay starts this file's `serve` as its daemon).
"""

import sys

from coderd.testing.fake_engine import ScriptedEngine
from lsp.entry import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not argv or argv[0].startswith("--"):  # editors may append --stdio
        argv = ["lsp", "--standalone", *argv]
    sys.exit(
        main(
            argv,
            engine_factory=ScriptedEngine.from_env,
            daemon_command=[sys.executable, __file__, "serve"],
        )
    )
