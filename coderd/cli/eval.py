"""`coderd eval`: completion quality on this repository, per model, budget, context and check.

Samples cursor positions from the workspace's files (coderd/eval/sampling.py), runs each
through the language server's completion service (running.py), and prints a table per
configuration and a recommendation (report.py, recommend.py); `--json` prints every sample
(the table and the recommendation then go to stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import pathspec
from pathspec.patterns.gitwildmatch import GitWildMatchPatternError

from coderd.cli.common import INDEX_WAIT_S, fail, settings_for_cli, workspace_of
from coderd.engine.base import EngineError
from coderd.eval.recommend import recommend
from coderd.eval.report import Progress, sample_record, summarise, table
from coderd.eval.running import Budget, Configuration, run_all
from coderd.eval.sampling import SKIPPABLE, draw_samples, workspace_files

SWITCH = {"on": (True,), "off": (False,), "both": (True, False)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace", type=Path, help="repository to sample (default: the git root, else here)"
    )
    parser.add_argument(
        "--files",
        action="append",
        metavar="GLOB",
        help="only files matching this .gitignore-style pattern (repeatable), e.g. 'src/**/*.py'",
    )
    parser.add_argument("--samples", type=int, default=200, help="cursor positions (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument(
        "--model",
        type=Path,
        action="append",
        metavar="PATH",
        help="GGUF to compare (repeatable; default: the configured model, else the starter)",
    )
    parser.add_argument(
        "--budget",
        action="append",
        metavar="PREFIX[/SUFFIX[/CONTEXT]]",
        help="prompt budgets in tokens, used as given (repeatable; default: the configured "
        "ones, shrunk to completion.latency_target_ms as the server does)",
    )
    parser.add_argument(
        "--context",
        choices=SWITCH,
        help="repository context: both compares the two (default: context.enabled, as the "
        "server runs; each configuration is another pass over every sample)",
    )
    parser.add_argument(
        "--syntax-check",
        choices=SWITCH,
        help="the check before display (default: completion.syntax_check)",
    )
    parser.add_argument(
        "--include",
        action="append",
        choices=SKIPPABLE,
        default=[],
        help="also sample files of this kind (skipped by default; repeatable)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="a fixed count of CPU threads for the model (default: model.threads; 0 there is "
        "the engine's automatic count, per request); the recommendation then sets it",
    )
    parser.add_argument("--json", action="store_true", help="print every sample and score as JSON")


def _budgets(specs: list[str] | None, defaults: Budget) -> list[Budget]:
    if not specs:  # what the server runs here: the configured budgets, planned for this machine
        return [defaults]
    budgets = []
    for spec in specs:
        try:
            parts = [int(p) for p in spec.split("/")]
        except ValueError:
            parts = []
        if not 1 <= len(parts) <= 3 or parts[0] < 16 or any(p < 0 for p in parts):
            raise ValueError(
                f"--budget {spec!r}: expected PREFIX[/SUFFIX[/CONTEXT]] tokens, e.g. 384/64/256"
            )
        full = parts + [defaults.suffix, defaults.context][len(parts) - 1 :]
        budgets.append(Budget(full[0], full[1], full[2]))
    return budgets


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    root = (args.workspace or workspace_of(Path.cwd() / "x")).resolve()
    if not root.is_dir():
        return fail(f"--workspace {root}: not a directory")
    if args.samples < 1:
        return fail("--samples must be at least 1")
    for model in args.model or ():
        if not model.is_file():
            return fail(f"--model {model}: no such file (give the path of a GGUF)")
    if args.threads is not None and args.threads < 1:
        return fail("--threads must be at least 1")
    loaded = settings_for_cli(None)
    settings = loaded.settings
    if args.threads is not None:
        settings = replace(settings, model=replace(settings.model, threads=args.threads))
    # 0: the engine picks per request from the cores the rest of the machine leaves (each
    # sample's engine figures in the JSON say how many it used).
    threads = settings.model.threads
    c = settings.completion
    try:
        budgets = _budgets(
            args.budget,
            Budget(c.prefix_tokens, c.suffix_tokens, settings.context.budget_tokens, planned=True),
        )
    except ValueError as exc:
        return fail(str(exc))
    try:
        spec = pathspec.GitIgnoreSpec.from_lines(args.files) if args.files else None
    except (ValueError, GitWildMatchPatternError) as exc:
        return fail(
            f"--files: {str(exc).splitlines()[0]} (a .gitignore-style pattern, e.g. 'src/**/*.py')"
        )
    files = workspace_files(root, vendored="vendored" in args.include)
    if spec is not None:
        files = [rel for rel in files if spec.match_file(rel)]
    if not files:
        where = f" matching {' '.join(args.files)}" if args.files else ""
        return fail(f"{root}: no source files{where} (coderd indexes .py, .ts, .js, .go, .rs, ...)")
    samples = draw_samples(root, files, args.samples, args.seed, frozenset(args.include))
    if not samples:
        return fail(
            f"{root}: no cursor positions in {len(files)} files (all generated, vendored or "
            "fixtures? --include generated,vendored,fixtures takes them)"
        )
    checks = SWITCH[args.syntax_check] if args.syntax_check else (c.syntax_check,)
    models = [str(m.resolve()) for m in args.model] if args.model else [""]
    configurations = [
        Configuration(model, budget, context, check)
        for model in models
        for budget in budgets
        for context in (SWITCH[args.context] if args.context else (settings.context.enabled,))
        for check in checks
    ]
    try:
        results, infos = run_all(settings, root, configurations, samples, Progress(), INDEX_WAIT_S)
    except EngineError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted")
    summaries = summarise(results)
    choice = recommend(summaries, c.latency_target_ms, args.threads or 0)
    names = ", ".join(f"{info.name} ({info.path})" for info in infos.values())
    plural = "s" if threads != 1 else ""
    report = [
        f"{len(samples)} samples from {len(files)} files of {root}; model: {names}; "
        f"{threads or 'automatic'} thread{plural}; {time.monotonic() - started:.0f} s",
        table(summaries),
    ]
    if choice is not None:
        report += ["", choice.message()]
    if not args.json:
        print("\n".join(report))
        return 0
    # The JSON on stdout (for a file or a pipe), what a person reads on stderr.
    print("\n".join(report), file=sys.stderr)
    print(
        json.dumps(
            {
                "workspace": str(root),
                "files": len(files),
                "seed": args.seed,
                "threads": threads,
                "seconds": round(time.monotonic() - started, 1),
                "models": {path or "(configured)": info.path for path, info in infos.items()},
                "configurations": [
                    {
                        **s.as_dict(),
                        "results": [
                            sample_record(r) for r in results if r.configuration == s.configuration
                        ],
                    }
                    for s in summaries
                ],
                "recommendation": choice.as_dict() if choice else None,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0
