"""What a placement's first prompt is sized by (first_prompt.py): the time users leave before
their first key, measured from the placements, and the narrow windows that the machine's
speed affords in it, in whole floors."""

from __future__ import annotations

from coderd.completion.budget import FLOOR_PREFIX, FLOOR_SUFFIX, Budgets
from coderd.completion.first_prompt import (
    PRIOR_FIRST_KEY_S,
    FirstKeys,
    affordable_tokens,
    narrow_budgets,
)
from coderd.engine.speed_profile import SpeedProfile

SLOW = SpeedProfile(decode_ms=20.0, depth_ms=0.0, prompt_ms=10.0)  # 100 prompt tokens a second


def test_the_first_key_gap_is_measured_from_the_placements():
    now = [100.0]
    keys = FirstKeys(lambda: now[0])
    assert keys.expected_s() == PRIOR_FIRST_KEY_S
    for gap in (3.0, 0.4, 5.0, 2.0, 4.0):
        keys.placed("a", now[0])
        now[0] += gap
        keys.requested("a")
        keys.requested("a")  # only the first request after a placement counts
    assert keys.status()["measured"] == 5
    assert 0.4 < keys.expected_s() <= 2.0  # most placements leave at least that
    assert keys.paused_s() == 1.5 * 4.0  # a pause (debounce.py) after three in four of them
    keys.placed("b", now[0])
    keys.forget("b")
    now[0] += 50
    keys.requested("b")
    assert keys.status()["measured"] == 5


def test_narrow_budgets_fit_what_is_affordable_above_the_floors():
    planned = Budgets(1024, 256, 512)
    assert narrow_budgets(planned, 50) == Budgets(
        FLOOR_PREFIX, FLOOR_SUFFIX, 512, "narrow first prompt"
    )
    wide = narrow_budgets(planned, 700)
    assert wide.prefix % FLOOR_PREFIX == 0 and FLOOR_PREFIX < wide.prefix <= 700
    assert wide.suffix % FLOOR_SUFFIX == 0 and FLOOR_SUFFIX < wide.suffix
    # A profile healed by a few per cent keeps the width (a new one misses the saved states).
    assert narrow_budgets(planned, 690) == wide
    assert narrow_budgets(planned, 10_000).prefix == planned.prefix
    assert affordable_tokens(SLOW, 1.0) == 100


def test_a_profile_whose_tokens_look_free_still_affords_a_bounded_prompt():
    """Measured on a busy machine, the larger batch can time as cheap as the keystroke batch:
    nothing is left per token beyond the call's fixed part (`call_ms` = 8 x `prompt_ms`).
    The keystroke batch's per-token cost stands in: a placement still narrows and the prompt
    still comes in chunks (taken as free, every prompt was affordable and fit one chunk)."""
    busy = SpeedProfile(decode_ms=33.0, depth_ms=0.0, prompt_ms=12.0, call_ms=96.0)
    assert busy.token_ms == busy.prompt_ms
    assert 0 < affordable_tokens(busy, 2.0) == int((2000 - 96) / 12)
    assert busy.prompt_chunk(n_batch=512) < 64
    measured = SpeedProfile(decode_ms=33.0, depth_ms=0.0, prompt_ms=12.0, call_ms=40.0)
    assert measured.token_ms == 12.0 - 40.0 / 8  # a real split is kept as it is
