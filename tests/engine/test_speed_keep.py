"""The real engine's speed profile: kept healed, read back at the next start, and sizing the
prompt chunk (speed.py, speed_profile.py)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from coderd.engine.llama import speed
from coderd.engine.llama.engine import EngineOptions, LlamaEngine


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "coderd" / "speed.json"


def test_a_healed_profile_is_what_the_next_start_reads(tiny_model_path, cache, monkeypatch):
    engine = LlamaEngine(tiny_model_path, EngineOptions(n_ctx=1024, threads=1))
    try:
        measured = engine.speed_profile()
        assert measured.call_ms >= 0 and measured.prompt_ms > 0
        assert engine.prompt_chunk == measured.prompt_chunk(engine.loaded.ctx.n_batch)
        healed = measured.scaled(40.0, 3.0)  # prompts far slower: a smaller chunk
        engine.keep_speed_profile(healed)
        assert engine.prompt_chunk == healed.prompt_chunk(engine.loaded.ctx.n_batch)
        monkeypatch.setattr(speed, "measure", lambda e: pytest.fail("measured again"))
        assert engine.speed_profile() == healed
        assert list(json.loads(cache.read_text()).values()) == [healed.as_dict()]
    finally:
        engine.close()


def test_a_configured_chunk_stays(tiny_model_path, cache):
    engine = LlamaEngine(tiny_model_path, EngineOptions(n_ctx=1024, threads=1, prompt_chunk=5))
    try:
        profile = engine.speed_profile()
        engine.keep_speed_profile(replace(profile, prompt_ms=profile.prompt_ms * 9))
        assert engine.prompt_chunk == 5
    finally:
        engine.close()


def test_a_profile_kept_by_an_older_coderd_is_measured_again(tiny_model_path, cache):
    engine = LlamaEngine(tiny_model_path, EngineOptions(n_ctx=1024, threads=1))
    try:
        old = {"decode_ms": 1.0, "depth_ms": 0.0, "prompt_ms": 1.0}  # no call_ms
        cache.parent.mkdir(parents=True)
        cache.write_text(json.dumps({speed.cache_key(engine): old}))
        assert set(engine.speed_profile().as_dict()) == {*old, "call_ms"}
        assert "call_ms" in json.loads(cache.read_text())[speed.cache_key(engine)]
    finally:
        engine.close()
