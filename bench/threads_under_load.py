"""Decode speed with the cores taken by other programs: fixed threads against automatic ones.

    python -m bench.threads_under_load --model M.gguf [--hogs 0 1] [--rounds 5]

For each number of hogs (processes spinning on a core, standing in for a build or a browser),
one engine with `threads` = the physical cores and one with automatic threads
(engine/llama/threads.py) complete the same request in turns: a ~300-token prompt evaluated
whole, then 16 tokens decoded. Printed per engine: the threads it used and the median time.
Both engines are loaded once, so their turns see the same machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits
from coderd.engine.llama.engine import EngineOptions, LlamaEngine
from coderd.system.hardware import physical_cores

SOURCE = Path(__file__).resolve().parents[1] / "coderd" / "completion" / "runner.py"


def spin() -> None:
    while True:
        pass


def request(engine: LlamaEngine, text: str, round_: int) -> tuple[float, int]:
    prompt = FimPrompt(engine.tokenize(f"# round {round_}\n" + text)[:300], engine.tokenize("\n"))
    engine.kv.forget_slot(0)  # the whole prompt each time: the same work in every turn
    started = time.perf_counter()
    done = engine.complete(prompt, GenerationLimits(max_tokens=16), CancelToken())
    return (time.perf_counter() - started) * 1000, done.stats.threads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--hogs", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    most = physical_cores()
    engines = {
        f"fixed {most}": LlamaEngine(args.model, EngineOptions(n_ctx=1024, threads=most)),
        "automatic": LlamaEngine(
            args.model, EngineOptions(n_ctx=1024, threads=most, adapt_threads=True)
        ),
    }
    text = SOURCE.read_text()
    print(f"model {args.model.name}, {most} physical cores, load before {os.getloadavg()}")
    print("| hogs | engine | threads used | median ms | min ms | max ms |")
    print("|---|---|---|---|---|---|")
    for hogs in args.hogs:
        spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(hogs)]
        for p in spinners:
            p.start()
        time.sleep(1.5)  # the governor's first look sees them
        times: dict[str, list[float]] = {name: [] for name in engines}
        used: dict[str, set[int]] = {name: set() for name in engines}
        for r in range(args.rounds):
            for name, engine in engines.items():
                ms, threads = request(engine, text, r)
                times[name].append(ms)
                used[name].add(threads)
        for p in spinners:
            p.terminate()
        for name in engines:
            t = times[name]
            print(
                f"| {hogs} | {name} | {sorted(used[name])} | {statistics.median(t):.0f} "
                f"| {min(t):.0f} | {max(t):.0f} |"
            )
    print(f"load after {os.getloadavg()}")
    for engine in engines.values():
        engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
