"""coderd.testing.synthetic: the models it builds must load in the real llama.cpp with the right vocab."""

from __future__ import annotations

import ctypes
import os
from contextlib import contextmanager
from pathlib import Path

import gguf  # the dev extra; a missing install must fail, not skip
import pytest

from coderd.testing import synthetic, synthetic_vocab, tokenizer_fields
from coderd.testing.synthetic import build_model, cached_model, deepseek_vocab_fixture

needs_fixture = pytest.mark.skipif(
    deepseek_vocab_fixture() is None,
    reason="DeepSeek vocab fixture (../shared/fixtures/ggml-vocab-deepseek-coder.gguf) absent",
)


@contextmanager
def loaded(L, path: Path):
    model = L.llama_model_load_from_file(str(path).encode(), L.llama_model_default_params())
    assert model, f"llama.cpp failed to load {path}"
    try:
        yield model, L.llama_model_get_vocab(model)
    finally:
        L.llama_model_free(model)


def fim_ids(L, vocab) -> tuple[int, int, int]:
    return L.llama_vocab_fim_pre(vocab), L.llama_vocab_fim_suf(vocab), L.llama_vocab_fim_mid(vocab)


def tokenize(L, vocab, text: str, *, parse_special: bool) -> list[int]:
    raw = text.encode()
    buf = (L.llama_token * (len(raw) + 8))()
    n = L.llama_tokenize(vocab, raw, len(raw), buf, len(buf), False, parse_special)
    assert n >= 0
    return list(buf[:n])


def detokenize(L, vocab, ids: list[int]) -> str:
    arr = (L.llama_token * len(ids))(*ids)
    out = ctypes.create_string_buffer(4096)
    n = L.llama_detokenize(vocab, arr, len(ids), out, len(out), False, False)
    assert n >= 0
    return out.raw[:n].decode()


def meta(L, model, key: str) -> str | None:
    buf = ctypes.create_string_buffer(256)
    n = L.llama_model_meta_val_str(model, key.encode(), buf, len(buf))
    return None if n < 0 else buf.value.decode()


def decode_once(L, model, ids: list[int]) -> None:
    params = L.llama_context_default_params()
    params.n_ctx, params.n_batch, params.n_threads, params.n_threads_batch = 256, 64, 2, 2
    ctx = L.llama_init_from_model(model, params)
    assert ctx
    try:
        arr = (L.llama_token * len(ids))(*ids)
        assert L.llama_decode(ctx, L.llama_batch_get_one(arr, len(ids))) == 0
    finally:
        L.llama_free(ctx)


def tensor_types(path: Path) -> set[str]:
    return {t.tensor_type.name for t in gguf.GGUFReader(path).tensors}


@needs_fixture
def test_tiny_deepseek_loads_with_real_ids_and_decodes(llama_backend, synthetic_cache_dir):
    L = llama_backend
    path = cached_model("tiny", cache_dir=synthetic_cache_dir, vocab="deepseek")
    with loaded(L, path) as (model, vocab):
        assert fim_ids(L, vocab) == (32016, 32015, 32017)
        assert L.llama_vocab_n_tokens(vocab) == 32256
        assert (L.llama_vocab_bos(vocab), L.llama_vocab_eos(vocab)) == (32013, 32014)
        assert meta(L, model, "general.name") == "synthetic-deepseek-coder-tiny"
        assert meta(L, model, "tokenizer.ggml.pre") == "deepseek-coder"
        assert meta(L, model, "llama.context_length") == "16384"
        decode_once(L, model, [32013, *tokenize(L, vocab, "def main():", parse_special=False)])


def test_tiny_synthetic_vocab_fim_and_utf8(llama_backend, tiny_synthetic_model_path):
    L = llama_backend
    with loaded(L, tiny_synthetic_model_path) as (model, vocab):
        ids = fim_ids(L, vocab)
        assert -1 not in ids and len(set(ids)) == 3
        markers = (synthetic_vocab.FIM_BEGIN, synthetic_vocab.FIM_HOLE, synthetic_vocab.FIM_END)
        for marker, tid in zip(markers, ids):
            assert tokenize(L, vocab, marker, parse_special=True) == [tid]
            # llama.cpp overrides the markers' USER_DEFINED type to CONTROL, so with
            # parse_special=False their literal text is ordinary bytes (prompt-injection safe).
            assert len(tokenize(L, vocab, marker, parse_special=False)) > 1
        for text in ("def add(self, x):\n    return x", "héllo wörld", "世界 🎉 — ok"):
            toks = tokenize(L, vocab, text, parse_special=False)
            assert toks and detokenize(L, vocab, toks) == text
        bos = L.llama_vocab_bos(vocab)
        decode_once(L, model, [bos, *tokenize(L, vocab, "print('x') 🎉", parse_special=False)])


@pytest.mark.parametrize("vocab", ["synthetic", pytest.param("deepseek", marks=needs_fixture)])
def test_fim_false_is_prefix_only(llama_backend, tmp_path, vocab):
    L = llama_backend
    path = build_model(tmp_path / "nofim.gguf", vocab=vocab, fim=False)
    with loaded(L, path) as (_, v):
        assert fim_ids(L, v) == (-1, -1, -1)
        assert len(tokenize(L, v, synthetic_vocab.FIM_BEGIN, parse_special=True)) > 1


def test_pre_tokenizer_none_omits_key_and_still_loads(llama_backend, tmp_path):
    path = build_model(tmp_path / "legacy.gguf", pre_tokenizer=None)
    assert "tokenizer.ggml.pre" not in gguf.GGUFReader(path).fields
    with loaded(llama_backend, path) as (model, _):
        assert meta(llama_backend, model, "tokenizer.ggml.pre") is None


def test_quantized_q8_0(llama_backend, tmp_path):
    path = build_model(tmp_path / "q8.gguf", vocab="synthetic", quant="Q8_0")
    assert "Q8_0" in tensor_types(path)
    assert not list(tmp_path.glob("*.tmp")), "F16 intermediate must be deleted"
    with loaded(llama_backend, path) as (model, vocab):
        decode_once(llama_backend, model, [llama_backend.llama_vocab_bos(vocab), 100, 200])


def test_quantized_q4_k_m_uses_k_quants_on_small_shape(llama_backend, tmp_path):
    # "tiny" rows (64/128 wide) are not multiples of 256, so llama.cpp would fall back to
    # Q5_0/Q8_0 for every tensor; the internal "small" shape gets genuine Q4_K/Q6_K blocks.
    path = build_model(tmp_path / "q4km.gguf", shape="small", vocab="synthetic", quant="Q4_K_M")
    assert {"Q4_K", "Q6_K"} <= tensor_types(path)
    with loaded(llama_backend, path) as (model, vocab):
        decode_once(llama_backend, model, [llama_backend.llama_vocab_bos(vocab), 100, 200])


def test_tensor_layout_matches_llama_shape(tiny_synthetic_model_path):
    r = gguf.GGUFReader(tiny_synthetic_model_path)
    n_vocab = len(r.fields["tokenizer.ggml.tokens"].data)
    ne = {t.name: [int(x) for x in t.shape] for t in r.tensors}  # ggml order (ne0 first)
    assert ne["token_embd.weight"] == [64, n_vocab]
    assert ne["blk.1.ffn_down.weight"] == [128, 64]
    assert ne["blk.1.ffn_gate.weight"] == [64, 128]
    assert len(ne) == 2 + 2 * 9 + 1
    assert r.fields["llama.rope.scaling.type"].contents() == "linear"


def test_cached_model_reuses_file(tmp_path):
    first = cached_model("tiny", cache_dir=tmp_path, vocab="synthetic")
    mtime = first.stat().st_mtime_ns
    again = cached_model("tiny", cache_dir=tmp_path, vocab="synthetic")
    assert again == first and again.stat().st_mtime_ns == mtime
    other = cached_model("tiny", cache_dir=tmp_path, vocab="synthetic", fim=False)
    assert other != first
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, other.name])


def test_missing_fixture(monkeypatch, tmp_path):
    monkeypatch.setattr(tokenizer_fields, "deepseek_vocab_fixture", lambda: None)
    with pytest.raises(FileNotFoundError, match="vocabulary fixture"):
        build_model(tmp_path / "x.gguf", vocab="deepseek")
    path = build_model(tmp_path / "auto.gguf", vocab="auto")
    n = len(gguf.GGUFReader(path).fields["tokenizer.ggml.tokens"].data)
    assert n == len(synthetic_vocab.build_vocab()[0])


def test_fixture_env_override(monkeypatch, tmp_path):
    fake = tmp_path / "vocab.gguf"
    fake.write_bytes(b"")
    monkeypatch.setenv(synthetic.VOCAB_ENV, os.fspath(fake))
    assert deepseek_vocab_fixture() == fake


def test_synthetic_vocab_is_consistent():
    tokens, types, merges, ids = synthetic_vocab.build_vocab()
    assert len(set(tokens)) == len(tokens) == len(types)
    assert set(synthetic_vocab.bytes_to_unicode().values()) <= set(tokens)
    known = set(tokens)
    for m in merges:
        left, right = m.split(" ")
        assert left in known and right in known and left + right in known
    assert tokens[ids["fim_begin"]] == synthetic_vocab.FIM_BEGIN
    assert types[ids["bos"]] == synthetic_vocab.CONTROL
    no_fim = synthetic_vocab.build_vocab(fim=False)[0]
    assert len(no_fim) == len(tokens) and not set(synthetic_vocab.FIM_MARKERS) & set(no_fim)
