"""Why coderd misses a sample: not a candidate at all, a candidate that does not show the gold,
or a candidate ranked too low for the budget (to classify misses on `dev`; not a test).

    python bench/eval_misses.py [--set dev] [--kinds method,module] [--budget 1024] [PACKAGE_DIR ...]

Samples as context_eval.py builds them (same seed, same ring of recent files). For each miss
at `--budget` it prints one line: the class, the package, the masked line, the gold, and

* `absent`   no candidate's span holds the gold (its receiver's type was not inferred, or its
             member was not resolved): the line before the cursor says which;
* `hidden`   a candidate spans the gold (its class, a signature list of its file) but the
             members that candidate would show do not include it;
* `cut`      a candidate shows the gold, at rank R with source S and score X; the budget ran
             out before it (or before the list that holds it grew far enough).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

from context_eval import DATA, VOCAB, recent_ring
from eval_baselines import Windows, covered
from eval_packages import PACKAGES, names_in
from eval_samples import build_samples, is_test

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.candidates import retrieve
from coderd.context.retrieve.usage import usage_of


def diagnose(candidates, sample: dict) -> tuple[str, int, str, float]:
    """(class, rank, source, score) of the first candidate that shows the gold, else of the
    first whose span holds it."""
    spanning = None
    for rank, c in enumerate(candidates, 1):
        d = c.ref.definition
        if (
            c.ref.path != sample["gold_path"]
            or not d.start_line <= sample["gold_line"] <= d.end_line
        ):
            continue
        if d.kind == "skeleton":
            shows = sample["gold_name"] in d.signature.split(",")
        elif c.members is not None:
            shows = any(m.name == sample["gold_name"] for m in c.members) or (
                d.name == sample["gold_name"]
            )
        else:
            shows = True
        if shows:
            return "cut", rank, c.source, c.score
        spanning = spanning or ("hidden", rank, c.source, c.score)
    return spanning or ("absent", 0, "", 0.0)


def run(
    root: Path,
    kinds: set[str],
    budget: int,
    seed: int,
    tokenize,
    show: str = "",
    mask: str = "first",
) -> Counter:
    rng = random.Random(seed)
    index = WorkspaceIndex(root)
    index.rescan()
    samples = build_samples(index, 40, rng, mask)
    index.close()
    provider = ContextProvider(
        ContextSettings(budget_tokens=budget), [root], registry=IndexRegistry(watch=False)
    )
    index = provider.index_for(root / "x")
    assert index.wait_ready(300)
    windows = Windows(index)
    all_files = sorted(p for p in windows.texts if not is_test(p))
    counts: Counter = Counter()
    for sample in samples:
        path = root / sample["path"]
        recent_ring(provider, windows, root, all_files, sample["path"], rng)
        if sample["kind"] not in kinds:
            continue
        text, offset = sample["text"], sample["offset"]
        if offset and text[offset - 1] != "\n":  # as context_eval.py: didOpen, then a keystroke
            provider.set_buffer(path, text[: offset - 1] + text[offset:]).result(60)
        provider.set_buffer(path, text).result(60)
        provider.builder.last.clear()
        provider.ahead.clear()
        packed = provider.context_for(path, text, offset, tokenize, budget=budget)
        if not covered(packed.chunks, packed.text, sample):
            own = index.file(sample["path"])
            usage = usage_of(text, offset, own.imports if own else ())
            found = retrieve(
                index,
                sample["path"],
                text,
                offset,
                provider.settings.nearby_lines,
                recent=provider.recent,
                usage=usage,
            )
            why, rank, source, score = diagnose(found, sample)
            counts[(sample["kind"], why)] += 1
            line = text[text.rfind("\n", 0, offset) + 1 : offset].strip()
            print(
                f"{why:6} {sample['kind']:7} {root.name} {sample['path']}:{sample['row'] + 1}"
                f" `{line[-60:]}` gold {sample['gold_path']}:{sample['gold_line']}"
                f" {sample['gold_name']} rank {rank} {source} {score:.2f}"
                f" of {len(found)}; packed {len(packed.chunks)}"
            )
            if show and (show == "all" or show in f"{sample['path']}:{sample['row'] + 1}"):
                print(packed.text)
        provider.clear_buffer(path)
    provider.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", type=Path)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--set", default="dev")
    parser.add_argument("--kinds", default="method,module")
    parser.add_argument("--budget", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mask", default="first", choices=("first", "line", "strict"))
    parser.add_argument("--show", default="", help="print the block of misses at PATH:ROW (or all)")
    args = parser.parse_args(argv)
    from coderd.engine.llama.model import LlamaModel

    model = LlamaModel(VOCAB, gpu_layers=0, vocab_only=True)
    roots = args.packages or [args.data / n for n in names_in(args.set) if n in PACKAGES]
    total: Counter = Counter()
    for root in roots:
        total += run(
            root.resolve(),
            set(args.kinds.split(",")),
            args.budget,
            args.seed,
            model.tokenize,
            args.show,
        )
    for (kind, why), n in sorted(total.items()):
        print(f"# {kind} {why}: {n}", file=sys.stderr)
    model.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
