"""`coderd bench`: replay a typing trace through the completion service and print latency.

The trace: a line in the middle of a real source file, whose last N characters are typed one
keystroke at a time, with a completion request after each, the way an editor sends them.
Every configuration runs on the same trace in the same process, and figures are printed as
ratios against the baseline: the same engine laid out the way llama.vim calls llama-server
(a 128-token suffix re-evaluated on every keystroke).
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.models.loader import load_engine

DEFAULT_FILE = Path(__file__).with_name("service.py")


def add_arguments(parser) -> None:
    parser.add_argument(
        "--model", type=Path, help="GGUF to run (default: a synthetic DeepSeek-shaped model)"
    )
    parser.add_argument(
        "--shape",
        default="1.3b",
        choices=("tiny", "1.3b", "6.7b"),
        help="shape of the synthetic model (random weights, real tokenizer)",
    )
    parser.add_argument("--quant", default="Q4_K_M", help="quantisation of the synthetic model")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="source file to type into")
    parser.add_argument("--keystrokes", type=int, default=20)
    parser.add_argument("--max-tokens", type=int, default=16, help="tokens generated per request")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the llama.vim-style baseline"
    )
    parser.add_argument(
        "--typing-through",
        action="store_true",
        help="instead: a user who types exactly the suggestion on screen (use a real model, "
        "e.g. the starter); prints how many keystrokes needed no model call",
    )
    parser.add_argument("--json", action="store_true")


def typing_trace(text: str, keystrokes: int) -> list[tuple[str, int]]:
    """(document, cursor offset) after each keystroke, typing the end of a line mid-file."""
    lines = text.splitlines(keepends=True)
    middle = len(lines) // 2
    order = sorted(range(len(lines)), key=lambda i: abs(i - middle))
    target = next(i for i in order if len(lines[i].rstrip("\n").rstrip()) > keystrokes)
    start = sum(len(x) for x in lines[:target])
    content = lines[target].rstrip("\r\n")
    typed_from = start + len(content) - keystrokes
    after = text[start + len(content) :]
    return [(text[: typed_from + i] + after, typed_from + i) for i in range(keystrokes + 1)]


def run_trace(settings, trace, label: str) -> dict:
    service = CompletionService(settings, load_engine)
    service.start()
    info = service.model_ready.result()
    latencies, evaluated, generated, shifted = [], [], [], 0
    for document, offset in trace:
        started = time.perf_counter()
        outcome = service.submit(
            DocumentSnapshot("bench", document, offset, "python")
        ).future.result()
        latencies.append((time.perf_counter() - started) * 1000)
        if outcome.stats is None:  # no model run at all (an error): nothing to count
            continue
        evaluated.append(outcome.stats.evaluated_tokens)
        generated.append(outcome.stats.generated_tokens)
        shifted += outcome.stats.suffix_shifted
    service.shutdown()
    service.join()
    warm = latencies[1:]
    return {
        "label": label,
        "model": info.name,
        "first_ms": round(latencies[0]),
        "first_evaluated": evaluated[0],
        "p50_ms": round(statistics.median(warm)),
        "p95_ms": round(_percentile(warm, 95)),
        "median_evaluated": statistics.median(evaluated[1:]),
        "mean_generated": round(statistics.mean(generated[1:]), 1),
        "suffix_shifted": shifted,
    }


def typing_through(settings, text: str, keystrokes: int) -> dict:
    """Type the suggestion on screen one character at a time; count answers from the cache."""
    document, offset = typing_trace(text, keystrokes)[0]
    service = CompletionService(settings, load_engine)
    service.start()
    service.model_ready.result()
    shown, from_cache, cache_ms, model_ms = "", 0, [], []
    for step in range(keystrokes + 1):
        if step:
            typed = shown[:1] or text[offset]  # the suggestion's next character, else the file's
            document, offset = document[:offset] + typed + document[offset:], offset + 1
        started = time.perf_counter()
        outcome = service.submit(
            DocumentSnapshot("typing", document, offset, "python")
        ).future.result()
        elapsed = (time.perf_counter() - started) * 1000
        if step and outcome.stats and outcome.stats.stop_reason == "cache":
            from_cache += 1
            cache_ms.append(elapsed)
        elif step:
            model_ms.append(elapsed)
        shown = outcome.text
    service.shutdown()
    service.join()
    return {
        "keystrokes": keystrokes,
        "from_cache": from_cache,
        "cache_p50_ms": round(statistics.median(cache_ms), 2) if cache_ms else None,
        "model_p50_ms": round(statistics.median(model_ms)) if model_ms else None,
    }


def cancel_probe(settings, text: str, wait_s: float = 0.3) -> dict:
    """Start a long cold prompt, cancel it mid-evaluation, time how long the engine takes to stop."""
    long_prefix = (text * 10)[:40_000]
    completion = replace(settings.completion, prefix_tokens=1800, suffix_tokens=0)
    probe = replace(settings, model=replace(settings.model, n_ctx=4096), completion=completion)
    service = CompletionService(probe, load_engine)
    service.start()
    service.model_ready.result()
    ticket = service.submit(DocumentSnapshot("probe", long_prefix, len(long_prefix), "python"))
    time.sleep(wait_s)
    busy = not ticket.future.done()
    cancelled_at = time.perf_counter()
    ticket.cancel.cancel("bench")
    outcome = ticket.future.result()
    stopped_ms = (time.perf_counter() - cancelled_at) * 1000
    service.shutdown()
    service.join()
    return {"was_evaluating": busy, "status": outcome.status, "stopped_ms": round(stopped_ms, 1)}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def run(args) -> int:
    from coderd.cli.common import settings_for_cli

    model = args.model
    if model is None and args.typing_through:
        from coderd.models.loader import starter_model_path

        model = starter_model_path()
    if model is None:
        from coderd.testing.synthetic import cached_model

        print(
            f"building/using a synthetic {args.shape} {args.quant} model (first time: minutes)..."
        )
        model = cached_model(args.shape, quant=args.quant)
    settings = settings_for_cli(model).settings
    if args.typing_through:
        result = typing_through(settings, args.file.read_text(encoding="utf-8"), args.keystrokes)
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            share = result["from_cache"] / max(1, result["keystrokes"])
            print(
                f"model: {model}\ntyping through the suggestion on screen, {result['keystrokes']} keystrokes "
                f"after the first request:\n  answered without a model call: {result['from_cache']} "
                f"({share:.0%}), p50 {result['cache_p50_ms']} ms\n  answered by the model: "
                f"{result['keystrokes'] - result['from_cache']}, p50 {result['model_p50_ms']} ms"
            )
        return 0
    completion = replace(settings.completion, max_tokens=args.max_tokens, time_budget_ms=60_000)
    ours = replace(settings, completion=completion)
    configs = [
        ("coderd (defaults)", ours),
        (
            "coderd, suffix KV reuse off",
            replace(ours, completion=replace(completion, reuse_suffix_kv=False)),
        ),
    ]
    if not args.no_baseline:
        baseline = replace(completion, reuse_suffix_kv=False, suffix_tokens=128)
        configs.insert(
            0, ("baseline: llama.vim layout, 128-token suffix", replace(ours, completion=baseline))
        )
    trace = typing_trace(args.file.read_text(encoding="utf-8"), args.keystrokes)
    results = [run_trace(cfg, trace, label) for label, cfg in configs]
    probe = cancel_probe(ours, args.file.read_text(encoding="utf-8"))
    if args.json:
        print(json.dumps({"runs": results, "cancel": probe}, indent=2))
        return 0
    base = results[0]
    print(
        f"model: {model}\ntrace: {args.keystrokes} keystrokes into {args.file}, "
        f"{args.max_tokens} tokens generated per request\n"
    )
    print(
        f"{'configuration':46} {'first':>7} {'p50':>7} {'p95':>7} {'eval/key':>8} {'gen':>5} {'p50 vs base':>11}"
    )
    for r in results:
        ratio = r["p50_ms"] / base["p50_ms"] if base["p50_ms"] else float("nan")
        print(
            f"{r['label']:46} {r['first_ms']:>5}ms {r['p50_ms']:>5}ms {r['p95_ms']:>5}ms "
            f"{r['median_evaluated']:>8} {r['mean_generated']:>5} {ratio:>10.2f}x"
        )
    print(
        f"\ncancel during a ~1800-token prompt evaluation: engine stopped {probe['stopped_ms']} ms "
        f"after the cancel (status {probe['status']}, was evaluating: {probe['was_evaluating']})"
    )
    return 0
