"""The `coderd` console script: coderd's CLI plus the commands this package adds.

It lives here, not in coderd/, because the language server sits on top of coderd and
coderd must never import it.

    coderd lsp               what editors start: a relay to the shared daemon (started if need be)
    coderd lsp --standalone  the whole server in this process (debugging, or no daemon wanted)
    coderd serve             the daemon itself (normally started by `coderd lsp`)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the relay (`coderd lsp`) stays light: no engine, no index in its process
    import argparse

    from coderd.completion.service import EngineFactory

    SubCommands = argparse._SubParsersAction[argparse.ArgumentParser]


def add_server_commands(
    engine_factory: EngineFactory | None = None, daemon_command: list[str] | None = None
) -> Callable[[SubCommands], None]:
    """The `lsp` and `serve` commands, with the engine and daemon command tests may replace."""

    def setup(commands: SubCommands) -> None:
        lsp = commands.add_parser(
            "lsp",
            help="the language server on stdio (what editors start)",
            description="Speaks LSP on stdin/stdout, relaying to the shared coderd daemon (one "
            "model for all editors), which it starts when none is running. "
            "Logs go to $XDG_STATE_HOME/coderd/coderd.log.",
        )
        lsp.add_argument(
            "--stdio",
            action="store_true",
            help="accepted for editors that pass it; stdio is the default",
        )
        lsp.add_argument(
            "--standalone",
            action="store_true",
            help="run the server and the model in this process, without the daemon",
        )
        lsp.set_defaults(run=lambda args: run_lsp(args, engine_factory, daemon_command))
        serve = commands.add_parser(
            "serve",
            help="the daemon that holds the model for all editors",
            description="Listens on a Unix socket in $XDG_RUNTIME_DIR/coderd (mode 0600). "
            "`coderd lsp` starts it when needed; it exits daemon.idle_timeout_s after the last "
            "editor disconnects. No TCP listener.",
        )
        serve.add_argument(
            "--init-options",
            default="",
            help="LSP initializationOptions (JSON) the daemon's settings include",
        )
        serve.add_argument("--key", default="", help="the rendezvous key (set by `coderd lsp`)")
        serve.set_defaults(run=lambda args: run_serve(args, engine_factory))

    return setup


def run_lsp(
    args: argparse.Namespace, engine_factory: EngineFactory | None, daemon_command: list[str] | None
) -> int:
    if args.standalone:
        from lsp.server.app import run_stdio

        if engine_factory is None:
            run_stdio()
        else:
            run_stdio(engine_factory)
        return 0
    from lsp.process.relay import run_relay
    from lsp.process.rendezvous import default_daemon_command

    return run_relay(daemon_command or default_daemon_command())


def run_serve(args: argparse.Namespace, engine_factory: EngineFactory | None) -> int:
    from lsp.process.daemon import run_daemon

    if engine_factory is None:
        from coderd.models.loader import load_engine

        engine_factory = load_engine
    init_options = json.loads(args.init_options) if args.init_options else None
    return run_daemon(engine_factory, init_options, args.key or None)


def main(
    argv: Sequence[str] | None = None,
    engine_factory: EngineFactory | None = None,
    daemon_command: list[str] | None = None,
) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["lsp"] and set(args[1:]) <= {"--stdio"}:
        # What editors start, once per editor: skip the CLI, whose imports (llama.cpp, the
        # parsers) would cost every relay ~25 MB it never uses.
        from lsp.process.relay import run_relay
        from lsp.process.rendezvous import default_daemon_command

        return run_relay(daemon_command or default_daemon_command())
    from coderd.cli.main import main as cli_main

    return cli_main(args, extra=[add_server_commands(engine_factory, daemon_command)])


if __name__ == "__main__":
    sys.exit(main())
