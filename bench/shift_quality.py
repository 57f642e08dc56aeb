"""Suffix KV shift: how often a shifted block changes what greedy decoding writes (issue #5).

`completion.reuse_suffix_kv` keeps the suffix's KV cells across a keystroke and moves them to
their new positions instead of evaluating them again (kv_plan.py, KvSequences.bring_to in
kv_sequences.py). Those cells were computed against the old prefix. This measures what that
costs on a real model.

The starter model (Gemma 3 270M) has no FIM tokens, so the same situation is built with a
prefix-only layout given straight to the engine's own `DecodeRun.bring_cache_to`:

    head  = [BOS] file text up to the edit point (+ what the user typed)
    block = the next L tokens of the file after the typed text, minus one   <- parked and shifted
    tail  = the L-th token                                                   <- always evaluated

The user types the file's own next characters at the edit point, as many as make kv_plan's
`changed` (prefix tokens removed plus added) equal k. The old prompt is [head without the typed
text][block][tail], evaluated exactly; then the engine's shift path brings the cache to the new
prompt (park the block in sequence 1, evaluate the new end of the head, `seq_add`, copy back,
evaluate the tail), and 16 tokens are decoded greedily. The reference keeps only the head's
cells (exact: attention is causal) and evaluates block and tail again. Both continuations are
compared token by token; the reference stops decoding at the first difference.

The control row compares the reference with an evaluation of the whole prompt from position 0
in one batch: two exact evaluations that differ only in how tokens are split into batches (on
this CPU build llama.cpp switches matmul kernels at 4 rows, which moves Gemma's logits by up to
several units), i.e. the noise floor of the comparison.

    python -m bench.shift_quality [--model PATH] [--samples N] [--ks 1,4,16,32] [--tails 16,64]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coderd.engine.base import CancelToken
from coderd.engine.llama.engine import EngineOptions, LlamaEngine
from coderd.engine.llama.kv_plan import PromptLayout, common_prefix_length, plan_reuse

ROOT = Path(__file__).resolve().parents[1]
STDLIB_MODULES = (
    "argparse.py",
    "textwrap.py",
    "dataclasses.py",
    "shutil.py",
    "csv.py",
    "heapq.py",
    "functools.py",
    "configparser.py",
    "json/decoder.py",
    "json/encoder.py",
    "logging/__init__.py",
    "http/client.py",
    "pathlib.py",
    "tarfile.py",
    "difflib.py",
)
HEAD_CHARS = 1200  # about 300-400 tokens of code before the edit point (prefix_tokens is 384)
MAX_TYPED_CHARS = 400
NO_REFRESH = 10**9


@dataclass(frozen=True)
class Case:
    source: str
    offset: int
    head0: tuple[int, ...]  # [BOS] + the text before the edit point
    head1: dict  # k -> head after typing (k changed tokens)
    tails: dict  # (k, L) -> the L tokens after the typed text
    truth: dict  # (k, L) -> the file's own tokens after those


def source_files() -> list[Path]:
    ours = sorted((ROOT / "coderd").rglob("*.py"))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return [p for p in ours if p.stat().st_size > 3000] + [
        stdlib / m for m in STDLIB_MODULES if (stdlib / m).is_file()
    ]


def changed_tokens(old: tuple[int, ...], new: tuple[int, ...]) -> int:
    """kv_plan's count: prefix tokens removed plus added, what the shifted block did not see."""
    keep = common_prefix_length(old, new)
    return (len(old) - keep) + (len(new) - keep)


def edit_at(
    engine: LlamaEngine,
    source: str,
    text: str,
    e: int,
    ks: list[int],
    tails: list[int],
    n_truth: int,
) -> Case | None:
    """The edit point at offset e, if every k and tail length can be built there."""
    bos = (engine.loaded.bos,) if engine.loaded.bos is not None else ()
    s = text.rfind("\n", 0, e - HEAD_CHARS) + 1
    head0 = bos + tuple(engine.tokenize(text[s:e]))
    head1 = {}
    for k in ks:
        for m in range(1, MAX_TYPED_CHARS):
            new = bos + tuple(engine.tokenize(text[s : e + m]))
            c = changed_tokens(head0, new)
            if c == k:
                head1[k] = (m, new)
                break
            if c > k + 6:
                break
    if len(head1) < len(ks):
        return None
    tail_ids, truth = {}, {}
    for k in ks:
        m = head1[k][0]
        after = engine.tokenize(text[e + m : e + m + 1500])
        for length in tails:
            if len(after) < length + n_truth:
                return None
            tail_ids[(k, length)] = tuple(after[:length])
            truth[(k, length)] = list(after[length : length + n_truth])
    return Case(source, e, head0, {k: v[1] for k, v in head1.items()}, tail_ids, truth)


def make_cases(
    engine: LlamaEngine, n: int, ks: list[int], tails: list[int], seed: int, n_truth: int = 16
):
    """`n` edit points, each usable for every k and tail length (paired samples)."""
    rng = random.Random(seed)
    files = [(p, p.read_text(encoding="utf-8")) for p in source_files()]
    tried = 0
    while n > 0:
        tried += 1
        if tried > 200 * max(n, 10):
            raise RuntimeError("cannot find enough edit points")
        path, text = rng.choice(files)
        if len(text) < HEAD_CHARS + 3000:
            continue
        e = rng.randrange(HEAD_CHARS, len(text) - 2500)
        name = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        case = edit_at(engine, name, text, e, ks, tails, n_truth)
        if case is not None:
            n -= 1
            yield case


def layout(head: tuple[int, ...], tail: tuple[int, ...]) -> PromptLayout:
    return PromptLayout(head=head, block=tail[:-1], tail=tail[-1:])


def keep_cells(engine: LlamaEngine, n: int) -> None:
    """Drop every cell of sequence 0 from position n on (the first n stay: they are exact)."""
    engine.kv.truncate(0, min(n, len(engine.kv.state(0).tokens)))


def evaluate(engine: LlamaEngine, prompt: PromptLayout, *, shift: bool) -> None:
    """The engine's own path: plan_reuse, then DecodeRun.bring_cache_to (park, evaluate,
    seq_add, copy back)."""
    plan = plan_reuse(engine.kv.state(0), prompt, allow_shift=shift, refresh_after=NO_REFRESH)
    if shift and plan.shift is None:
        raise RuntimeError("kv_plan refused to shift")
    if not engine.new_run(CancelToken()).bring_cache_to(plan, prompt):
        raise RuntimeError("prompt evaluation stopped short")


def greedy(engine: LlamaEngine, n: int, follow: list[int] | None = None) -> list[int]:
    """n greedy tokens (the engine's masking); with `follow`, stop at the first difference."""
    out: list[int] = []
    run = engine.new_run(CancelToken())
    for i in range(n):
        token = int(np.argmax(run.masked_logits()))
        out.append(token)
        differs = follow is not None and (i >= len(follow) or follow[i] != token)
        if engine.loaded.model.is_eog(token) or differs:
            break
        pos = len(engine.kv.state(0).tokens)
        if engine.kv.ctx.decode([token], pos) != 0:
            raise RuntimeError("decode failed")
        engine.kv.state(0).tokens.append(token)
    return out


def shifted_and_reference(engine: LlamaEngine, head0, head1, tail, n_gen: int):
    """(continuation after the shifted block, continuation after a full re-evaluation)."""
    keep_cells(engine, common_prefix_length(engine.kv.state(0).tokens, head0))
    evaluate(engine, layout(head0, tail), shift=False)  # the old prompt, exact
    evaluate(engine, layout(head1, tail), shift=True)  # the keystroke, as the engine does it
    shifted = greedy(engine, n_gen)
    keep_cells(engine, len(head1))
    evaluate(engine, layout(head1, tail), shift=False)
    return shifted, greedy(engine, n_gen, follow=shifted)


def full_evaluation(engine: LlamaEngine, prompt: PromptLayout, n_gen: int, follow: list[int]):
    keep_cells(engine, 0)
    evaluate(engine, prompt, shift=False)
    return greedy(engine, n_gen, follow=follow)


def agreement(a: list[int], b: list[int], n_gen: int) -> tuple[bool, bool, int]:
    return a[:1] == b[:1], a[:n_gen] == b[:n_gen], common_prefix_length(a[:n_gen], b[:n_gen])


def summarise(rows: list[tuple[bool, bool, int]]) -> tuple[int, float, float, float]:
    n = len(rows)
    return (
        n,
        sum(r[0] for r in rows) / n,
        sum(r[1] for r in rows) / n,
        sum(r[2] for r in rows) / n,
    )


def measure(engine: LlamaEngine, args, ks: list[int], tails: list[int]) -> list[dict]:
    records = []
    started = time.perf_counter()
    shard, shards = (int(x) for x in args.shard.split("/"))
    for i, case in enumerate(make_cases(engine, args.samples, ks, tails, args.seed, args.tokens)):
        if i % shards != shard:
            continue
        for k in ks:
            for length in tails:
                tail = case.tails[(k, length)]
                shifted, ref = shifted_and_reference(
                    engine, case.head0, case.head1[k], tail, args.tokens
                )
                records.append(
                    dict(
                        kind="shift",
                        source=case.source,
                        offset=case.offset,
                        k=k,
                        tail=length,
                        head=len(case.head1[k]),
                        shifted=shifted,
                        reference=ref,
                        truth=case.truth[(k, length)],
                    )
                )
                if i < args.control and k == ks[0] and length == tails[-1]:
                    full = full_evaluation(engine, layout(case.head1[k], tail), args.tokens, ref)
                    records.append(
                        dict(
                            kind="control",
                            source=case.source,
                            offset=case.offset,
                            k=k,
                            tail=length,
                            reference=ref,
                            full=full,
                        )
                    )
        print(
            f"edit point {i + 1}/{args.samples}, {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    return records


def table(records: list[dict], n_gen: int) -> str:
    groups: dict[tuple, list] = {}
    truths: dict[tuple, list] = {}
    for r in records:
        if r["kind"] == "shift":
            row = agreement(r["shifted"], r["reference"], n_gen)
            if "truth" in r:
                truths.setdefault((r["k"], r["tail"]), []).append(
                    (
                        agreement(r["shifted"], r["truth"], n_gen),
                        agreement(r["reference"], r["truth"], n_gen),
                    )
                )
        else:
            row = agreement(r["reference"], r["full"], n_gen)
        groups.setdefault((r["kind"] == "control", r["k"], r["tail"]), []).append(row)
    lines = [
        f"| changed tokens k | shifted block tokens | samples | first token agrees | "
        f"all {n_gen} agree | mean common prefix (of {n_gen}) |",
        "|---|---|---|---|---|---|",
    ]
    for (control, k, length), rows in sorted(groups.items()):
        n, first, exact, common = summarise(rows)
        label = "control: no shift, other batch split" if control else str(k)
        lines.append(f"| {label} | {length} | {n} | {first:.1%} | {exact:.1%} | {common:.2f} |")
    if truths:
        lines += [
            "",
            "Against the file's own next tokens (shifted / full re-evaluation):",
            "",
            "| changed tokens k | shifted block tokens | first token right | "
            "mean tokens right before the first wrong one |",
            "|---|---|---|---|",
        ]
        for (k, length), pairs in sorted(truths.items()):
            shifted = summarise([a for a, _ in pairs])
            reference = summarise([b for _, b in pairs])
            lines.append(
                f"| {k} | {length} | {shifted[1]:.1%} / {reference[1]:.1%} | "
                f"{shifted[3]:.2f} / {reference[3]:.2f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, help="GGUF (default: the starter model)")
    p.add_argument("--samples", type=int, default=200, help="edit points per setting")
    p.add_argument("--ks", default="1,4,16,32", help="changed prefix tokens to try")
    p.add_argument("--tails", default="16,64", help="shifted block lengths (tokens) to try")
    p.add_argument("--tokens", type=int, default=16, help="greedy tokens compared")
    p.add_argument(
        "--control",
        type=int,
        default=100,
        help="edit points for the batch-split control row (0: none)",
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--shard", default="0/1", help="I/N: only every N-th edit point, from the I-th")
    p.add_argument("--json", type=Path, help="write the per-sample records here")
    p.add_argument(
        "--report",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="only print the table of records written by earlier runs (e.g. shards)",
    )
    args = p.parse_args(argv)
    if args.report:
        records = [r for f in args.report for r in json.loads(f.read_text())]
        print(table(records, args.tokens))
        return 0
    path = args.model
    if path is None:
        from coderd.models.loader import starter_model_path

        path = starter_model_path()
        if path is None:
            print("no --model and no starter model installed", file=sys.stderr)
            return 2
    engine = LlamaEngine(path, EngineOptions(threads=args.threads, n_ctx=2048))
    if not engine.kv.ctx.can_shift:
        print(f"{path.name}: llama.cpp cannot shift this model's cache", file=sys.stderr)
        return 2
    ks = [int(x) for x in args.ks.split(",")]
    tails = [int(x) for x in args.tails.split(",")]
    records = measure(engine, args, ks, tails)
    engine.close()
    if args.json:
        args.json.write_text(json.dumps(records))
    print(
        f"model {path.name}; edit points from {len(source_files())} files; greedy "
        f"{args.tokens} tokens; head ~{HEAD_CHARS} chars"
    )
    print(table(records, args.tokens))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
