"""What one model costs on this machine: the measurement engines give and budgets read.

Measured by the local engine (llama/speed.py: decode time per token at two depths, prompt
evaluation per token, the fixed cost of a prompt batch; cached per model and machine);
completion/budget.py sizes the prompt from it. A measurement taken while the machine was busy
(or idle, before the user's build started) would be wrong for good, so `SpeedWatch` compares
every finished request with what the profile predicted and heals it when they part clearly.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import asdict, dataclass, fields, replace
from typing import Protocol, runtime_checkable

TYPICAL_NEW_TOKENS = 16  # a single-line suggestion; multi-line ones may take longer
TYPICAL_CHANGED_TOKENS = 4  # evaluated per keystroke once the KV cache is warm
KEYSTROKE_BATCH = 8  # the prompt batch `prompt_ms` is measured in
# The depth at which the prompt chunk is sized: llama/speed.py's deep sample, about the depth
# of a prompt sized for a slow machine (on a fast one the chunk is the whole batch anyway).
CHUNK_DEPTH = 384

# SpeedWatch. A window's median ignores the odd request that ran beside a build or a GC, and
# MIN_SAMPLES of them come after a handful of keys. MARGIN: a re-plan changes the prompt's
# windows and so costs a whole-prompt evaluation per open document, and day-to-day noise on
# one machine (turbo, another process, prompt lookup's lucky runs) moves the figures by 20-30 %;
# a measurement taken under load is off by 2x and more (the issue's: 5x). 1.5x tells them apart.
WINDOW = 9
MIN_SAMPLES = 5
MARGIN = 1.5
# Keystroke-sized evaluations only: per token, a big batch is far cheaper than the measured
# keystroke batch on a GPU, and would "heal" the keystroke cost down by 10x.
MAX_PROMPT_SAMPLE = 2 * KEYSTROKE_BATCH
UNTIMED = ("cancelled", "error", "timeout", "cache", "")


@dataclass(frozen=True)
class SpeedProfile:
    """Milliseconds per decoded token at depth d: decode_ms + depth_ms * d; per prompt token in
    a keystroke batch (prompt_ms), of which call_ms / KEYSTROKE_BATCH is the batch's fixed
    cost (one llama_decode call, whatever its size)."""

    decode_ms: float
    depth_ms: float
    prompt_ms: float
    call_ms: float = 0.0

    def decode_token_ms(self, depth: int) -> float:
        return self.decode_ms + self.depth_ms * depth

    def suggestion_ms(
        self,
        depth: int,
        new_tokens: int = TYPICAL_NEW_TOKENS,
        changed: int = TYPICAL_CHANGED_TOKENS,
    ) -> float:
        return changed * self.prompt_ms + new_tokens * self.decode_token_ms(depth)

    @property
    def token_ms(self) -> float:
        """What one more prompt token in a call costs, beyond the call's fixed part. A
        measurement on a busy machine can leave it at nothing (the larger batch timed as
        cheap as the keystroke batch): then the keystroke batch's per-token figure, never
        free. Taken at nothing, every prompt looked affordable before the first key and fit
        one chunk: no narrow prompt, and first keys waited 2-3 s behind a whole prompt's
        single chunk (1.3B, two cores, session 13)."""
        per_token = self.prompt_ms - self.call_ms / KEYSTROKE_BATCH
        return per_token if per_token > 0 else self.prompt_ms

    def batch_ms(self, tokens: int) -> float:
        """What evaluating `tokens` prompt tokens in one call costs: the call's fixed part and
        the tokens' own (a keystroke's one or two tokens cost about the fixed part alone)."""
        return self.call_ms + self.token_ms * tokens

    def prompt_chunk(self, n_batch: int, depth: int = CHUNK_DEPTH) -> int:
        """Prompt tokens per llama_decode. A key that supersedes a request waits for its chunk
        in progress, so a chunk costs at most half a typical suggestion: the wait then keeps a
        suggestion within 1.5x its own cost (issue #12's p95 bound). Larger chunks cost less
        per token (the fixed `call_ms` is paid less often), so the chunk is the largest that
        fits: 2-core CPU, 1.3B model: about 32 tokens; a GPU: the whole batch."""
        per_token = max(self.token_ms, 1e-6)
        room = self.suggestion_ms(depth) / 2 - self.call_ms
        return max(min(KEYSTROKE_BATCH, n_batch), min(n_batch, int(room / per_token)))

    def scaled(self, prompt: float, decode: float) -> SpeedProfile:
        return SpeedProfile(
            self.decode_ms * decode, self.depth_ms * decode, self.prompt_ms * prompt,
            self.call_ms * prompt,
        )  # fmt: skip

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> SpeedProfile | None:
        """A kept profile, or None when it lacks a figure (kept by an older coderd)."""
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) != names:
            return None
        if not all(isinstance(v, int | float) and v >= 0 for v in data.values()):
            return None
        return cls(**{k: float(v) for k, v in data.items()})

    @classmethod
    def from_samples(
        cls,
        shallow: tuple[int, float],
        deep: tuple[int, float],
        prompt_ms: float,
        probe: tuple[int, float] | None = None,
    ) -> SpeedProfile:
        """Two (depth, ms per decoded token) samples; the line through them, never sloping down
        (noise can make the deep one look faster). `probe`: (tokens, ms) of a larger prompt
        batch, which with the keystroke batch gives the fixed cost of a call."""
        (d0, t0), (d1, t1) = shallow, deep
        slope = max(0.0, (t1 - t0) / (d1 - d0)) if d1 != d0 else 0.0
        call_ms = 0.0
        if probe is not None and probe[0] > KEYSTROKE_BATCH:
            keystroke = prompt_ms * KEYSTROKE_BATCH
            per_token = max(0.0, (probe[1] - keystroke) / (probe[0] - KEYSTROKE_BATCH))
            call_ms = min(keystroke, max(0.0, keystroke - per_token * KEYSTROKE_BATCH))
        profile = cls(max(0.0, t0 - slope * d0), slope, prompt_ms)
        return replace(profile, call_ms=call_ms)


class TimedRequest(Protocol):
    """What a request cost (base.py RequestStats; not imported: base.py imports this)."""

    stop_reason: str
    prompt_tokens: int
    evaluated_tokens: int
    restored_tokens: int
    generated_tokens: int
    prompt_ms: float
    generate_ms: float


@runtime_checkable
class KeepsSpeed(Protocol):
    """An engine that keeps its measured speed (the local one): it takes a healed profile."""

    def keep_speed_profile(self, profile: SpeedProfile) -> None: ...


class SpeedWatch:
    """The profile the budgets were planned with, and how real requests compare with it."""

    def __init__(self, profile: SpeedProfile) -> None:
        self.profile = profile
        self._prompt: deque[float] = deque(maxlen=WINDOW)  # observed / predicted
        self._decode: deque[float] = deque(maxlen=WINDOW)

    def observe(self, stats: TimedRequest) -> SpeedProfile | None:
        """One finished request; the healed profile when the requests' medians left the
        profile's figures by more than MARGIN (then the new plan's), else None."""
        if stats.stop_reason in UNTIMED:
            return None
        profile = self.profile
        evaluated = stats.evaluated_tokens
        # A restored state's copy (tens of MB) is no evaluation: it would pass for one.
        keystroke = 0 < evaluated <= MAX_PROMPT_SAMPLE and not stats.restored_tokens
        # Compared with the call's cost as the profile has it, fixed part included: taken as
        # `prompt_ms` per token, a key's one token looked as dear as the profile's whole figure
        # and a profile measured 5x too slow under load never healed (the starter's: 26 ms a
        # prompt token, 84 ms a call, where one key cost 22 ms and 8 tokens 42 ms), and its
        # prompt chunks stayed at the 8-token floor: 60 % slower prompts for good.
        predicted = profile.batch_ms(evaluated)
        if keystroke and stats.prompt_ms > 0 and predicted > 0:
            self._prompt.append(stats.prompt_ms / predicted)
        depth = stats.prompt_tokens + stats.generated_tokens // 2
        if stats.generated_tokens >= 2 and stats.generate_ms > 0:
            predicted = profile.decode_token_ms(depth)
            if predicted > 0:
                self._decode.append(stats.generate_ms / stats.generated_tokens / predicted)
        prompt, decode = _off(self._prompt), _off(self._decode)
        if prompt == 1.0 and decode == 1.0:
            return None
        for ratio, window in ((prompt, self._prompt), (decode, self._decode)):
            if ratio != 1.0:  # its ratios were to the old figures
                window.clear()
        self.profile = profile.scaled(prompt, decode)
        return self.profile


def _off(ratios: deque[float]) -> float:
    """The median ratio when it is clearly off (outside 1/MARGIN .. MARGIN), else 1."""
    if len(ratios) < MIN_SAMPLES:
        return 1.0
    median = statistics.median(ratios)
    return median if not 1 / MARGIN <= median <= MARGIN else 1.0
