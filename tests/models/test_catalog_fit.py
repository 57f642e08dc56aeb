"""The catalogue's data and the memory arithmetic (pure: no model, no network)."""

from __future__ import annotations

import pytest

from coderd.models.catalog import load_catalog
from coderd.models.fit import MIN_CTX, GiB, Shape, plan, recommend
from coderd.models.loader import default_model_file
from coderd.system.hardware import build_features

FAMILY = (
    "deepseek-coder-1.3b-base",
    "deepseek-coder-5.7bmqa-base",
    "deepseek-coder-6.7b-base",
    "deepseek-coder-33b-base",
    "deepseek-coder-v2-lite-base",
)


@pytest.fixture
def catalog(home):
    return load_catalog()


def test_every_model_in_three_quantisations(catalog):
    for name in FAMILY:
        quants = {e.quant for e in catalog.entries if e.name == name}
        assert {"Q4_K_M", "Q5_K_M", "Q8_0"} <= quants, name
    assert catalog.default == "deepseek-coder-1.3b-base:Q4_K_M"
    assert default_model_file() == "deepseek-coder-1.3b-base.Q4_K_M.gguf"
    for e in catalog.entries:
        assert e.file.endswith(".gguf") and e.licence and e.size_bytes > 0
        assert e.sha256 == "unknown" or e.known_sha256, e.key  # never a made-up placeholder
        if e.name in FAMILY:
            assert e.repo and e.fim == "deepseek" and "instruct" not in e.file.lower()


def test_kv_bytes_follow_the_formula(catalog):
    for e in catalog.entries:
        if e.architecture == "llama":
            assert e.kv_bytes_per_token == e.n_layer * 2 * e.n_embd_kv * 2, e.key
    lite = catalog.find("deepseek-coder-v2-lite-base")
    assert lite.kv_bytes_per_token == 27 * 16 * (192 + 128) * 2  # legacy: full K and V
    assert lite.kv_bytes_per_token_mla == 27 * (512 + 64) * 2  # MLA: latent + rope key
    assert 8.5 < lite.kv_bytes_per_token / lite.kv_bytes_per_token_mla < 9.5


def test_plan_lowers_n_ctx_then_refuses(catalog):
    shape = Shape.of_entry(catalog.find("deepseek-coder-6.7b-base:Q4_K_M"))
    roomy = plan(shape, n_ctx=16384, available=64 * GiB, gpu_offload=False)
    assert roomy.fits and roomy.n_ctx == 16384 and roomy.gpu_layers == 0
    tight = plan(shape, n_ctx=16384, available=8 * GiB, gpu_offload=False)
    assert tight.fits and MIN_CTX <= tight.n_ctx < 16384 and "n_ctx lowered" in tight.message
    small = plan(shape, n_ctx=2048, available=3 * GiB, gpu_offload=False)
    assert not small.fits and "only 3.0 GiB" in small.message
    gpu = plan(shape, n_ctx=2048, available=3 * GiB, gpu_offload=True)
    assert gpu.fits and gpu.gpu_layers == 999 and "not checked" in gpu.message


def test_recommendation_depends_on_the_machine(catalog):
    assert (
        recommend(catalog, available=16 * GiB, gpu_offload=False, cores=2).entry.key
        == "deepseek-coder-1.3b-base:Q4_K_M"
    )
    assert (
        recommend(catalog, available=16 * GiB, gpu_offload=False, cores=16).entry.key
        == "deepseek-coder-1.3b-base:Q8_0"
    )
    assert (
        recommend(catalog, available=64 * GiB, gpu_offload=True).entry.key
        == "deepseek-coder-33b-base:Q4_K_M"
    )
    assert (
        recommend(catalog, available=12 * GiB, gpu_offload=True).entry.key
        == "deepseek-coder-6.7b-base:Q8_0"
    )
    assert recommend(catalog, available=GiB // 2, gpu_offload=False).entry is None


def test_build_features_parse_the_system_info():
    info = (
        "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 0 | CUDA : ARCHS = 890 | USE_GRAPHS = 1 | "
        "Metal : EMBED_LIBRARY = 1 |"
    )
    found = build_features(info, True)
    assert found["cpu_features"] == ["SSE3", "AVX2"]
    assert found["gpu_backends"] == ["CUDA", "Metal"] and found["gpu_offload"]
