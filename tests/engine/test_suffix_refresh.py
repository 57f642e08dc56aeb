"""The suffix's KV refreshed after drifting (kv_plan.py): keys let it drift, the prewarm at a
pause evaluates it again, and a refresh a key cancels leaves the stale block in place for the
key to shift (kv_sequences.py `_refresh_beside`). Real llama.cpp, tiny synthetic model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits
from coderd.engine.llama.engine import EngineOptions, LlamaEngine

PREFIX = "import os\n\ndef read_config(path):\n    with open(path) as f:\n        return "
SUFFIX = "\n\n\ndef main():\n    config = read_config(os.environ['CONFIG'])\n    print(config)\n"
# A file whose text before the cursor is longer than the suffix: dropping the block is not
# "most of" the sequence, so nothing saves it aside first (kv_sequences.py `resume`).
LONG_PREFIX = (
    "import os\n\n"
    + "def read_config(path):\n    with open(path) as f:\n        return f.read()\n\n" * 8
    + "def g(p):\n    return "
)


def make_engine(path: Path, **options) -> LlamaEngine:
    return LlamaEngine(path, EngineOptions(threads=2, **options))


def fim(engine, prefix: str, suffix: str = SUFFIX) -> FimPrompt:
    return FimPrompt(engine.tokenize(prefix), engine.tokenize(suffix))


def complete(engine, prompt, cancel: CancelToken | None = None, **limits):
    limits.setdefault("max_tokens", 4)
    return engine.complete(prompt, GenerationLimits(**limits), cancel or CancelToken())


def cache_is_consistent(engine) -> bool:
    return engine.kv.ctx.pos_max(0) + 1 == len(engine.kv.state(0).tokens)


def type_until_stale(engine, prefix: str) -> str:
    """Words typed at the end of `prefix` until the suffix drifted past its bound."""
    complete(engine, fim(engine, prefix))
    typed = ""
    for word in (" a", " b", " c", " d", " e", " f", " g"):
        typed += word
        stats = complete(engine, fim(engine, prefix + typed)).stats
        assert stats.suffix_shifted and stats.evaluated_tokens < len(engine.tokenize(SUFFIX))
        if stats.suffix_stale:
            return typed
    raise AssertionError("the suffix never went stale")


def test_suffix_is_refreshed_after_enough_drift(tiny_model_path):
    engine = make_engine(tiny_model_path, suffix_refresh_tokens=6)
    complete(engine, fim(engine, PREFIX))
    shifted = [
        complete(engine, fim(engine, PREFIX + "x" * n)).stats.suffix_shifted for n in range(1, 30)
    ]
    # Shifts, then evaluates the suffix in full again: a key past twice the bound (the prewarm
    # at a pause would have refreshed it at the bound, kv_plan.TYPING_DRIFT_FACTOR).
    assert shifted[0] and not all(shifted)
    engine.close()


def test_keys_leave_the_suffix_refresh_to_a_prewarm(tiny_model_path):
    """A key lets the suffix drift past the bound (to twice it) instead of paying its whole
    evaluation; a prewarm of the same prompt (the next pause) evaluates it again."""
    engine = make_engine(tiny_model_path, suffix_refresh_tokens=6)
    complete(engine, fim(engine, PREFIX))
    suffix_len = len(engine.tokenize(SUFFIX))
    typed = ""
    for word in (" a", " b", " c", " d", " e", " f", " g"):
        typed += word
        stats = complete(engine, fim(engine, PREFIX + typed)).stats
        assert stats.suffix_shifted and stats.evaluated_tokens < suffix_len
        if stats.suffix_drift > 6:
            break
    assert 6 < stats.suffix_drift <= 12  # past the bound, and still no whole suffix
    assert stats.suffix_stale
    moved = complete(engine, fim(engine, PREFIX + typed), max_tokens=0).stats  # a focus
    assert moved.evaluated_tokens < suffix_len and moved.suffix_stale  # leaves it to the pause
    refresh = complete(engine, fim(engine, PREFIX + typed), max_tokens=0, refresh_suffix=True)
    refresh = refresh.stats
    assert refresh.evaluated_tokens >= suffix_len and refresh.suffix_drift == 0
    assert cache_is_consistent(engine)
    engine.close()


def test_a_refresh_cancelled_part_way_leaves_the_stale_block_for_the_next_key(
    tiny_model_path, key_at_decode
):
    """The prewarm at a pause refreshes a drifted suffix; the next burst's first key cancels
    it after one chunk. That key still shifts the old block: it evaluates what it typed, not
    the whole suffix again (done in place, the refresh had dropped the block)."""
    engine = make_engine(tiny_model_path, suffix_refresh_tokens=6, prompt_chunk=4)
    typed = type_until_stale(engine, LONG_PREFIX)
    cancel = key_at_decode(engine, 2)
    refresh = complete(engine, fim(engine, LONG_PREFIX + typed), cancel, max_tokens=0,
                       refresh_suffix=True).stats  # fmt: skip
    assert refresh.stop_reason == "cancelled" and 0 < refresh.evaluated_tokens
    key = complete(engine, fim(engine, LONG_PREFIX + typed + " h")).stats
    assert key.suffix_shifted and key.restored_tokens == 0
    assert key.evaluated_tokens < len(engine.tokenize(SUFFIX)) // 2
    assert cache_is_consistent(engine)
    done = complete(engine, fim(engine, LONG_PREFIX + typed + " h"), max_tokens=0,
                    refresh_suffix=True).stats  # fmt: skip
    assert done.stop_reason == "prewarm" and done.suffix_drift == 0  # uncancelled: in place
    assert cache_is_consistent(engine)
    again = complete(engine, fim(engine, LONG_PREFIX + typed + " hi")).stats
    assert again.suffix_shifted and again.evaluated_tokens <= 3 and again.suffix_drift <= 2
    engine.close()


def test_a_refreshed_block_gives_the_logits_of_a_cold_start(tiny_model_path):
    """The block evaluated beside the old one and handed over is the same as evaluated in
    place: the next key's logits equal a fresh engine's for the same prompt."""
    warm = make_engine(tiny_model_path, suffix_refresh_tokens=6, prompt_chunk=4)
    cold = make_engine(tiny_model_path, reuse_suffix_kv=False)
    typed = type_until_stale(warm, LONG_PREFIX)
    prompt = LONG_PREFIX + typed
    refresh = complete(warm, fim(warm, prompt), max_tokens=0, refresh_suffix=True).stats
    assert refresh.stop_reason == "prewarm" and refresh.suffix_drift == 0
    key = complete(warm, fim(warm, prompt), max_tokens=1).stats
    assert key.evaluated_tokens <= 2  # served from the refreshed cells
    complete(cold, fim(cold, prompt), max_tokens=1)
    # max_tokens=1 samples without decoding the sample, so logits are those of <FIM_MID>.
    assert np.allclose(warm.kv.ctx.last_logits(), cold.kv.ctx.last_logits(), atol=1e-3)
    assert cache_is_consistent(warm)
    warm.close()
    cold.close()
