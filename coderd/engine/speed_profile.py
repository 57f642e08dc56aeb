"""What one model costs on this machine: the measurement engines give and budgets read.

Measured by the local engine (llama/speed.py: decode time per token at two depths, prompt
evaluation per token; cached per model and machine); completion/budget.py sizes the prompt
from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

TYPICAL_NEW_TOKENS = 16  # a single-line suggestion; multi-line ones may take longer
TYPICAL_CHANGED_TOKENS = 4  # evaluated per keystroke once the KV cache is warm


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
