"""Typing after a cursor jump: what the last key of a burst waits for, by prompt chunk size.

A cold cache (the cursor just jumped), a ~400-token prompt (repository context, prefix, suffix
from the stdlib's email package), then keys every `--gap` seconds, each typing one more
character at the cursor. As in the service, each key cancels the request in progress (its
CancelToken) and one worker thread runs only the newest request. The last key's request runs
to completion (`--tokens` decoded). Variants, alternated in each repetition on one loaded model:

* `chunk N`: what the engine does, for each size in `--chunks` (default: the CPU default): a
  cancel lets the prompt chunk in progress end and is seen before the next chunk;
* `chunk 64, abort mid-chunk` and `batch 512, abort mid-batch` (`--compare`): the engine
  before, when llama.cpp's abort callback also stopped prompt chunks and dropped the chunk.

    python -m bench.cancel_chunks [--model PATH] [--keys 16] [--gap 0.15] [--reps 2] [--compare]
    python -m bench.cancel_chunks --throughput [--chunks 16,32,64,512] [--reps 5]

`--throughput` measures prompt evaluation alone, llama-bench-like: the same cold prompt at each
chunk size in turn, `--reps` times; the fastest whole run of each size, and the sum of each
chunk's fastest run (steadier on a shared machine).

Without --model: the 1.3B-shaped synthetic DeepSeek model (Q4_K_M), built on first use.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from pathlib import Path

from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits
from coderd.engine.llama.decode_run import DecodeRun
from coderd.engine.llama.engine import EngineOptions, LlamaEngine
from coderd.engine.llama.kv_plan import CPU_PROMPT_CHUNK
from coderd.engine.llama.runtime import DECODE_ABORTED, DECODE_OK

EMAIL = Path(__import__("email").__file__).parent
TYPED = "formataddr((name, addr))"


def prompts(engine: LlamaEngine, keys: int) -> list[FimPrompt]:
    """One prompt per key: the cursor after `utils.` on line 100 of email/message.py."""
    lines = (EMAIL / "message.py").read_text().splitlines(keepends=True)
    before, after = "".join(lines[:99]) + "        value = utils.", "".join(lines[100:])
    context = "# email/utils.py\n" + (EMAIL / "utils.py").read_text()
    context_ids = engine.tokenize(context)[:150]
    prefix_ids = engine.tokenize(before)[-180:]
    suffix_ids = engine.tokenize(after)[:64]
    tail_text = engine.detokenize(prefix_ids)
    return [
        FimPrompt(engine.tokenize(tail_text + TYPED[: i + 1]), suffix_ids, context_ids)
        for i in range(keys)
    ]


def abort_mid_chunk() -> threading.Event:
    """While the returned event is set: the engine before, whose prompt evaluation let
    llama.cpp's abort callback stop the prompt chunk in progress too (llama.cpp drops it; the
    chunks before it stay). Patches `DecodeRun.evaluate` for every request of the process."""
    real, old = DecodeRun.evaluate, threading.Event()

    def evaluate(run: DecodeRun, tokens, start: int) -> int:
        if not old.is_set():
            return real(run, tokens, start)
        pos = start
        for i in range(0, len(tokens), run.prompt_chunk):
            if run.should_abort():
                return pos
            chunk = tokens[i : i + run.prompt_chunk]
            status = run.ctx.decode(chunk, pos, seq=run.seq)  # the callback can abort
            if status == DECODE_ABORTED:
                return run.ctx.pos_max(run.seq) + 1
            if status != DECODE_OK:
                raise RuntimeError(f"llama_decode failed with status {status}")
            pos += len(chunk)
        return pos

    DecodeRun.evaluate = evaluate  # type: ignore[method-assign]
    return old


def complete(engine: LlamaEngine, prompt: FimPrompt, tokens: int, token=None):
    return engine.complete(prompt, GenerationLimits(max_tokens=tokens), token or CancelToken())


def burst(engine: LlamaEngine, keys: list[FimPrompt], gap: float, tokens: int) -> dict:
    """Keys at fixed times; returns the last request's latency (from its key) and stats."""
    engine.forget_slot(0)  # a cold cache, as after a jump to another place
    newest: list = []
    wake = threading.Condition()
    finished: list = []

    def work() -> None:
        while True:
            with wake:
                wake.wait_for(lambda: newest)
                index, prompt, token = newest.pop()
            finished.append((index, complete(engine, prompt, tokens, token), time.perf_counter()))
            if index == len(keys) - 1:
                return

    worker = threading.Thread(target=work)
    worker.start()
    start, current = time.perf_counter(), None
    for index, prompt in enumerate(keys):
        time.sleep(max(0.0, start + index * gap - time.perf_counter()))
        key_time = time.perf_counter()
        if current is not None:
            current.cancel("superseded")
        current = CancelToken()
        with wake:
            newest[:] = [(index, prompt, current)]
            wake.notify()
    worker.join()
    index, last, done = finished[-1]
    return {
        "ms": (done - key_time) * 1000,
        "evaluated": last.stats.evaluated_tokens,
        "reused": last.stats.reused_tokens,
        "prompt": last.stats.prompt_tokens,
        "answered": sum(not c.cancelled for _, c, _ in finished),
    }


def throughput(engine: LlamaEngine, prompt: FimPrompt, chunks: list[int], reps: int) -> None:
    """Cold prompt evaluation at each chunk size, interleaved. Two estimates that a busy
    machine inflates less: the fastest whole run of each size, and the sum over the prompt's
    chunks of each chunk's fastest run."""
    real, timed = engine.kv.ctx.decode, []

    def decode(tokens, start_pos, **kw):
        started = time.perf_counter()
        status = real(tokens, start_pos, **kw)
        timed.append((start_pos, time.perf_counter() - started))
        return status

    engine.kv.ctx.decode = decode  # what each request's DecodeRun calls
    whole: dict[int, float] = {}
    parts: dict[int, dict[int, float]] = {c: {} for c in chunks}
    tokens = 0
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for rep in range(reps):
        for chunk in chunks:
            engine.prompt_chunk = chunk
            engine.forget_slot(0)
            timed.clear()
            stats = complete(engine, prompt, 1).stats
            tokens = stats.evaluated_tokens
            whole[chunk] = min(whole.get(chunk, float("inf")), stats.prompt_ms / 1000)
            for pos, seconds in timed:
                parts[chunk][pos] = min(parts[chunk].get(pos, float("inf")), seconds)
            print(
                f"  rep {rep + 1} chunk {chunk}: {stats.prompt_ms:,.0f} ms; "
                f"load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    engine.kv.ctx.decode = real
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"{tokens} tokens, fastest of {reps}:")
    print(
        f"| chunk | whole prompt ms | tokens/s | vs {max(chunks)} | sum of fastest chunks ms "
        f"| tokens/s | vs {max(chunks)} | one chunk ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    top_whole = tokens / whole[max(chunks)]
    top_parts = tokens / sum(parts[max(chunks)].values())
    for chunk in chunks:
        summed = sum(parts[chunk].values())
        rate_whole, rate_parts = tokens / whole[chunk], tokens / summed
        print(
            f"| {chunk} | {whole[chunk] * 1000:,.0f} | {rate_whole:.1f} | "
            f"{rate_whole / top_whole:.0%} | {summed * 1000:,.0f} | {rate_parts:.1f} | "
            f"{rate_parts / top_parts:.0%} | {min(chunk, tokens) / rate_parts * 1000:,.0f} |"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, help="GGUF (default: the synthetic 1.3B, Q4_K_M)")
    p.add_argument("--keys", type=int, default=16)
    p.add_argument("--gap", type=float, default=0.15, help="seconds between keys")
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--tokens", type=int, default=16, help="decoded by the last request")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--chunks", default=str(CPU_PROMPT_CHUNK), help="comma-separated sizes")
    p.add_argument("--compare", action="store_true", help="also the old abort-mid-chunk runs")
    p.add_argument("--throughput", action="store_true", help="prompt evaluation speed only")
    args = p.parse_args(argv)
    if args.model is None:
        from coderd.testing.synthetic import cached_model

        args.model = cached_model("1.3b", quant="Q4_K_M")
    engine = LlamaEngine(args.model, EngineOptions(threads=args.threads, gpu_layers=0))
    chunks = [int(c) for c in args.chunks.split(",")]
    keys = prompts(engine, args.keys)
    complete(engine, keys[0], 1)  # page the weights in
    last = keys[-1]
    print(
        f"{args.model.name}, {args.threads} threads, "
        f"{len(last.context_ids) + len(last.prefix_ids) + len(last.suffix_ids)} prompt "
        "tokens + markers"
    )
    if args.throughput:
        throughput(engine, last, chunks, args.reps)
        engine.close()
        return 0
    old = abort_mid_chunk()
    variants = {f"chunk {c}": (c, False) for c in chunks}
    if args.compare:
        variants |= {
            "chunk 64, abort mid-chunk": (64, True),
            "batch 512, abort mid-batch": (512, True),
        }
    print(
        f"{args.keys} keys {args.gap * 1000:.0f} ms apart; load average before: "
        f"{os.getloadavg()[0]:.2f}"
    )
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for rep in range(args.reps):
        for name, (chunk, aborting) in variants.items():
            engine.prompt_chunk = chunk
            old.set() if aborting else old.clear()
            r = burst(engine, keys, args.gap, args.tokens)
            engine.forget_slot(0)
            r["cold"] = complete(engine, last, 1).stats.prompt_ms
            runs[name].append(r)
            print(
                f"  rep {rep + 1} {name}: {r['ms']:,.0f} ms, evaluated {r['evaluated']} of "
                f"{r['prompt']}, answered {r['answered']}; cold prompt {r['cold']:,.0f} ms; "
                f"load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(
        "| prompt evaluation | last key's latency ms (each run) | median | evaluated by the "
        "last request | prompt ms, cold, no keys (median) |"
    )
    print("|---|---|---|---|---|")
    for name, rs in runs.items():
        latencies = ", ".join(f"{r['ms']:,.0f}" for r in rs)
        evaluated = ", ".join(str(r["evaluated"]) for r in rs)
        median = statistics.median(r["ms"] for r in rs)
        cold = statistics.median(r["cold"] for r in rs)
        print(
            f"| {name} | {latencies} | {median:,.0f} | {evaluated} of {rs[0]['prompt']} | "
            f"{cold:,.0f} |"
        )
    engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
