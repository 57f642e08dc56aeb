"""Prompt budgets sized from measured speed (coderd/budget.py, engine/speed.py)."""

from __future__ import annotations

import json

import pytest

from coderd.completion.budget import (
    CACHE_HEADROOM,
    MIN_RECEIVER,
    Budgets,
    cache_depth,
    plan_budgets,
)
from coderd.config.settings import load_settings
from coderd.engine.speed_profile import SpeedProfile

CONFIGURED = Budgets(prefix=384, suffix=64, context=256, receiver=256)
# The reference 2-core machine with a 1.3B model: 38 ms/token at depth 0, +0.037 ms per
# position of depth, 19 ms per prompt token in a keystroke-sized batch.
TWO_CORES = SpeedProfile(decode_ms=38.0, depth_ms=0.037, prompt_ms=19.0)


def test_a_fast_machine_keeps_the_configured_budgets():
    fast = SpeedProfile(decode_ms=5.0, depth_ms=0.002, prompt_ms=1.0)
    planned = plan_budgets(CONFIGURED, fast, 1000)
    assert (planned.prefix, planned.suffix, planned.context) == (384, 64, 256)


def test_a_slow_machine_gets_a_prompt_that_meets_the_target():
    planned = plan_budgets(CONFIGURED, TWO_CORES, 1000)
    assert planned.prefix < 384 and planned.context < 256
    assert TWO_CORES.suggestion_ms(planned.total) <= 1000 + 1
    assert TWO_CORES.suggestion_ms(CONFIGURED.total) > 1000  # the configured one would not
    # Shrunk in proportion, the context never below its floor.
    assert planned.context == max(128, int(256 * planned.prefix / 384))


def test_the_receiver_hint_gets_what_the_target_leaves():
    fast = SpeedProfile(decode_ms=5.0, depth_ms=0.002, prompt_ms=1.0)
    assert plan_budgets(CONFIGURED, fast, 1000).receiver == 256
    # The reference 2-core machine has no time left for it: the windows keep theirs.
    slow = plan_budgets(CONFIGURED, TWO_CORES, 1000)
    assert slow.receiver == 0 and "receiver hint 0 of 256" in slow.reason
    without = plan_budgets(Budgets(384, 64, 256), TWO_CORES, 1000)
    assert (slow.prefix, slow.suffix, slow.context) == (
        without.prefix,
        without.suffix,
        without.context,
    )
    # A machine in between: a smaller hint, evaluated with a typical keystroke and deepening
    # each decoded token, still within the target.
    laptop = SpeedProfile(decode_ms=15.0, depth_ms=0.01, prompt_ms=2.0)
    planned = plan_budgets(CONFIGURED, laptop, 600)
    assert MIN_RECEIVER <= planned.receiver < 256
    hint_ms = planned.receiver * (laptop.token_ms + 16 * laptop.depth_ms)
    assert laptop.suggestion_ms(planned.total - planned.receiver) + hint_ms <= 600
    # Turned off, or past the positions the cache was sized for: none.
    assert plan_budgets(Budgets(384, 64, 256), fast, 1000).receiver == 0
    capped = plan_budgets(CONFIGURED, fast, 1000, max_depth=CONFIGURED.total - 256 + 8)
    assert capped.receiver == 0 and capped.total <= CONFIGURED.total - 256 + 8


def test_floors_hold_when_even_an_empty_prompt_is_too_slow():
    hopeless = SpeedProfile(decode_ms=500.0, depth_ms=1.0, prompt_ms=100.0)
    planned = plan_budgets(CONFIGURED, hopeless, 200)
    assert (planned.prefix, planned.suffix, planned.context) == (128, 16, 128)
    # A context budget configured below the floor stays what it is.
    small = Budgets(prefix=384, suffix=64, context=64)
    assert plan_budgets(small, hopeless, 200).context == 64


def test_a_plan_stays_within_the_positions_the_cache_was_sized_for():
    fast = SpeedProfile(decode_ms=5.0, depth_ms=0.002, prompt_ms=1.0)
    capped = plan_budgets(CONFIGURED, fast, 1000, max_depth=500)
    assert capped.total <= 500 < CONFIGURED.total
    assert "allocated" in capped.reason
    slow = plan_budgets(CONFIGURED, TWO_CORES, 1000)
    assert plan_budgets(CONFIGURED, TWO_CORES, 1000, max_depth=2000) == slow  # the target binds
    assert plan_budgets(CONFIGURED, TWO_CORES, 1000, max_depth=400).total <= 400


def test_the_cache_leaves_room_for_a_healed_plan_but_never_past_the_configured():
    slower = plan_budgets(CONFIGURED, TWO_CORES, 600)
    assert cache_depth(slower, CONFIGURED) == int(slower.total * CACHE_HEADROOM)
    windows = Budgets(prefix=384, suffix=64, context=256)  # no receiver hint
    slow = plan_budgets(windows, TWO_CORES, 1000)  # 1.5 times it is more than configured
    assert cache_depth(slow, windows) == windows.total


def test_no_target_or_no_measurement_means_the_configured_budgets():
    assert plan_budgets(CONFIGURED, TWO_CORES, 0) == CONFIGURED
    assert plan_budgets(CONFIGURED, None, 1000) == CONFIGURED


def test_a_noisy_measurement_never_gives_a_negative_slope():
    profile = SpeedProfile.from_samples((8, 40.0), (392, 39.0), 10.0)
    assert profile.depth_ms == 0.0 and profile.decode_ms == 40.0


def test_the_real_engine_is_measured_once_and_the_result_kept(
    tiny_model_path, tmp_path, monkeypatch
):
    from coderd.engine.llama import speed
    from coderd.engine.llama.engine import EngineOptions, LlamaEngine

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    engine = LlamaEngine(tiny_model_path, EngineOptions(n_ctx=1024, threads=1))
    try:
        first = engine.speed_profile()
        assert first.decode_ms > 0 and first.prompt_ms > 0
        stored = json.loads((tmp_path / "coderd" / "speed.json").read_text())
        assert list(stored.values()) == [first.as_dict()]
        monkeypatch.setattr(speed, "measure", lambda e: pytest.fail("measured twice"))
        assert engine.speed_profile() == first
    finally:
        engine.close()


def test_the_service_uses_the_sized_budgets(tiny_model_path, tmp_path, monkeypatch):
    from coderd.completion.service import CompletionService, DocumentSnapshot
    from coderd.engine.llama.engine import LlamaEngine
    from coderd.models.loader import load_engine

    monkeypatch.setattr(LlamaEngine, "speed_profile", lambda self: TWO_CORES)
    settings = load_settings(
        environ={"CODERD_MODEL_PATH": str(tiny_model_path), "XDG_CONFIG_HOME": str(tmp_path)}
    ).settings
    service = CompletionService(settings, load_engine)
    service.start()
    try:
        service.model_ready.result(60)
        assert service.budgets == plan_budgets(CONFIGURED, TWO_CORES, 1000)
        text = "x = 1\n" * 2000
        outcome = service.submit(DocumentSnapshot("k", text, len(text))).future.result(60)
        prefix = dict(outcome.pieces)["prefix"]
        assert len(prefix) <= service.budgets.prefix < 384
        assert service.status()["budgets"]["prefix"] == service.budgets.prefix
        # The KV cache was allocated for those prompts, not for model.n_ctx (2048): one slot,
        # the prompt with its headroom and a whole suggestion, and speculation's two.
        depth = cache_depth(service.budgets, CONFIGURED) + settings.completion.max_tokens
        cells = -(-(depth + 2 * settings.completion.max_tokens) // 256) * 256
        assert service.model_ready.result().n_ctx == service.status()["n_ctx"] == cells < 2048
    finally:
        service.shutdown()
        service.join(10)
