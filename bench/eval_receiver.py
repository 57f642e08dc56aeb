"""What the receiver hint adds to method recall (#13): the members of the type right before
the cursor, as the prompt shows them above the cursor's line (context/pack/hint.py).

    python bench/eval_receiver.py [--set dev] [--tokens 256] [--typed 0] [PACKAGE_DIR ...]

The context block must stay byte-identical while the user types, so it never reads the cursor's
line; the expression right before the cursor (`ctx.`, `cmd.Root().`, `Number::`) says which
type's members the next token needs. For each `method` sample (eval_samples.py, the same seed as
context_eval.py) this asks the provider for the hint at the sample's position in `--tokens`
tokens (ContextProvider.receiver_hint, what the prompt gets), and prints, per package and
pooled, the hits of the block alone and of the block plus the hint at 256/512/1,024 tokens of
block, how many receivers had a hint, and what the hint cost at its first call there.
`--typed N`: the hint asked with the first N characters of the member's name typed after the
separator (a request while the user types the name: its members starting with them join the
hint, pack/hint.py); the block is the same by design (retrieval never reads that line).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

from context_eval import DATA, VOCAB, recent_ring
from eval_baselines import Windows, covered, hint_covers
from eval_packages import PACKAGES, SETS, names_in
from eval_samples import build_samples, is_test

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.receiver_text import receiver_at

BUDGETS = (256, 512, 1024)


def run(root: Path, tokens: int, typed: int, tokenize, why: Counter, elapsed: list[float]) -> dict:
    rng = random.Random(1)  # as context_eval.py: the same samples, the same ring of files
    index = WorkspaceIndex(root)
    index.rescan()
    samples = build_samples(index, 40, rng, "first")
    index.close()
    provider = ContextProvider(
        ContextSettings(budget_tokens=max(BUDGETS)), [root], registry=IndexRegistry(watch=False)
    )
    index = provider.index_for(root / "x")
    assert index.wait_ready(300)
    windows = Windows(index)
    files = sorted(p for p in windows.texts if not is_test(p))
    hits = {b: [0, 0] for b in BUDGETS}
    count = 0
    for sample in samples:
        recent_ring(provider, windows, root, files, sample["path"], rng)
        if sample["kind"] != "method":
            continue
        count += 1
        path, text, offset = root / sample["path"], sample["text"], sample["offset"]
        if offset and text[offset - 1] != "\n":
            provider.set_buffer(path, text[: offset - 1] + text[offset:]).result(60)
        provider.set_buffer(path, text).result(60)
        # `--typed N`: the first N characters of the member's name typed after the separator.
        part = sample["gold_name"][:typed]
        at, typed_text = offset + len(part), text[:offset] + part + text[offset:]
        if part:
            provider.set_buffer(path, typed_text).result(60)
        provider.builder.hints.clear()  # its first call: not made by the look-ahead
        started = time.perf_counter()
        extra = provider.receiver_hint(path, typed_text, at, tokenize, tokens)
        elapsed.append((time.perf_counter() - started) * 1000)
        why[
            "typed" if extra else "no receiver" if receiver_at(text, offset) is None else "none"
        ] += 1
        for budget in BUDGETS:
            provider.builder.last.clear()
            provider.ahead.clear()
            packed = provider.context_for(path, text, offset, tokenize, budget=budget)
            alone = covered(packed.chunks, packed.text, sample)
            hits[budget][0] += alone
            hits[budget][1] += alone or (extra is not None and hint_covers(extra, sample))
        provider.clear_buffer(path)
    provider.close()
    return {"samples": count, "hits": hits}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", type=Path)
    parser.add_argument("--set", default="dev", choices=(*SETS, "all"))
    parser.add_argument("--tokens", type=int, default=256, help="the hint's budget")
    parser.add_argument(
        "--typed", type=int, default=0, help="characters of the member's name typed already"
    )
    args = parser.parse_args(argv)
    from coderd.engine.llama.model import LlamaModel

    model = LlamaModel(VOCAB, gpu_layers=0, vocab_only=True)
    roots = args.packages or [DATA / n for n in names_in(args.set) if n in PACKAGES]
    why: Counter = Counter()
    elapsed: list[float] = []
    total = {"samples": 0, "hits": {b: [0, 0] for b in BUDGETS}}
    print("| package | method samples | block alone → with the receiver block, @256/512/1024 |")
    print("|---|---|---|")
    for root in roots:
        found = run(root.resolve(), args.tokens, args.typed, model.tokenize, why, elapsed)
        total["samples"] += found["samples"]
        for b in BUDGETS:
            for i in (0, 1):
                total["hits"][b][i] += found["hits"][b][i]
        print(_row(root.name, found))
    print(_row("all", total))
    print(f"receivers: {dict(why)}")
    if elapsed:
        elapsed.sort()
        print(
            f"hint ms, first call at the sample: median {elapsed[len(elapsed) // 2]:.1f}, "
            f"p95 {elapsed[int(len(elapsed) * 0.95)]:.1f}, max {elapsed[-1]:.1f}"
        )
    model.close()
    return 0


def _row(name: str, found: dict) -> str:
    n = max(found["samples"], 1)
    cells = " / ".join(
        f"{found['hits'][b][0] / n:.2f} → {found['hits'][b][1] / n:.2f}" for b in BUDGETS
    )
    return f"| {name} | {found['samples']} | {cells} |"


if __name__ == "__main__":
    sys.exit(main())
