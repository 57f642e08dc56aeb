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

import logging
from dataclasses import dataclass, replace

from coderd.config.settings import Settings
from coderd.engine.base import Engine
from coderd.engine.speed_profile import TYPICAL_CHANGED_TOKENS, TYPICAL_NEW_TOKENS, SpeedProfile

log = logging.getLogger(__name__)

MARKERS = 4  # BOS and the three FIM markers
# Below these a suggestion loses what it needs most: the lines just above the cursor, the rest
# of its line, and the signatures of what the file imports (at 128 tokens of context, about ten;
# #13's evaluation: the imports' recall is 0.89 at 256). Each costs a slow machine little: 128
# tokens of depth add about 3 ms per decoded token on two cores with the 1.3B model.
FLOOR_PREFIX, FLOOR_SUFFIX, FLOOR_CONTEXT = 128, 16, 128
# The KV cache is allocated for the budgets planned at load (a K shift after a keystroke
# rotates every cell allocated: bench/README "shift_cost"), with this much room for requests
# that find the machine faster than measured; deeper plans wait for the next start.
CACHE_HEADROOM = 1.5
# A receiver hint smaller than this shows the type's line and a member or two: not worth the
# tokens evaluated each time the receiver changes.
MIN_RECEIVER = 32


@dataclass(frozen=True)
class Budgets:
    prefix: int
    suffix: int
    context: int
    reason: str = "configured"
    receiver: int = 0  # the receiver hint (context/pack/hint.py), inside the prefix

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        """What a plan decides, without why."""
        return self.prefix, self.suffix, self.context, self.receiver

    @property
    def total(self) -> int:
        return (
            self.prefix + self.suffix + self.context + self.receiver + MARKERS + TYPICAL_NEW_TOKENS
        )


def plan_budgets(
    configured: Budgets, profile: SpeedProfile | None, target_ms: int, max_depth: int = 0
) -> Budgets:
    """The configured budgets, shrunk in proportion when a typical suggestion at that depth
    would miss `target_ms` on this machine (0: no target), or would not fit `max_depth`
    positions (the KV cache allocated for the first plan, `cache_depth`; 0: no bound). The
    receiver hint gets what the target and those positions leave after them (`plan_receiver`)."""
    if profile is None or target_ms <= 0:
        return configured
    planned = _plan_windows(replace(configured, receiver=0), profile, target_ms, max_depth)
    receiver = plan_receiver(configured.receiver, profile, target_ms, planned.total)
    if max_depth and planned.total + receiver > max_depth:
        receiver = max(0, max_depth - planned.total)
        receiver = receiver if receiver >= MIN_RECEIVER else 0
    if receiver < configured.receiver:
        reason = f"{planned.reason}; receiver hint {receiver} of {configured.receiver} tokens"
        return replace(planned, receiver=receiver, reason=reason)
    return replace(planned, receiver=receiver)


def plan_receiver(configured: int, profile: SpeedProfile, target_ms: int, depth: int) -> int:
    """Tokens for the receiver hint: it is evaluated with the keystroke that changes the
    receiver (the `.` typed), and deepens every token decoded after it, so a typical suggestion
    at `depth` plus both must still fit `target_ms`; nothing below MIN_RECEIVER."""
    if configured <= 0:
        return 0
    per_token = profile.token_ms + TYPICAL_NEW_TOKENS * profile.depth_ms
    slack = target_ms - profile.suggestion_ms(depth)
    fits = int(slack / per_token) if per_token > 0 else configured
    return min(configured, fits) if fits >= MIN_RECEIVER else 0


def _plan_windows(
    configured: Budgets, profile: SpeedProfile, target_ms: int, max_depth: int
) -> Budgets:
    """plan_budgets for the prefix, suffix and context."""
    fits = profile.suggestion_ms(configured.total) <= target_ms
    if fits and (not max_depth or configured.total <= max_depth):
        return Budgets(
            configured.prefix,
            configured.suffix,
            configured.context,
            f"configured (fits {target_ms} ms here)",
        )
    depth = float(configured.total)
    if not fits:  # the deepest prompt whose typical suggestion still fits the target
        per_token = (target_ms - TYPICAL_CHANGED_TOKENS * profile.prompt_ms) / TYPICAL_NEW_TOKENS
        depth = (per_token - profile.decode_ms) / profile.depth_ms if profile.depth_ms > 0 else 0
    capped = 0 < max_depth < depth
    depth = max_depth if capped else depth
    room = max(0.0, depth - MARKERS - TYPICAL_NEW_TOKENS)
    text = configured.prefix + configured.suffix + configured.context
    scale = min(1.0, room / text) if text else 1.0
    prefix = min(configured.prefix, max(FLOOR_PREFIX, int(configured.prefix * scale)))
    suffix = min(configured.suffix, max(FLOOR_SUFFIX, int(configured.suffix * scale)))
    context = min(configured.context, max(FLOOR_CONTEXT, int(configured.context * scale)))
    planned = Budgets(prefix, suffix, context)
    bound = f", within the {max_depth} positions allocated" if capped else ""
    return Budgets(
        prefix,
        suffix,
        context,
        f"sized for {target_ms} ms{bound}: about {profile.suggestion_ms(planned.total):.0f} ms "
        f"per suggestion at depth {planned.total} on this machine",
    )


def cache_depth(planned: Budgets, configured: Budgets) -> int:
    """Positions of KV cache one session's prompt may take: the first plan with room for a
    healed profile to deepen it (`CACHE_HEADROOM`), never more than the configured budgets."""
    return min(configured.total, int(planned.total * CACHE_HEADROOM))


def measured_profile(engine: Engine, settings: Settings) -> SpeedProfile | None:
    """This machine's speed with the engine's model, when the budgets need it (a latency
    target) and the engine can measure it (the real one; the scripted and remote ones cannot)."""
    if not engine.measures_speed or settings.completion.latency_target_ms <= 0:
        return None
    try:
        return engine.speed_profile()
    except Exception as exc:  # a failed measurement only means the configured budgets
        log.warning("could not measure this machine's speed (%s); configured budgets used", exc)
        return None


def plan_for_machine(
    engine: Engine, settings: Settings, profile: SpeedProfile | None = None, max_depth: int = 0
) -> Budgets:
    """The configured budgets, sized to `completion.latency_target_ms` by `profile` (by
    default, the engine's measurement), within `max_depth` positions (0: any)."""
    c = settings.completion
    configured = configured_budgets(settings)
    if c.latency_target_ms <= 0:
        return configured
    profile = profile or measured_profile(engine, settings)
    if profile is None:
        return configured
    budgets = plan_budgets(configured, profile, c.latency_target_ms, max_depth)
    log.info(
        "prompt budgets: prefix %d, suffix %d, context %d, receiver hint %d tokens (%s)",
        budgets.prefix,
        budgets.suffix,
        budgets.context,
        budgets.receiver,
        budgets.reason,
    )
    return budgets


def configured_budgets(settings: Settings) -> Budgets:
    """The budgets as configured: the upper bounds of every plan."""
    c, context = settings.completion, settings.context
    return Budgets(
        c.prefix_tokens, c.suffix_tokens, context.budget_tokens, receiver=context.receiver_tokens
    )
