"""V2-Lite's `deepseek2` path on tiny synthetic files: it loads with a bounded n_ctx, and
legacy (pre-MLA) files are told apart from MLA ones, with the KV cache each really needs."""

from __future__ import annotations

from pathlib import Path

import deepseek2_gguf as ds2
import pytest
from model_helpers import cli


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("deepseek2")
    return {
        kind: ds2.build(folder / f"tiny-deepseek-coder-v2-lite-base-{kind}.gguf", mla=kind == "mla")
        for kind in ("legacy", "mla")
    }


def test_kv_cache_size_and_kind_come_from_the_header(files):
    from coderd.models.fit import Shape
    from coderd.models.gguf_meta import read_header

    legacy = Shape.of_header(read_header(files["legacy"]))
    mla = Shape.of_header(read_header(files["mla"]))
    assert legacy.mla is False and mla.mla is True
    # llama.cpp allocates exactly this (its log: 5.06 MiB and 1.27 MiB for 512 cells).
    assert (
        legacy.kv_bytes_per_token
        == ds2.N_LAYER * ds2.N_HEAD * (ds2.NOPE + ds2.ROPE + ds2.V_HEAD) * 2
    )
    assert mla.kv_bytes_per_token == ds2.N_LAYER * (ds2.KV_LORA + ds2.ROPE) * 2
    assert legacy.context_length == ds2.CTX_TRAIN


@pytest.mark.parametrize("kind", ["legacy", "mla"])
def test_deepseek2_loads_with_a_bounded_context(files, kind):
    from coderd.engine.llama.engine import EngineOptions, LlamaEngine

    engine = LlamaEngine(files[kind], EngineOptions(n_ctx=512, threads=1, gpu_layers=0))
    try:
        assert engine.info.architecture == "deepseek2"
        assert engine.info.n_ctx_train == ds2.CTX_TRAIN and engine.info.n_ctx == 512
        assert engine.info.fim_ids is not None
        assert engine.tokenize("def f():") != []
    finally:
        engine.close()


def test_add_and_plan_report_legacy_or_mla(home, files, capsys):
    from coderd.models.fit import Shape, plan
    from coderd.models.gguf_meta import read_header

    assert cli("models", "add", str(files["legacy"]), "--link") == 0, capsys.readouterr().err
    assert "KV cache: legacy (pre-MLA: ~9x larger KV cache)" in capsys.readouterr().out
    assert cli("models", "add", str(files["mla"]), "--link") == 0
    assert "KV cache: MLA (compact KV cache)" in capsys.readouterr().out
    p = plan(
        Shape.of_header(read_header(files["legacy"])),
        n_ctx=2048,
        available=8 * 2**30,
        gpu_offload=False,
    )
    assert p.fits and "legacy deepseek2 GGUF" in p.message
