"""Where Python's full garbage collections land while the daemon builds context, with Python's
own pacing and with coderd's (coderd/system/collector.py: full collections between requests).

    python -m bench.gc_pauses PACKAGE_DIR [--keys 1500] [--every 5] [--budget 1024]

The package is indexed by a ContextProvider as the language server does (the index frozen out
of the collector once built); then `--keys` keystrokes: every `--every` keys a random file of
the package is opened at a random line in its first half, each key is typed there (didChange)
and a context build for it is asked, a first build at that position (the provider's result and
the look-ahead's cleared, as bench/context_eval.py does); after each, the worker's idle moment
(`IdleCollector.idle`). Each pacing runs in its own process, the same keys. Printed per
pacing: build wall ms (p50, p95, max), full collections (how many, how many started inside a
build, their ms), and what one full collection walks at the end.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.provider import ContextProvider
from coderd.system.collector import IdleCollector

SOURCES = (".py", ".go", ".rs", ".ts", ".js")


def run(root: Path, keys: int, every: int, budget: int, paced: bool) -> dict:
    pauses: list[tuple[float, bool]] = []  # (ms, started inside a build)
    building = [False]
    started = [0.0, False]

    def watch(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[:] = [time.perf_counter(), building[0]]
        else:
            pauses.append(((time.perf_counter() - started[0]) * 1000, bool(started[1])))

    collector = IdleCollector(paced=paced)
    provider = ContextProvider(
        ContextSettings(budget_tokens=budget), [root], registry=IndexRegistry(watch=False)
    )
    index = provider.index_for(root / "x")
    assert index is not None and index.wait_ready(600)
    collector.install()
    gc.callbacks.append(watch)
    files = sorted(p for p in root.rglob("*") if p.suffix in SOURCES and "test" not in p.name)
    rng = random.Random(1)
    builds: list[float] = []
    text, cursor, path = "", 0, files[0]
    for key in range(keys):
        if key % every == 0:
            path = rng.choice(files)
            text = path.read_text(errors="replace")
            cursor = text.find("\n", rng.randrange(max(1, len(text) // 2)))
            cursor = cursor if cursor >= 0 else len(text)
        text = text[:cursor] + "x" + text[cursor:]
        cursor += 1
        provider.set_buffer(path, text).result(60)
        provider.builder.last.clear()
        provider.ahead.clear()
        building[0], t = True, time.perf_counter()
        provider.context_for(path, text, cursor, lambda s: list(range(len(s) // 4)), budget)
        builds.append((time.perf_counter() - t) * 1000)
        building[0] = False
        collector.idle()
    gc.callbacks.remove(watch)
    walk = time.perf_counter()
    gc.collect()
    walk_ms = (time.perf_counter() - walk) * 1000
    collector.uninstall()
    provider.close()
    ordered = sorted(builds)
    return {
        "paced": paced,
        "p50": statistics.median(builds),
        "p95": ordered[int(0.95 * (len(ordered) - 1))],
        "max": ordered[-1],
        "full": len(pauses),
        "in_build": sum(inside for _, inside in pauses),
        "in_build_ms": sum(ms for ms, inside in pauses if inside),
        "ms": [round(ms, 1) for ms, _ in pauses],
        "walk_ms": walk_ms,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--keys", type=int, default=1500)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--budget", type=int, default=1024)
    parser.add_argument("--one", choices=("python", "paced"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        result = run(args.package, args.keys, args.every, args.budget, args.one == "paced")
        print(json.dumps(result))
        return 0
    print(f"{args.package.name}: {args.keys} keys, a new place every {args.every}")
    print(
        "| pacing | build p50 ms | p95 | max | full collections | in a build | each, ms | walk at end |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for pacing in ("python", "paced"):
        out = subprocess.run(
            [sys.executable, "-m", "bench.gc_pauses", str(args.package), "--one", pacing]
            + ["--keys", str(args.keys), "--every", str(args.every)]
            + ["--budget", str(args.budget)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {pacing} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {r['full']} "
            f"| {r['in_build']} ({r['in_build_ms']:.0f} ms) | {r['ms']} | {r['walk_ms']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
