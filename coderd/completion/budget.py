"""Prompt budgets sized from this machine's measured speed and a latency target.

On a CPU, decoding slows with the depth of the context: on the 2-core reference machine a
1.3B model decodes 26 tokens/s at depth 0 and 12.8 at depth 1536, so a 1,500-token prompt
would double the time of every suggestion. A laptop with Metal can afford far more. Fixed
token counts are therefore wrong everywhere but on the machine they were tuned on: coderd
measures the model once (decode time per token at two depths, prompt evaluation per token;
cached per model and machine, see engine/speed.py) and sizes the prompt so that a typical
suggestion (a few changed tokens evaluated, then `TYPICAL_NEW_TOKENS` decoded) fits
`completion.latency_target_ms`. The configured budgets are the upper bounds; they shrink in
proportion, never below a floor that keeps suggestions useful.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

TYPICAL_NEW_TOKENS = 16  # a single-line suggestion; multi-line ones may take longer
TYPICAL_CHANGED_TOKENS = 4  # evaluated per keystroke once the KV cache is warm
MARKERS = 4  # BOS and the three FIM markers
FLOOR_PREFIX, FLOOR_SUFFIX = 128, 16


@dataclass(frozen=True)
class SpeedProfile:
    """Milliseconds per decoded token at depth d: decode_ms + depth_ms * d; per prompt token."""

    decode_ms: float
    depth_ms: float
    prompt_ms: float

    def suggestion_ms(
        self,
        depth: int,
        new_tokens: int = TYPICAL_NEW_TOKENS,
        changed: int = TYPICAL_CHANGED_TOKENS,
    ) -> float:
        return changed * self.prompt_ms + new_tokens * (self.decode_ms + self.depth_ms * depth)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_samples(
        cls, shallow: tuple[int, float], deep: tuple[int, float], prompt_ms: float
    ) -> SpeedProfile:
        """Two (depth, ms per decoded token) samples; the line through them, never sloping down
        (noise can make the deep one look faster)."""
        (d0, t0), (d1, t1) = shallow, deep
        slope = max(0.0, (t1 - t0) / (d1 - d0)) if d1 != d0 else 0.0
        return cls(decode_ms=max(0.0, t0 - slope * d0), depth_ms=slope, prompt_ms=prompt_ms)


@dataclass(frozen=True)
class Budgets:
    prefix: int
    suffix: int
    context: int
    reason: str = "configured"

    @property
    def total(self) -> int:
        return self.prefix + self.suffix + self.context + MARKERS + TYPICAL_NEW_TOKENS


def plan_budgets(configured: Budgets, profile: SpeedProfile | None, target_ms: int) -> Budgets:
    """The configured budgets, shrunk in proportion when a typical suggestion at that depth
    would miss `target_ms` on this machine (0: no target)."""
    if profile is None or target_ms <= 0:
        return configured
    if profile.suggestion_ms(configured.total) <= target_ms:
        return Budgets(
            configured.prefix,
            configured.suffix,
            configured.context,
            f"configured (fits {target_ms} ms here)",
        )
    # The deepest prompt whose typical suggestion still fits the target.
    per_token = (target_ms - TYPICAL_CHANGED_TOKENS * profile.prompt_ms) / TYPICAL_NEW_TOKENS
    depth = (per_token - profile.decode_ms) / profile.depth_ms if profile.depth_ms > 0 else 0
    room = max(0.0, depth - MARKERS - TYPICAL_NEW_TOKENS)
    text = configured.prefix + configured.suffix + configured.context
    scale = min(1.0, room / text) if text else 1.0
    prefix = min(configured.prefix, max(FLOOR_PREFIX, int(configured.prefix * scale)))
    suffix = min(configured.suffix, max(FLOOR_SUFFIX, int(configured.suffix * scale)))
    context = int(configured.context * scale)
    planned = Budgets(prefix, suffix, context)
    return Budgets(
        prefix,
        suffix,
        context,
        f"sized for {target_ms} ms: about {profile.suggestion_ms(planned.total):.0f} ms "
        f"per suggestion at depth {planned.total} on this machine",
    )
