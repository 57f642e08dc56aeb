"""Markdown tables for the context evaluation (context_eval.py)."""

from __future__ import annotations

SYSTEMS = ("none", "recent", "jaccard", "naive", "coderd", "prompt")


def _cell(values: dict, budgets: list[int]) -> str:
    return "/".join(f"{values[b]:.2f}" for b in budgets)


def print_tables(reports: list[dict], budgets: list[int]) -> None:
    heads = " | ".join(f"R@{b}" for b in budgets)
    print(f"| package (language, files, samples) | system | {heads} | MRR | build ms p50/p95 |")
    print("|" + "---|" * (len(budgets) + 4))
    for r in reports:
        name = f"{r['package']} ({r['language']}, {r['files']}, {r['samples']})"
        for system in SYSTEMS:
            cells = " | ".join(f"{r['recall_all'][system][b]:.2f}" for b in budgets)
            mrr = f"{r['mrr_all'][system]:.2f}" if system in r["mrr_all"] else "-"
            lat = (
                " · ".join(
                    f"{r['latency_ms'][b]['p50']:.1f}/{r['latency_ms'][b]['p95']:.1f}"
                    for b in budgets
                )
                if system == "coderd"
                else ""
            )
            print(f"| {name} | {system} | {cells} | {mrr} | {lat} |")
    print()
    print("Per kind, recall at " + "/".join(map(str, budgets)) + " tokens:")
    print()
    print("| package | kind (n) | recent | jaccard | naive | coderd | prompt | coderd MRR |")
    print("|---|---|---|---|---|---|---|---|")
    for r in reports:
        for kind, n in r["kinds"].items():
            cells = " | ".join(
                _cell(r["recall"][s][kind], budgets)
                for s in ("recent", "jaccard", "naive", "coderd", "prompt")
            )
            print(f"| {r['package']} | {kind} ({n}) | {cells} | {r['mrr']['coderd'][kind]:.2f} |")
    print()
    print_distances(reports, budgets)
    print_summary(reports, budgets)
    print_against_naive(reports, budgets)


def print_distances(reports: list[dict], budgets: list[int]) -> None:
    """Recall by the distance to the name's nearest other use in the file."""
    print(
        "Recall by distance to the nearest other use, naive → coderd, at "
        + "/".join(map(str, budgets))
    )
    print()
    print("| package | distance (n) | naive | coderd | block overrun p50/max (tokens) |")
    print("|---|---|---|---|---|")
    for r in reports:
        over = " · ".join(f"{r['overrun'][b]['p50']:.0f}/{r['overrun'][b]['max']}" for b in budgets)
        for i, (label, n) in enumerate(sorted(r["distance_counts"].items())):
            naive, ours = r["by_distance"]["naive"][label], r["by_distance"]["coderd"][label]
            print(
                f"| {r['package']} | {label} ({n}) | {_cell(naive, budgets)} | "
                f"{_cell(ours, budgets)} | {over if i == 0 else ''} |"
            )
    print()


def print_against_naive(reports: list[dict], budgets: list[int]) -> None:
    """#13's bar: coderd >= naive in every package × kind × budget cell (256, 512, 1024)."""
    cells = below = 0
    worst = []
    for r in reports:
        for kind in r["kinds"]:
            for b in (b for b in budgets if b <= 1024):
                ours, theirs = r["recall"]["coderd"][kind][b], r["recall"]["naive"][kind][b]
                cells += 1
                if ours < theirs:
                    below += 1
                    worst.append(
                        (ours - theirs, f"{r['package']} {kind} @{b}: {ours:.2f} vs {theirs:.2f}")
                    )
    print(f"\ncoderd below naive in {below} of {cells} package × kind × budget cells (≤ 1024)")
    for _, line in sorted(worst)[:12]:
        print(f"- {line}")


def print_summary(reports: list[dict], budgets: list[int]) -> None:
    """Targets: recall@1024 >= 0.9, recall@256 >= 0.7, >= 3x Jaccard at the same budget."""
    low, high = budgets[0], 1024 if 1024 in budgets else budgets[-1]
    print(
        f"| package | coderd R@{low} | R@{high} | × jaccard @{low} | × jaccard @{high} | "
        f"build p50/p95 ms wall (worst budget) | CPU ms p50/p95 | load |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in reports:
        ours, theirs = r["recall_all"]["coderd"], r["recall_all"]["jaccard"]
        ratio = [f"{ours[b] / theirs[b]:.1f}×" if theirs[b] else "∞" for b in (low, high)]
        wall = max((r["latency_ms"][b] for b in budgets), key=lambda x: x["p95"])
        cpu = max((r["cpu_ms"][b] for b in budgets), key=lambda x: x["p95"])
        print(
            f"| {r['package']} | {ours[low]:.2f} | {ours[high]:.2f} | {ratio[0]} | {ratio[1]} | "
            f"{wall['p50']:.1f}/{wall['p95']:.1f} | {cpu['p50']:.1f}/{cpu['p95']:.1f} | {r['load']:.1f} |"
        )
    if len(reports) > 1:
        mean = {
            b: sum(r["recall_all"]["coderd"][b] for r in reports) / len(reports) for b in budgets
        }
        jmean = {
            b: sum(r["recall_all"]["jaccard"][b] for r in reports) / len(reports) for b in budgets
        }
        print(
            f"| mean of packages | {mean[low]:.2f} | {mean[high]:.2f} | "
            f"{mean[low] / max(jmean[low], 1e-9):.1f}× | {mean[high] / max(jmean[high], 1e-9):.1f}× | |"
        )


def print_misses(reports: list[dict], limit: int) -> None:
    for r in reports:
        print(f"\n## misses in {r['package']}")
        for sample, chunks, rank in r["misses"][:limit]:
            print(
                f"- [{sample['kind']}] {sample['path']}:{sample['row'] + 1}: {sample['line'][:90]} (gold ranked {rank or '-'})"
            )
            print(
                f"    gold {sample['gold_path']}:{sample['gold_line']} {sample['gold_text'][:80]}"
            )
            print("    got " + ", ".join(f"{n}({s},{t})" for n, s, t in chunks[:40]))
