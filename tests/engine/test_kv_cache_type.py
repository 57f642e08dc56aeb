"""model.kv_cache_type: a quantised KV cache reaches llama.cpp, completes, and is in the memory plan."""

from __future__ import annotations

import llama_cpp
import pytest

from coderd.config.settings import load_settings
from coderd.engine.base import CancelToken, EngineError, FimPrompt, GenerationLimits
from coderd.engine.llama.engine import EngineOptions, LlamaEngine
from coderd.models.fit import Shape, kv_bytes, plan
from coderd.models.loader import engine_options
from coderd.testing.synthetic import cached_model

PREFIX = "import os\n\ndef read_config(path):\n    with open(path) as f:\n        return "
SUFFIX = "\n\n\ndef main():\n    config = read_config(os.environ['CONFIG'])\n    print(config)\n"


@pytest.fixture(scope="module")
def small_model_path(synthetic_cache_dir):
    # "tiny" has 16-wide attention heads, narrower than a q8_0/q4_0 block of 32 values, which
    # llama.cpp refuses for a quantised cache; "small" has 64-wide heads.
    return cached_model("small", cache_dir=synthetic_cache_dir)


def keystrokes(engine: LlamaEngine) -> list:
    """A request, then the same with one more character typed: the second reuses the cache."""
    results = []
    for prefix in (PREFIX, PREFIX + "f"):
        prompt = FimPrompt(engine.tokenize(prefix), engine.tokenize(SUFFIX))
        results.append(
            engine.complete(prompt, GenerationLimits(max_tokens=6, time_budget_s=30), CancelToken())
        )
    return results


def sequence_bytes(engine: LlamaEngine) -> int:
    """What llama.cpp would save for sequence 0: its cells' K and V data, in the cache's type."""
    return int(llama_cpp.llama_state_seq_get_size(engine.kv.ctx.handle, 0))


def test_quantised_caches_complete_and_are_smaller(small_model_path):
    sizes = {}
    for kv_type in ("f16", "q8_0", "q4_0"):
        engine = LlamaEngine(
            small_model_path, EngineOptions(n_ctx=512, threads=2, kv_cache_type=kv_type)
        )
        try:
            first, typed = keystrokes(engine)
            sizes[kv_type] = sequence_bytes(engine)
        finally:
            engine.close()
        assert first.stats.stop_reason in ("max_tokens", "eog") and first.stats.generated_tokens > 0
        assert typed.stats.reused_tokens > 0  # the (quantised) cache was kept across the keystroke
        assert (
            typed.stats.suffix_shifted
        )  # and its suffix cells shifted: K-shift works on q8_0/q4_0
    # Same cells, so the ratios are those of the element sizes: 34/64 for q8_0, 18/64 for q4_0.
    assert sizes["q8_0"] / sizes["f16"] == pytest.approx(34 / 64, abs=0.03)
    assert sizes["q4_0"] / sizes["f16"] == pytest.approx(18 / 64, abs=0.03)


def test_a_model_whose_heads_cannot_be_quantised_names_the_setting(tiny_model_path):
    with pytest.raises(EngineError, match=r"q8_0 KV cache.*kv_cache_type = \"f16\""):
        LlamaEngine(tiny_model_path, EngineOptions(n_ctx=512, threads=2, kv_cache_type="q8_0"))


def test_the_setting_reaches_the_engine_options_and_the_plan(tmp_path):
    def settings(value: str):
        return load_settings(
            config_path=tmp_path / "absent.toml", environ={"CODERD_MODEL_KV_CACHE_TYPE": value}
        )

    loaded = settings("Q8_0")  # choices are case-insensitive
    assert loaded.problems == () and engine_options(loaded.settings).kv_cache_type == "q8_0"
    refused = settings("q5_0")
    assert refused.settings.model.kv_cache_type == "f16"
    assert "expected one of f16, q8_0, q4_0" in str(refused.problems[0])

    assert (kv_bytes(2048, "f16"), kv_bytes(2048, "q8_0"), kv_bytes(2048, "q4_0")) == (
        2048,
        1088,
        576,
    )
    shape = Shape(size_bytes=1 << 30, kv_bytes_per_token=196_608, context_length=16_384)  # 1.3B
    f16 = plan(shape, n_ctx=16_384, available=8 << 30, gpu_offload=False)
    q8 = plan(shape, n_ctx=16_384, available=8 << 30, gpu_offload=False, kv_type="q8_0")
    assert (f16.kv_type, q8.kv_type) == ("f16", "q8_0")
    assert f16.need_bytes - q8.need_bytes == 16_384 * (196_608 - kv_bytes(196_608, "q8_0"))
    # Memory that holds the f16 cache only for a shorter context holds a q4_0 cache in full.
    tight = 3 << 30  # f16 at 16K positions: 3 GiB of cache; q4_0: 0.84 GiB
    assert plan(shape, n_ctx=16_384, available=tight, gpu_offload=False).n_ctx < 16_384
    assert (
        plan(shape, n_ctx=16_384, available=tight, gpu_offload=False, kv_type="q4_0").n_ctx
        == 16_384
    )


def test_doctor_run_plan_shows_the_cache_type(small_model_path, tmp_path):
    from coderd.cli.doctor import models_report, render_models

    settings = load_settings(
        config_path=tmp_path / "absent.toml",
        environ={"CODERD_MODEL_PATH": str(small_model_path), "CODERD_MODEL_KV_CACHE_TYPE": "q4_0"},
    ).settings
    report = models_report(settings)
    # The small shape: 2 layers x 256 keys and values per position, in 18/32 bytes each.
    assert (report["fit"]["kv_type"], report["fit"]["kv_bytes_per_token"]) == ("q4_0", 576)
    [line] = [x for x in render_models(report) if "run plan:" in x]
    assert "KV q4_0 (576 bytes per position)" in line
