"""Pooled tables over several `context_eval.py --json` files (one per set), for the README.

    python bench/eval_pooled.py heldout.json spare.json fresh.json final.json [--compare OLD ...]

Prints, at the budgets 256/512/1024: the cells where coderd is below the naive list, per set
(a set is one file); recall pooled by kind and by distance to the name's nearest other use
(samples weighted); the mean of packages; recall per package; build CPU time p50/p95 per
package (the worst budget) and the packages whose p95 passes 15 ms; the block's overrun.
`--compare` (the same sets run with other code) adds a column of its pooled figures.
`--system prompt`: the same tables for the block with its receiver hint (context_eval.py); an
older file without it is read as its block.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

BUDGETS = ("256", "512", "1024")
DISTANCES = ("<=10", "11-40", ">40", "only use")
P95_LIMIT_MS = 15.0


def cell(values: dict) -> str:
    return "/".join(f"{values[b]:.2f}" for b in BUDGETS)


def pooled(reports: list[dict], system: str, counts: str, table: str) -> dict:
    """{group: (samples, {budget: recall})}, samples weighted; `counts`: the report's field of
    sample counts per group ("kinds" or "distance_counts"), `table`: its recall per group."""
    sums: dict[str, list] = {}
    for r in reports:
        values = r[table][system] if table == "by_distance" else r["recall"][system]
        for group, n in r[counts].items():
            entry = sums.setdefault(group, [0, {b: 0.0 for b in BUDGETS}, 0])
            entry[0] += n
            entry[2] += 1
            for b in BUDGETS:
                entry[1][b] += values[group][b] * n
    return {g: (n, {b: v / n for b, v in s.items()}, p) for g, (n, s, p) in sums.items()}


def below_naive(reports: list[dict], system: str = "coderd") -> tuple[int, int, list[str]]:
    cells, where = 0, []
    for r in reports:
        for kind in r["kinds"]:
            for b in BUDGETS:
                cells += 1
                ours, theirs = r["recall"][system][kind][b], r["recall"]["naive"][kind][b]
                if ours < theirs - 1e-9:
                    where.append(f"{r['package']} {kind} @{b}: {ours:.2f} vs {theirs:.2f}")
    return len(where), cells, where


def load(paths: list[Path]) -> dict[str, list[dict]]:
    sets = {p.stem: json.loads(p.read_text()) for p in paths}
    for reports in sets.values():
        for r in reports:  # before the receiver hint: the prompt's context was the block
            for table in ("recall", "recall_all", "by_distance"):
                r[table].setdefault("prompt", r[table]["coderd"])
    return sets


def print_all(
    sets: dict[str, list[dict]], old: dict[str, list[dict]] | None, system: str = "coderd"
) -> None:
    everything = [r for reports in sets.values() for r in reports]
    before = [r for reports in (old or {}).values() for r in reports]
    print("Cells below the naive list (package × kind × budget):\n")
    total = 0
    for name, reports in sets.items():
        count, cells, where = below_naive(reports, system)
        total += count
        print(f"- {name}: {count} of {cells}" + (": " + "; ".join(where) if where else ""))
    print(f"- all: {total} of {below_naive(everything)[1]}\n")
    for counts, table, title in (
        ("kinds", "recall", "kind (packages, samples)"),
        ("distance_counts", "by_distance", "distance (samples)"),
    ):
        naive = pooled(everything, "naive", counts, table)
        ours = pooled(everything, system, counts, table)
        then = pooled(before, system, counts, table) if before else {}
        extra = " | before R@256/512/1024" if before else ""
        print(f"| {title} | naive R@256/512/1024 | {system} R@256/512/1024{extra} |")
        print("|---|---|---|" + ("---|" if before else ""))
        order = DISTANCES if table == "by_distance" else sorted(ours)
        for group in (g for g in order if g in ours):
            n, values, packages = ours[group]
            label = f"{group} ({packages}, {n})" if table == "recall" else f"{group} ({n})"
            old_cell = f" | {cell(then[group][1])}" if group in then else (" | –" if before else "")
            print(f"| {label} | {cell(naive[group][1])} | {cell(values)}{old_cell} |")
        print()
    mean = {
        b: sum(r["recall_all"][system][b] for r in everything) / len(everything) for b in BUDGETS
    }
    print(f"Mean of the {len(everything)} packages: {cell(mean)}\n")
    print(
        f"| package (language, samples) | naive R@256/512/1024 | {system} R@256/512/1024 | build CPU ms p50/p95 |"
    )
    print("|---|---|---|---|")
    slow = []
    for r in everything:
        cpu = max((r["cpu_ms"][b] for b in BUDGETS), key=lambda x: x["p95"])
        if cpu["p95"] > P95_LIMIT_MS:
            slow.append(f"{r['package']} {cpu['p95']:.1f}")
        print(
            f"| {r['package']} ({r['language']}, {r['samples']}) | {cell(r['recall_all']['naive'])} "
            f"| {cell(r['recall_all'][system])} | {cpu['p50']:.1f}/{cpu['p95']:.1f} |"
        )
    p50 = [max(r["cpu_ms"][b]["p50"] for b in BUDGETS) for r in everything]
    over = max(r["overrun"][b]["max"] for r in everything for b in BUDGETS)
    loads = [r["load"] for r in everything]
    print(
        f"\nBuild CPU time: p50 {min(p50):.1f}–{max(p50):.1f} ms, p95 ≤ {P95_LIMIT_MS:.0f} ms on "
        f"{len(everything) - len(slow)} of {len(everything)} packages"
        + (f"; over it: {', '.join(slow)}" if slow else "")
        + f". Largest overrun of a block's budget: {over} tokens. Load {min(loads):.1f}–{max(loads):.1f}."
    )
    counts = [r["tokenized"] for r in everything if "tokenized" in r]  # runs since session 21
    if counts:
        print(
            f"Given to the tokenizer by the builds: {sum(c['calls'] for c in counts):,} calls, "
            f"{sum(c['chars'] for c in counts):,} characters ({len(counts)} packages)."
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--compare", nargs="*", type=Path, default=[])
    parser.add_argument("--system", default="coderd", choices=("coderd", "prompt"))
    args = parser.parse_args(argv)
    print_all(load(args.files), load(args.compare) if args.compare else None, args.system)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
