"""Hits gained and lost on the samples two runs share, from `context_eval.py --outcomes` files.

    python bench/eval_shared.py NEW.out.json [...] --compare OLD.out.json [...]

A change that alters what the index finds (a new kind of definition, an alias) alters the
samples too: a name with a second definition is no sample any more, a new one is. Pooled
recall (eval_pooled.py) then mixes the change's effect with the sample sets' drift (session
25: the tuned sets' methods read 0.91 against 0.92 while the shared samples gained 11).
This counts, per kind, how many of the samples both runs hold are hits in one run and not in
the other, at each budget, prompt = block or receiver hint, and lists the packages that moved
and those whose samples changed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

BUDGETS = ("256", "512", "1024")


def hits(outcome: dict) -> tuple[bool, ...]:
    return tuple(bool(outcome[b] or outcome.get(f"hint{b}")) for b in BUDGETS)


def load(paths: list[Path]) -> dict[str, dict[tuple, dict]]:
    """{package: {(path, row, kind): outcome}} over the files' packages."""
    found: dict[str, dict[tuple, dict]] = {}
    for path in paths:
        for package, outcomes in json.loads(path.read_text()).items():
            found[package] = {(o["path"], o["row"], o["kind"]): o for o in outcomes}
    return found


def compare(new: dict, old: dict) -> tuple[dict[str, list[int]], list[str]]:
    """({kind: [delta at each budget..., shared samples]}, lines on the packages that moved)."""
    totals: dict[str, list[int]] = {}
    lines: list[str] = []
    for package in sorted(set(new) & set(old)):
        a, b = new[package], old[package]
        moved: dict[str, list[int]] = {}
        for key in set(a) & set(b):
            kind = key[2]
            delta = [int(x) - int(y) for x, y in zip(hits(a[key]), hits(b[key]), strict=True)]
            total = totals.setdefault(kind, [0] * (len(BUDGETS) + 1))
            total[-1] += 1
            for i, d in enumerate(delta):
                total[i] += d
                moved.setdefault(kind, [0] * len(BUDGETS))[i] += d
        for kind, delta in sorted(moved.items()):
            if any(delta):
                lines.append(f"{package} {kind}: " + "/".join(f"{d:+d}" for d in delta))
        if set(a) != set(b):
            lines.append(
                f"{package}: {len(set(a) - set(b))} samples new, {len(set(b) - set(a))} gone"
            )
    return totals, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("new", nargs="+", type=Path)
    parser.add_argument("--compare", nargs="+", type=Path, required=True)
    args = parser.parse_args()
    totals, lines = compare(load(args.new), load(args.compare))
    for kind, total in sorted(totals.items()):
        deltas = "/".join(f"{d:+d}" for d in total[:-1])
        print(f"{kind} ({total[-1]} shared samples): {deltas} at {'/'.join(BUDGETS)} tokens")
    print("\n".join(f"  {line}" for line in lines))


if __name__ == "__main__":
    main()
