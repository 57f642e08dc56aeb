"""The `coderd` command line. `lsp` is added by lsp/entry.py (coderd never imports lsp)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from coderd import __version__
from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.config.settings import LoadedSettings, load_settings
from coderd.context.index.registry import IndexRegistry
from coderd.context.provider import ContextProvider
from coderd.engine.base import EngineError
from coderd.models.loader import load_engine
from coderd.system.logs import setup_logging

INDEX_WAIT_S = 60

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
    complete.set_defaults(run=run_complete)

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


def settings_for_cli(model: Path | None) -> LoadedSettings:
    loaded = load_settings()
    if model is not None:
        settings = loaded.settings
        loaded = replace(
            loaded, settings=replace(settings, model=replace(settings.model, path=str(model)))
        )
    # The log file gets everything; the terminal only what the command prints itself.
    setup_logging(loaded.settings.log.level)
    for problem in loaded.problems:
        print(f"coderd: configuration: {problem}", file=sys.stderr)
    return loaded


def workspace_of(path: Path) -> Path:
    """The nearest folder above `path` holding .git, else the file's own folder."""
    here = path.resolve().parent
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def parse_location(location: str) -> tuple[Path, int, int]:
    try:
        file, line, col = location.rsplit(":", 2)
        return Path(file), int(line), int(col)
    except ValueError:
        raise SystemExit(f"coderd: expected FILE:LINE:COL (1-based), got {location!r}") from None


def offset_of(text: str, line: int, col: int) -> int:
    lines = text.splitlines(keepends=True)
    if not 1 <= line <= max(1, len(lines) + (1 if text.endswith(("\n", "\r")) else 0)):
        raise SystemExit(f"coderd: line {line} is outside the file (1..{len(lines)})")
    start = sum(len(x) for x in lines[: line - 1])
    content = lines[line - 1].rstrip("\r\n") if line <= len(lines) else ""
    return start + min(max(col - 1, 0), len(content))


def run_complete(args: argparse.Namespace) -> int:
    path, line, col = parse_location(args.location)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"coderd: cannot read {path} as UTF-8 text: {exc}") from exc
    loaded = settings_for_cli(args.model)
    context = None
    if loaded.settings.context.enabled:
        context = ContextProvider(
            loaded.settings.context,
            [args.workspace or workspace_of(path)],
            IndexRegistry(watch=False),
        )  # one shot: nothing to follow
        index = context.index_for(path)
        if index is not None and not index.wait_ready(INDEX_WAIT_S):  # one shot: let it finish
            print(
                f"coderd: the workspace index is still building after {INDEX_WAIT_S} s; "
                "completing with what it has",
                file=sys.stderr,
            )
    service = CompletionService(loaded.settings, load_engine, context)
    service.start()
    try:
        info = service.model_ready.result()
    except EngineError as exc:
        print(f"coderd: {exc}", file=sys.stderr)
        return 1
    for warning in info.warnings:
        print(f"coderd: warning: {warning}", file=sys.stderr)
    snapshot = DocumentSnapshot(
        str(path.resolve()),
        text,
        offset_of(text, line, col),
        path.suffix.lstrip("."),
        path=str(path.resolve()),
    )
    outcome = service.submit(snapshot).future.result()
    service.shutdown()
    if outcome.status != "ok":
        print(f"coderd: {outcome.status}: {outcome.message}", file=sys.stderr)
        return 1
    if not args.json:
        print(outcome.text)
        return 0
    print(
        json.dumps(
            {
                "completion": outcome.text,
                "mode": outcome.mode,
                "model": {
                    "name": info.name,
                    "path": info.path,
                    "fim_ids": info.fim_ids,
                    "prefix_only": info.prefix_only,
                    "n_ctx": info.n_ctx,
                },
                "prompt": {
                    "context": list(outcome.context_chunks),
                    "context_text": outcome.context_text,
                    "prefix_text": outcome.prefix_text,
                    "suffix_text": outcome.suffix_text,
                    "pieces": [{"name": name, "ids": list(ids)} for name, ids in outcome.pieces],
                },
                "stats": outcome.stats.as_dict() if outcome.stats else None,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0
