"""The `coderd` command line. `lsp` is added by lsp/entry.py (coderd never imports lsp)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from coderd import __version__

# A command registers its sub-parser and returns the function that runs it.
CommandSetup = Callable[["argparse._SubParsersAction"], None]


def build_parser(extra: Sequence[CommandSetup] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coderd", description="Local fill-in-the-middle code completion from GGUF models."
    )
    parser.add_argument("--version", action="version", version=f"coderd {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for setup in extra:
        setup(commands)

    complete = commands.add_parser(
        "complete",
        help="complete once at FILE:LINE:COL and print the suggestion",
        description="LINE and COL are 1-based; COL counts characters (code points).",
    )
    complete.add_argument("location", metavar="FILE:LINE:COL")
    complete.add_argument("--model", type=Path, help="GGUF file (overrides model.path)")
    complete.add_argument(
        "--json", action="store_true", help="also print prompt pieces and timings"
    )
    complete.add_argument(
        "--workspace",
        type=Path,
        help="root whose files give repository context (default: the git root, else the file's folder)",
    )
    complete.set_defaults(run=lambda args: _lazy("complete").run(args))

    doctor = commands.add_parser(
        "doctor", help="check the llama.cpp build, the model and the configuration"
    )
    doctor.add_argument("--model", type=Path, help="GGUF file to check (overrides model.path)")
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(run=lambda args: _lazy("doctor").run(args))

    context = commands.add_parser(
        "context", help="print the repository context a completion at FILE:LINE:COL would get"
    )
    _lazy("context").add_arguments(context)
    context.set_defaults(run=lambda args: _lazy("context").run(args))

    bench = commands.add_parser("bench", help="replay a typing trace and print latency figures")
    _lazy("bench").add_arguments(bench)
    bench.set_defaults(run=lambda args: _lazy("bench").run(args))

    evaluate = commands.add_parser(
        "eval",
        help="measure completion quality and latency on this repository, and recommend settings",
    )
    _lazy("eval").add_arguments(evaluate)
    evaluate.set_defaults(run=lambda args: _lazy("eval").run(args))

    models = commands.add_parser(
        "models",
        help="the model catalogue: list, pull (download), add (import a file), rm, use, info",
    )
    _lazy("models").add_arguments(models)
    models.set_defaults(run=lambda args: _lazy("models").run(args))
    return parser


def _lazy(name: str):
    import importlib

    return importlib.import_module(f"coderd.cli.{name}")


def main(argv: Sequence[str] | None = None, extra: Sequence[CommandSetup] = ()) -> int:
    parser = build_parser(extra)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    return int(args.run(args) or 0)
