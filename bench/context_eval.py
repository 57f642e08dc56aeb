"""Cross-file context evaluation: recall of the gold definition in the packed context (not a test).

    python bench/context_eval.py --fetch                     # download the packages (eval_packages.py)
    python bench/context_eval.py [--set dev|heldout|spare|fresh|final|unseen|sealed|vault|reserve|cellar|all] [PACKAGE_DIR ...]
        [--max-per-kind 40] [--budgets 256,512,1024,2048] [--mask first|line|strict] [--json]
        [--misses N] [--receiver-tokens 256]

Samples (eval_samples.py): a use of a symbol defined in one other file of the package, masked
as mid-typing (cursor right before the name, the rest of its line gone, later lines kept).
Found = a packed chunk from the gold's file spans the gold's header line and that line's text
is in what was packed for that file. MRR is over the ranked candidates before packing.
Latency: each sample's file is opened as an editor would and the character before the cursor
typed (didOpen, didChange: the index parses them in its own thread, as it does between a
keystroke and the client's debounced request, and builds the context at the edit ahead with
the last request's budget: coderd/context/lookahead.py), then every build is a first build at
that cursor position (the provider's result cache and the look-ahead's result cleared, so the
look-ahead only warms the memos); file reads and snippet token counts stay memoised, as in a
running server. Wall-clock and this thread's CPU time are both reported:
the machines here are shared, and CPU time is what load does not inflate (much: a p95 of 24
builds moves by several ms between runs here), and so are the tokenizer calls and characters
the builds make (`tokenized`), which load does not change at all. Python's full garbage
collections run between samples, as the daemon runs them between requests
(coderd/system/collector.py); inside a build only its young collections do.

Systems: none (no context); jaccard (RepoCoder windows over every other file); recent (the same
windows from a ring of 3 recently viewed files, chosen at random per sample: a tarball has no
editing history); naive (the signature lines of what the file imports, in import order:
eval_naive.py); coderd (ContextProvider, the same 3 files in its ring buffer); prompt (coderd's
block or its receiver hint, `--receiver-tokens`: the members of the type before the cursor,
which the prompt puts right above the cursor's line, made beside each budget's block and
leaving out what that block lists, as the server does; context/pack/hint.py).

Recall is also split by the sample's distance to the name's nearest other use in the file
(eval_samples.py `distance`), and the packed block's overrun of its budget is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

from eval_baselines import Windows, covered, hint_covers, rank_of
from eval_naive import naive_pack
from eval_packages import PACKAGES, SETS, fetch, names_in
from eval_samples import build_samples, is_test

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.pack.hint import BlockShown
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.candidates import retrieve
from coderd.context.retrieve.recent import RecentRegions
from coderd.context.retrieve.usage import usage_of
from coderd.system.collector import IdleCollector

DATA = Path("/tmp/evalpkgs/src")
VOCAB = Path("/work/shared/fixtures/ggml-vocab-deepseek-coder.gguf")
RING = 3
# prompt: coderd's block and its receiver hint (the members of the type before the cursor, put
# above the cursor's line: context/pack/hint.py), what the model gets where the hint fits the
# machine's speed (completion/budget.py).
SYSTEMS = ("none", "recent", "jaccard", "naive", "coderd", "prompt")
DISTANCES = ((10, "<=10"), (40, "11-40"), (1 << 30, ">40"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


class ThreadTokenCount:
    """`tokenize`, counting the calls and characters made on the thread that wrapped it (the
    builds'; the look-ahead's thread aside): a measure of the builds' work that the machine's
    load does not change, beside their CPU time."""

    def __init__(self, tokenize) -> None:
        self._tokenize, self._thread = tokenize, threading.get_ident()
        self.calls = self.chars = 0

    def __call__(self, text: str) -> list[int]:
        if threading.get_ident() == self._thread:
            self.calls += 1
            self.chars += len(text)
        return self._tokenize(text)


def evaluate(root: Path, budgets: list[int], args, tokenize, model_tokenize) -> dict:
    rng = random.Random(args.seed)
    index = WorkspaceIndex(root)
    started = time.perf_counter()
    index.rescan()
    index_s = time.perf_counter() - started
    samples = build_samples(index, args.max_per_kind, rng, args.mask)
    index.close()
    provider = ContextProvider(
        ContextSettings(budget_tokens=budgets[0]), [root], registry=IndexRegistry(watch=False)
    )
    index = provider.index_for(root / "x")
    assert index.wait_ready(300)
    windows = Windows(index)
    all_files = sorted(p for p in windows.texts if not is_test(p))
    hits = {s: {} for s in SYSTEMS}  # system -> kind -> budget -> [bool]
    ranks = {s: {} for s in SYSTEMS[1:]}  # system -> kind -> [reciprocal rank]
    latency = {b: [] for b in budgets}  # wall clock
    cpu_ms = {
        b: [] for b in budgets
    }  # this thread's CPU time: what a loaded machine does not inflate
    misses = []
    outcomes = []  # per sample: where, what, coderd's hit and CPU ms at each budget, the hint's
    # system -> distance -> budget -> [bool]
    by_distance: dict[str, dict] = {s: {} for s in ("naive", "coderd", "prompt")}
    hint_cpu_ms: list[float] = []  # the receiver hint beside each budget's block, no hint memo
    overrun = {b: [] for b in budgets}  # tokens of the packed block past its budget
    lines_memo: dict[str, list[str]] = {}
    counted = ThreadTokenCount(model_tokenize)

    def lines_of(file: str) -> list[str]:
        if file not in lines_memo:
            lines_memo[file] = windows.texts.get(file, "").split("\n")
        return lines_memo[file]

    collector = IdleCollector()  # the daemon's pacing (its worker: coderd/completion/worker.py)
    collector.install()
    for sample in samples:
        collector.idle()  # the last answer is out, the next request has not come
        near = distance_label(sample.get("distance"))
        kind, path = sample["kind"], root / sample["path"]
        ring = recent_ring(provider, windows, root, all_files, sample["path"], rng)
        # The editor has the file open (didOpen) and the last character before the cursor was
        # just typed (didChange): the index parses both in its own thread, as it would between
        # a keystroke and the completion request that the client sends after its debounce.
        text, offset = sample["text"], sample["offset"]
        if offset and text[offset - 1] != "\n":
            provider.set_buffer(path, text[: offset - 1] + text[offset:]).result(60)
        provider.set_buffer(path, text).result(60)
        outcome = {"path": sample["path"], "row": sample["row"] + 1, "kind": kind}
        outcomes.append(outcome)
        for budget in budgets:  # each a first build at this cursor position after didOpen
            provider.builder.last.clear()
            provider.ahead.clear()  # the look-ahead may warm the memos, not answer for us
            t, cpu = time.perf_counter(), time.thread_time()
            packed = provider.context_for(
                path, sample["text"], sample["offset"], counted, budget=budget
            )
            latency[budget].append((time.perf_counter() - t) * 1000)
            cpu_ms[budget].append((time.thread_time() - cpu) * 1000)
            outcome[f"build_ms{budget}"] = round(cpu_ms[budget][-1], 2)
            hit = covered(packed.chunks, packed.text, sample)
            # The hint beside this block, which leaves out the members the block lists.
            provider.builder.hints.clear()  # made by the look-ahead only once a request asked
            cpu = time.thread_time()
            hint = provider.receiver_hint(
                path,
                text,
                offset,
                model_tokenize,
                args.receiver_tokens,
                BlockShown.of(packed.text, packed.chunks),
            )
            hint_cpu_ms.append((time.thread_time() - cpu) * 1000)
            outcome[f"hint_ms{budget}"] = round(hint_cpu_ms[-1], 2)
            in_hint = hint is not None and hint_covers(hint, sample)
            outcome[budget] = hit
            outcome[f"hint{budget}"] = in_hint
            hits["coderd"].setdefault(kind, {}).setdefault(budget, []).append(hit)
            by_distance["coderd"].setdefault(near, {}).setdefault(budget, []).append(hit)
            hits["prompt"].setdefault(kind, {}).setdefault(budget, []).append(hit or in_hint)
            by_distance["prompt"].setdefault(near, {}).setdefault(budget, []).append(hit or in_hint)
            overrun[budget].append(max(0, len(model_tokenize(packed.text)) - budget))
            if not hit and budget == args.miss_budget:
                misses.append(
                    (sample, [(c["name"], c["source"], c["tokens"]) for c in packed.chunks])
                )
        jac, rec = windows.ranked(sample), windows.ranked(sample, set(ring))
        own = index.file(sample["path"])
        usage = usage_of(sample["text"], sample["offset"], own.imports if own else ())
        ours = [
            c.ref
            for c in retrieve(
                index,
                sample["path"],
                sample["text"],
                sample["offset"],
                provider.settings.nearby_lines,
                recent=provider.recent,
                usage=usage,
                limits_ms=args.limits,
            )
        ]
        for system, refs in (("jaccard", jac), ("recent", rec), ("coderd", ours)):
            r = rank_of(refs, sample)
            ranks[system].setdefault(kind, []).append(1 / r if r else 0.0)
        if misses and misses[-1][0] is sample:
            misses[-1] += (
                f"{rank_of(ours, sample)}, used at bucket {usage.of(sample['gold_name'])}",
            )
        for budget in budgets:
            hits["none"].setdefault(kind, {}).setdefault(budget, []).append(False)
            for system, refs in (("jaccard", jac), ("recent", rec)):
                p = windows.pack(refs, sample, tokenize, budget)
                hits[system].setdefault(kind, {}).setdefault(budget, []).append(
                    covered(p.chunks, p.text, sample)
                )
            p = naive_pack(index, sample["path"], lines_of, tokenize, budget)
            hit = covered(p.chunks, p.text, sample)
            hits["naive"].setdefault(kind, {}).setdefault(budget, []).append(hit)
            by_distance["naive"].setdefault(near, {}).setdefault(budget, []).append(hit)
        provider.clear_buffer(path)  # didClose: the disk is the truth again
    collector.uninstall()
    provider.close()
    return {
        "package": root.name,
        "language": index.file(samples[0]["path"]).language if samples else "",
        "files": len(windows.texts),
        "index_s": round(index_s, 2),
        "samples": len(samples),
        "kinds": {k: len(v[budgets[0]]) for k, v in sorted(hits["coderd"].items())},
        "recall": {
            s: {k: {b: sum(v) / len(v) for b, v in by.items()} for k, by in hits[s].items()}
            for s in SYSTEMS
        },
        "recall_all": {
            s: {b: _mean([x for by in hits[s].values() for x in by[b]]) for b in budgets}
            for s in SYSTEMS
        },
        "by_distance": {
            s: {d: {b: _mean(v) for b, v in by.items()} for d, by in rows.items()}
            for s, rows in by_distance.items()
        },
        "distance_counts": {d: len(by[budgets[0]]) for d, by in by_distance["coderd"].items()},
        "overrun": {
            b: {"p50": statistics.median(v) if v else 0, "max": max(v, default=0)}
            for b, v in overrun.items()
        },
        "mrr": {s: {k: _mean(v) for k, v in by.items()} for s, by in ranks.items()},
        "mrr_all": {s: _mean([x for v in by.values() for x in v]) for s, by in ranks.items()},
        "latency_ms": {
            b: {"p50": statistics.median(v) if v else 0, "p95": percentile(v, 0.95)}
            for b, v in latency.items()
        },
        "cpu_ms": {
            b: {"p50": statistics.median(v) if v else 0, "p95": percentile(v, 0.95)}
            for b, v in cpu_ms.items()
        },
        "hint_cpu_ms": {
            "p50": statistics.median(hint_cpu_ms) if hint_cpu_ms else 0,
            "p95": percentile(hint_cpu_ms, 0.95),
        },
        "tokenized": {"calls": counted.calls, "chars": counted.chars},
        "load": os.getloadavg()[0],
        "misses": misses,
        "outcomes": outcomes,
    }


def recent_ring(provider, windows, root: Path, files: list[str], current: str, rng) -> list[str]:
    """RING other files, each viewed at a random line: the user's recent files at a sample
    (the same seed gives the same ring to every run)."""
    ring = rng.sample([f for f in files if f != current], min(RING, len(files) - 1))
    provider.recent = RecentRegions()
    for f in ring:
        provider.recent.record(
            root / f, rng.randint(1, max(1, windows.texts[f].count("\n"))), "view"
        )
    return ring


def distance_label(distance: int | None) -> str:
    if distance is None:
        return "only use"
    return next(label for limit, label in DISTANCES if distance <= limit)


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", type=Path)
    parser.add_argument("--data", type=Path, default=DATA, help="where the packages are (or go)")
    parser.add_argument(
        "--set",
        default="dev",
        choices=(*SETS, "all"),
    )
    parser.add_argument(
        "--fetch", action="store_true", help="download the packages of --set and stop"
    )
    parser.add_argument("--budgets", default="256,512,1024,2048")
    parser.add_argument("--max-per-kind", type=int, default=40)
    parser.add_argument("--mask", default="first", choices=("first", "line", "strict"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", type=int, default=0, help="print N misses per package")
    parser.add_argument("--miss-budget", type=int, default=1024)
    parser.add_argument(
        "--receiver-tokens",
        type=int,
        default=ContextSettings().receiver_tokens,
        help="the receiver hint's budget (the `prompt` system)",
    )
    parser.add_argument("--outcomes", type=Path, help="write each sample's hits here (JSON)")
    args = parser.parse_args(argv)
    args.limits = None
    if args.fetch:
        fetch(args.data, names_in(args.set))
        return 0
    from eval_report import print_misses, print_tables

    from coderd.engine.llama.model import LlamaModel

    model = LlamaModel(VOCAB, gpu_layers=0, vocab_only=True)
    budgets = [int(b) for b in args.budgets.split(",")]
    roots = args.packages or [args.data / n for n in names_in(args.set) if n in PACKAGES]
    memo: dict[str, list[int]] = {}

    def tokenize(text: str) -> list[int]:  # baselines re-pack the same windows for every budget
        ids = memo.get(text)
        if ids is None:
            ids = memo[text] = model.tokenize(text)
        return ids

    reports = []
    for root in roots:
        report = evaluate(root.resolve(), budgets, args, tokenize, model.tokenize)
        reports.append(report)
        print(f"{report['package']}: {report['samples']} samples", file=sys.stderr)
    if args.json:
        print(
            json.dumps(
                [{k: v for k, v in r.items() if k not in ("misses", "outcomes")} for r in reports],
                indent=1,
            )
        )
    else:
        print_tables(reports, budgets)
    if args.outcomes:  # to compare two runs sample by sample (dev only: misses are looked at)
        args.outcomes.write_text(json.dumps({r["package"]: r["outcomes"] for r in reports}))
    if args.misses:
        print_misses(reports, args.misses)
    model.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
