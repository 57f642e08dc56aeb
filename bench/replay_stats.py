"""What one replayed request gave, and the summary both replayers (coderd, llama-server) share.

Latency is keystroke-to-suggestion on the client's clock: from the moment the key that produced
the text was typed to the moment the answer for that text arrived. An answer counts for the
text on screen only if it arrived before the next key of its segment (the last key of a segment
is followed by a pause, so it always counts); later answers are `stale`: an editor drops them.
The first request of a trace (a cold cache) is excluded from every figure but `first_ms`.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class KeyResult:
    segment: int
    index: int  # key index in the whole trace; 0 is the first request (excluded)
    key_at: float  # perf_counter() when the key that produced the requested text was typed
    sent_at: float
    answered_at: float | None = None
    outcome: str = ""  # shown, empty, stale, cancelled, error
    text: str = ""  # the first suggestion
    stats: dict = field(default_factory=dict)  # normalised engine figures (see below)
    tag: str = ""  # what the key was in a scenario (scenarios.py): "open", "switch-back", ...

    @property
    def latency_ms(self) -> float | None:
        return None if self.answered_at is None else (self.answered_at - self.key_at) * 1000


# Normalised per-request figures: evaluated (prompt tokens run through the model), reused
# (taken from the KV cache), prompt_tokens, context_tokens (coderd: repository context, part of
# prompt_tokens), generated, prompt_ms, generate_ms, from_cache.
def coderd_stats(last: dict | None) -> dict:
    """coderd/status's `last` (RequestStats.as_dict()) in the shared vocabulary."""
    if not last:
        return {}
    return {
        "evaluated": last.get("evaluated_tokens", 0),
        "reused": last.get("reused_tokens", 0),
        "restored": last.get("restored_tokens", 0),  # of reused: from a saved state
        "prompt_tokens": last.get("prompt_tokens", 0),
        "context_tokens": last.get("context_tokens", 0),
        "generated": last.get("generated_tokens", 0),
        "prompt_ms": last.get("prompt_ms", 0.0),
        "generate_ms": last.get("generate_ms", 0.0),
        "total_ms": last.get("total_ms", 0.0),  # the engine's own time, waits included
        # The service's time around the engine; the rest of "outside" is protocol and pipes.
        "service_ms": sum(last.get(k, 0.0) for k in ("queued_ms", "assemble_ms", "finish_ms")),
        "queued_ms": last.get("queued_ms", 0.0),
        "assemble_ms": last.get("assemble_ms", 0.0),
        "finish_ms": last.get("finish_ms", 0.0),
        "from_cache": last.get("stop_reason") == "cache",
        "stop_reason": last.get("stop_reason", ""),
    }


def infill_stats(resp: dict) -> dict:
    """llama-server /infill `timings` (flattened by response_fields, as llama.vim asks)."""

    def get(key, default=0):
        return resp.get(f"timings/{key}", resp.get("timings", {}).get(key, default))

    evaluated = get("prompt_n")
    # tokens_cached: what the slot holds afterwards, the prompt plus the generated tokens.
    prompt = max(evaluated, resp.get("tokens_cached", 0) - get("predicted_n"))
    return {
        "evaluated": evaluated,
        "reused": prompt - evaluated,
        "prompt_tokens": prompt,
        "generated": get("predicted_n"),
        "prompt_ms": get("prompt_ms", 0.0),
        "generate_ms": get("predicted_ms", 0.0),
        "total_ms": get("prompt_ms", 0.0) + get("predicted_ms", 0.0),
        "from_cache": False,
        "stop_reason": "",
    }


def classify(results: list[KeyResult]) -> None:
    """Mark answers that arrived after the next key of their segment as stale."""
    by_key = {}
    for r in results:
        by_key.setdefault((r.segment, r.index), r.key_at)
    keys = sorted(by_key)
    next_key = {k: (by_key[n] if n[0] == k[0] else float("inf")) for k, n in zip(keys, keys[1:])}
    for r in results:
        late = r.answered_at is not None and r.answered_at > next_key.get(
            (r.segment, r.index), float("inf")
        )
        if late and r.outcome in ("shown", "empty"):
            r.outcome = "stale"


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def _median(values):
    return statistics.median(values) if values else None


def summarize(label: str, keys: int, results: list[KeyResult]) -> dict:
    """Counts and figures over the requests after the first; latency over current answers."""
    first = next((r for r in results if r.index == 0), None)
    rest = [r for r in results if r.index > 0]
    current = [r for r in rest if r.outcome in ("shown", "empty")]
    lat = [r.latency_ms for r in current]
    stats = [r.stats for r in rest if r.stats]
    model = [s for s in stats if not s.get("from_cache")]
    # Time outside the engine: the answer's latency minus the engine's own total (protocol,
    # relay, prompt assembly, context), for current answers the model computed.
    overhead = [
        r.latency_ms - r.stats["total_ms"]
        for r in current
        if r.stats and not r.stats.get("from_cache") and r.stats.get("total_ms")
    ]
    # A whole-prompt evaluation: (nearly) nothing of the prompt came from the KV cache.
    whole = sum(
        1 for s in model if s.get("prompt_tokens") and s["evaluated"] >= 0.9 * s["prompt_tokens"]
    )
    # One token takes no decode step (it is sampled from the prompt's logits): no rate from it.
    rates = [
        s["generated"] / s["generate_ms"] * 1000
        for s in model
        if s.get("generated", 0) > 1 and s.get("generate_ms")
    ]
    counts = {
        o: sum(r.outcome == o for r in rest)
        for o in ("shown", "empty", "stale", "cancelled", "error")
    }
    return {
        "label": label,
        "keys": keys,
        "requests": len(results),
        **counts,
        "answered_current": len(current),
        "first_ms": round(first.latency_ms)
        if first and first.outcome in ("shown", "empty")
        else None,
        "p50_ms": _round(_median(lat)),
        "p95_ms": _round(percentile(lat, 95)),
        "from_cache": sum(bool(s.get("from_cache")) for s in stats),
        "with_stats": len(stats),
        "evaluated_per_key": _median([s["evaluated"] for s in stats]),
        "evaluated_per_model_call": _median([s["evaluated"] for s in model]),
        "prompt_tokens": _median([s["prompt_tokens"] for s in model]),
        "context_tokens": _median([s["context_tokens"] for s in model if "context_tokens" in s]),
        "generated": _median([s["generated"] for s in model]),
        "decode_tps": _round(_median(rates), 1),
        "overhead_p50_ms": _round(_median(overhead), 1),
        # Of the overhead: the service's own (queue, prompt assembly, finishing) and the wait in
        # the queue alone (behind a superseded request's chunk or a speculation's step).
        "service_p50_ms": _round(_median(_service(current)), 1),
        "queued_p50_ms": _round(_median(_service(current, "queued_ms")), 1),
        "whole_prompts": whole,
        "cache_p50_ms": _round(
            _median([r.latency_ms for r in current if r.stats.get("from_cache")]), 2
        ),
    }


def _service(current: list, key: str = "service_ms") -> list[float]:
    return [
        r.stats[key]
        for r in current
        if r.stats and key in r.stats and not r.stats.get("from_cache") and r.stats.get("total_ms")
    ]


def _round(value, digits=0):
    if value is None:
        return None
    return round(value, digits) if digits else round(value)


def _fmt(v, unit=""):
    return "–" if v is None else f"{v}{unit}"


def ratio(a, b) -> str:
    return f"{a / b:.2f}" if a and b else "–"


def table(runs: list[dict]) -> list[str]:
    out = [
        "| run | first ms | p50 ms | p95 ms | answered in time / requests | eval tok/key (model calls) "
        "| prompt tok (context) | whole prompts | gen tok | decode tok/s | outside engine p50 ms "
        "| from cache |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        stale = f", {r['stale']} stale" if r["stale"] else ""
        cancelled = f", {r['cancelled']} cancelled" if r["cancelled"] else ""
        out.append(
            f"| {r['label']} | {_fmt(r['first_ms'])} | {_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} "
            f"| {r['answered_current']} / {r['requests'] - 1}{stale}{cancelled} "
            f"| {_fmt(r['evaluated_per_key'])} ({_fmt(r['evaluated_per_model_call'])}) "
            f"| {_fmt(r['prompt_tokens'])}"
            + (f" ({r['context_tokens']})" if r.get("context_tokens") is not None else "")
            + f" | {r['whole_prompts']} | {_fmt(r['generated'])} | {_fmt(r['decode_tps'])} "
            f"| {_fmt(r['overhead_p50_ms'])}"
            + (
                f" (service {r['service_p50_ms']}, queued {r['queued_p50_ms']})"
                if r.get("service_p50_ms") is not None
                else ""
            )
            + " "
            f"| {r['from_cache']} of {r['with_stats']}"
            + (f", p50 {r['cache_p50_ms']} ms" if r["cache_p50_ms"] is not None else "")
            + " |"
        )
    return out
