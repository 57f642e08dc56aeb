"""What the check before display (coderd/policy/syntax_check.py) adds to a request.

For a file cut to 2,000 lines, at 200 cursor positions (seeded), a suggestion is checked the way
the runner checks it (runner.py): once with the index's tree of the buffer (what an open editor
buffer has: one incremental parse per try) and once without (the buffer parsed first, as in
`coderd complete`). Two suggestions per position: the file's own next line (kept, the common
case) and the same line with a stray `)` (cut back: several tries). Prints p50/p95/max in ms of
wall-clock time and of the thread's CPU time (on a shared machine the wall clock also counts
the time other processes held the core; the CPU time is what the check itself costs).

    python bench/syntax_check_cost.py FILE [FILE ...] [--lines 2000] [--positions 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from coderd.context.index.languages import language_for_path, parser_for
from coderd.policy.syntax_check import check_suggestion


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def measure(path: Path, lines: int, positions: int) -> None:
    language = language_for_path(str(path))
    if language is None:
        sys.exit(f"{path}: no tree-sitter grammar for this file")
    text = "\n".join(path.read_text(encoding="utf-8").split("\n")[:lines]) + "\n"
    all_lines = text.split("\n")
    starts = [0]
    for line in all_lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    rng = random.Random(0)
    chosen = [i for i in range(len(all_lines) - 2) if all_lines[i + 1].strip()]
    chosen = sorted(rng.sample(chosen, min(positions, len(chosen))))
    figures: dict[str, list[float]] = {}
    verdicts: dict[str, dict[str, int]] = {}
    for i in chosen:
        # The cursor on line i + 1 after its indentation, the rest of that line masked (what
        # the model writes back).
        nxt = all_lines[i + 1]
        indent = nxt[: len(nxt) - len(nxt.lstrip())]
        buffer = text[: starts[i + 1]] + indent + text[starts[i + 1] + len(nxt) :]
        offset = starts[i + 1] + len(indent)
        source = buffer.encode("utf-8")
        tree = parser_for(language).parse(source)
        for kind, suggestion in (("next line", nxt.strip()), ("stray )", nxt.strip() + ")")):
            for mode, base in (("index tree", (source, tree)), ("parsed here", None)):
                started, cpu = time.perf_counter(), time.thread_time()
                checked = check_suggestion(buffer, offset, suggestion, "", str(path), base)
                cpu_ms = (time.thread_time() - cpu) * 1000
                elapsed = (time.perf_counter() - started) * 1000
                figures.setdefault(f"{kind}, {mode}", []).append(elapsed)
                figures.setdefault(f"{kind}, {mode}, CPU", []).append(cpu_ms)
                counts = verdicts.setdefault(kind, {})
                counts[checked.verdict] = counts.get(checked.verdict, 0) + (mode == "index tree")
    print(f"{path} ({len(all_lines)} lines, {language}), {len(chosen)} positions")
    for name, values in figures.items():
        print(
            f"  {name:33} p50 {statistics.median(values):6.2f} ms  p95 {percentile(values, 0.95):6.2f} ms"
            f"  max {max(values):6.2f} ms"
        )
    for kind, counts in verdicts.items():
        print(f"  verdicts, {kind}: {counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--positions", type=int, default=200)
    args = parser.parse_args()
    for path in args.files:
        measure(path, args.lines, args.positions)


if __name__ == "__main__":
    main()
