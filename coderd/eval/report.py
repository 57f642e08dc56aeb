"""What `coderd eval` prints: a progress bar while it runs, a table per configuration, JSON."""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from coderd.eval.running import Configuration, SampleResult

PROGRESS_WIDTH = 30


@dataclass(frozen=True)
class Summary:
    """One configuration's figures over its samples."""

    configuration: Configuration
    samples: int
    exact_match: float  # shares, 0..1
    edit_similarity: float
    identifier_match: float
    identifier_f1: float
    empty: float
    latency_p50_ms: float
    latency_p95_ms: float
    typing_p50_ms: float  # the next key after the first request (the KV cache warm)
    typing_p95_ms: float
    prompt_tokens: float  # mean per request
    generated_tokens: float
    failed: int  # requests that ended in an error (their suggestion counts as empty)

    def as_dict(self) -> dict[str, object]:
        c = self.configuration
        return {
            "model": c.model,
            "budget": {"prefix": c.budget.prefix, "suffix": c.budget.suffix, "context": c.budget.context},
            "context": c.context,
            "syntax_check": c.syntax_check,
            **{k: round(v, 4) if isinstance(v, float) else v for k, v in self.__dict__.items()
               if k != "configuration"},
        }  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (no interpolation: a figure some request really took)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def summarise(results: list[SampleResult]) -> list[Summary]:
    """One summary per configuration, in the order the configurations ran."""
    groups: dict[Configuration, list[SampleResult]] = {}
    for result in results:
        groups.setdefault(result.configuration, []).append(result)
    summaries = []
    for configuration, group in groups.items():

        def mean(name: str, group: list[SampleResult] = group) -> float:
            return statistics.fmean(float(r.scores[name]) for r in group)

        latencies = [r.latency_ms for r in group]
        summaries.append(
            Summary(
                configuration=configuration,
                samples=len(group),
                exact_match=mean("exact_match"),
                edit_similarity=mean("edit_similarity"),
                identifier_match=mean("identifier_match"),
                identifier_f1=mean("identifier_f1"),
                empty=mean("empty"),
                latency_p50_ms=percentile(latencies, 0.50),
                latency_p95_ms=percentile(latencies, 0.95),
                typing_p50_ms=percentile([r.typing_ms for r in group], 0.50),
                typing_p95_ms=percentile([r.typing_ms for r in group], 0.95),
                prompt_tokens=statistics.fmean(r.prompt_tokens for r in group),
                generated_tokens=statistics.fmean(r.generated_tokens for r in group),
                failed=sum(1 for r in group if r.status != "ok"),
            )
        )
    return summaries


def model_label(path: str) -> str:
    return path.rsplit("/", 1)[-1] if path else "(configured)"


def table(summaries: list[Summary]) -> str:
    """A Markdown table: it reads in a terminal and pastes into bench/README.md."""
    head = (
        "| model | budget p/s/c | context | check | n | exact | edit sim | id match | id F1 "
        "| empty | first p50/p95 ms | next key p50/p95 ms | prompt tok | gen tok |"
    )
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for s in summaries:
        c = s.configuration
        rows.append(
            f"| {model_label(c.model)} | {c.budget.label} | {'on' if c.context else 'off'} "
            f"| {'on' if c.syntax_check else 'off'} | {s.samples} | {s.exact_match:.3f} "
            f"| {s.edit_similarity:.3f} | {s.identifier_match:.3f} | {s.identifier_f1:.3f} "
            f"| {s.empty:.3f} | {s.latency_p50_ms:.0f} / {s.latency_p95_ms:.0f} "
            f"| {s.typing_p50_ms:.0f} / {s.typing_p95_ms:.0f} "
            f"| {s.prompt_tokens:.0f} | {s.generated_tokens:.1f} |"
        )
    return "\n".join(rows)


def sample_record(result: SampleResult) -> dict[str, object]:
    """One sample's line in the JSON: where, what was masked, what the model saw and said."""
    s = result.sample
    return {
        "file": s.rel,
        "line": s.line + 1,
        "kind": s.kind,
        "language": s.language_id,
        "expected": s.expected,
        "prompt": result.prompt_text,
        "suggestion": result.suggestion,
        "scores": result.scores,
        "latency_ms": round(result.latency_ms, 1),
        "next_key_ms": round(result.typing_ms, 1),
        "prompt_tokens": result.prompt_tokens,
        "generated_tokens": result.generated_tokens,
        "status": result.status,
        "request": result.request,
        "next_key_request": result.next_key,
    }


class Progress:
    """A one-line bar on stderr, redrawn at most a few times a second; only on a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.started = time.monotonic()
        self._drawn_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (done < total and now - self._drawn_at < 0.2):
            return
        self._drawn_at = now
        filled = PROGRESS_WIDTH * done // max(total, 1)
        elapsed = now - self.started
        left = elapsed / done * (total - done) if done else 0.0
        bar = "#" * filled + "-" * (PROGRESS_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} {elapsed:.0f} s, ~{left:.0f} s left ")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
