"""Which configuration to use on this machine, and the settings that apply it.

Quality is edit similarity (it moves with every character the user would not have to type;
exact match, the tie-break, is too coarse over a few hundred samples), among the
configurations whose median latency at the next key is within `completion.latency_target_ms`:
that is what the budgets are sized to (a typical suggestion while typing, its prompt in the KV
cache, budget.py), not the first request in a file, which evaluates the whole prompt. When
none is within it, the fastest is recommended and the message says so; a target of 0 means
none is set, and the best quality wins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from coderd.eval.report import Summary, model_label


@dataclass(frozen=True)
class Recommendation:
    summary: Summary
    within_target: bool
    target_ms: int
    toml: str  # the settings that apply it, as config.toml lines

    def message(self) -> str:
        s, c = self.summary, self.summary.configuration
        what = (
            f"{model_label(c.model)}, budgets {c.budget.label} (prefix/suffix/context tokens), "
            f"context {'on' if c.context else 'off'}, check {'on' if c.syntax_check else 'off'}: "
            f"edit similarity {s.edit_similarity:.3f}, exact match {s.exact_match:.3f}, "
            f"p50 {s.typing_p50_ms:.0f} ms at the next key ({s.latency_p50_ms:.0f} ms for the "
            "first request in a file)"
        )
        if self.target_ms <= 0:
            head = "best quality (no completion.latency_target_ms set)"
        elif self.within_target:
            head = f"best quality within completion.latency_target_ms = {self.target_ms}"
        else:
            head = (
                f"no configuration is within completion.latency_target_ms = {self.target_ms} "
                "at the median; the fastest"
            )
        return f"recommended ({head}): {what}\n{self.toml}"

    def as_dict(self) -> dict[str, object]:
        return {
            "configuration": self.summary.as_dict(),
            "within_target": self.within_target,
            "latency_target_ms": self.target_ms,
            "toml": self.toml,
        }


def recommend(summaries: list[Summary], target_ms: int, threads: int = 0) -> Recommendation | None:
    """`threads`: what `--threads` set for the run (0: the configured count), which the
    settings must then set too: the latencies were measured with it."""
    if not summaries:
        return None
    within = [s for s in summaries if target_ms <= 0 or s.typing_p50_ms <= target_ms]
    if within:
        best = max(within, key=lambda s: (s.edit_similarity, s.exact_match, -s.typing_p50_ms))
    else:
        best = min(summaries, key=lambda s: s.typing_p50_ms)
    return Recommendation(best, bool(within), target_ms, settings_toml(best, threads))


def settings_toml(summary: Summary, threads: int = 0) -> str:
    """config.toml lines that make the language server run this configuration."""
    c = summary.configuration
    model = [f"path = {json.dumps(c.model)}"] if c.model else []
    model += [f"threads = {threads}"] if threads > 0 else []
    lines = ["[model]", *model, ""] if model else []
    budgets = not c.budget.planned  # planned ones are the configured bounds: nothing to set
    lines += ["[completion]"]
    if budgets:
        lines += [f"prefix_tokens = {c.budget.prefix}", f"suffix_tokens = {c.budget.suffix}"]
        lines += ["latency_target_ms = 0"]  # as measured: not shrunk again
    lines += [f"syntax_check = {'true' if c.syntax_check else 'false'}", "", "[context]"]
    lines += [f"enabled = {'true' if c.context else 'false'}"]
    if budgets:
        lines += [f"budget_tokens = {c.budget.context}"]
    return "\n".join(lines)
