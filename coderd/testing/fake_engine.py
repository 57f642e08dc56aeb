"""A scripted engine for deterministic behaviour tests of everything above the model.

One token per character (the id is the code point), so token budgets and positions are easy
to reason about. The reply is chosen by the first rule whose `after` text ends the prefix;
`{prefix_tail}` in a reply is replaced by the last 20 characters of the prefix, which lets a
test see exactly what text the server handed to the engine. `delay_s` makes each request
take that long while still honouring cancellation, like a real model evaluating a prompt;
`decode_s` does the same after the start delay, like a model decoding (it is the request's
`generate_ms`, which the debounce measures).
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from coderd.engine.base import (
    CancelToken,
    Completion,
    EngineError,
    FimPrompt,
    GenerationLimits,
    ModelInfo,
    RequestStats,
)
from coderd.engine.speed_profile import SpeedProfile

SCRIPT_ENV = "CODERD_FAKE_SCRIPT"
MAX_CALLS_KEPT = 1000


@dataclass(frozen=True)
class Rule:
    after: str  # applies when the prefix ends with this ("" matches anything)
    replies: tuple[str, ...]  # the first is the suggestion; the others are further candidates


@dataclass
class ScriptedEngine:
    """The whole Engine protocol, without a model: no KV cache, so slots mean nothing, and
    nothing to measure; speculative requests are answered like the others."""

    rules: Sequence[Rule] = ()
    delay_s: float = 0.0
    decode_s: float = 0.0
    decodes: int = field(default=0, init=False)  # decodes started (after the start delay)
    # (prefix, suffix) of the latest requests, for tests to inspect; bounded, because the
    # scripted engine also serves minutes-long memory benchmarks (bench/typing_memory.py).
    calls: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=MAX_CALLS_KEPT))
    last_error: EngineError | None = field(default=None, init=False)  # it never fails

    # Capabilities (not annotated: plain class attributes, not dataclass fields).
    supports_slots = False
    supports_speculation = True
    measures_speed = False
    prewarms = True

    def __post_init__(self) -> None:
        self.info = ModelInfo(
            path="<scripted>",
            name="scripted-fake",
            architecture="fake",
            pre_tokenizer=None,
            n_ctx=1 << 20,
            n_ctx_train=1 << 20,
            n_vocab=0x110000,
            fim_ids=(1, 2, 3),
            gpu_layers=0,
            threads=1,
        )

    @classmethod
    def from_env(cls, settings: object = None) -> ScriptedEngine:
        """Built from $CODERD_FAKE_SCRIPT: {"delay_s": 0.5, "rules": [{"after": "x", "reply": "y"}]}.

        A rule may give "replies": [...] instead of "reply": several candidates. `settings`:
        what an engine factory is handed; a script needs none of it.
        """
        script = json.loads(os.environ.get(SCRIPT_ENV, "{}"))
        rules = [
            Rule(r.get("after", ""), tuple(r["replies"]) if "replies" in r else (r["reply"],))
            for r in script.get("rules", [])
        ]
        return cls(
            rules=rules,
            delay_s=float(script.get("delay_s", 0.0)),
            decode_s=float(script.get("decode_s", 0.0)),
        )

    def tokenize(self, text: str) -> list[int]:
        return [ord(ch) for ch in text]

    def detokenize(self, ids: Sequence[int]) -> str:
        return "".join(chr(i) for i in ids)

    def complete(
        self,
        prompt: FimPrompt,
        limits: GenerationLimits,
        cancel: CancelToken,
        speculative: bool = False,
        slot: int = 0,
    ) -> Completion:
        started = time.perf_counter()
        prefix, suffix = self.detokenize(prompt.prefix_ids), self.detokenize(prompt.suffix_ids)
        self.calls.append((prefix, suffix))
        stats = RequestStats(
            prompt_tokens=len(prompt.prefix_ids) + len(prompt.suffix_ids) + 4,
            context_tokens=len(prompt.context_ids),
        )
        stats.evaluated_tokens = stats.prompt_tokens
        deadline = started + self.delay_s
        while time.perf_counter() < deadline:
            if cancel.cancelled:
                break
            time.sleep(0.005)
        if cancel.cancelled or cancel.wait(limits.start_delay_s):
            stats.stop_reason = "cancelled"
            return Completion("", stats)
        decoding = time.perf_counter()
        self.decodes += 1
        if cancel.wait(self.decode_s):
            stats.stop_reason = "cancelled"
            return Completion("", stats)
        stats.generate_ms = (time.perf_counter() - decoding) * 1000
        replies = next((r.replies for r in self.rules if prefix.endswith(r.after)), ("",))
        texts = [self._render(reply, prefix, limits) for reply in replies[: limits.candidates]]
        stats.generated_tokens = sum(len(t) for t in texts)
        stats.stop_reason = "stop"
        stats.total_ms = (time.perf_counter() - started) * 1000
        return Completion(
            text=texts[0], stats=stats, prompt_ids=tuple(prompt.prefix_ids), alternatives=texts[1:]
        )

    @staticmethod
    def _render(reply: str, prefix: str, limits: GenerationLimits) -> str:
        text = reply.replace("{prefix_tail}", prefix[-20:])[: limits.max_tokens]
        if limits.stop_check is not None and (cut := limits.stop_check(text)) is not None:
            text = text[:cut]
        return text

    def forget_slot(self, slot: int) -> None:
        """No KV cache: nothing to drop."""

    def speed_profile(self) -> SpeedProfile | None:
        return None

    def close(self) -> None:
        pass
