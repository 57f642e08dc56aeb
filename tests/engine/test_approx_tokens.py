"""The remote backend's token counts: exactly reversible on any text, close to BPE on code."""

from __future__ import annotations

import pytest

from coderd.engine.remote.approx_tokens import ApproxTokenizer

AWKWARD = [
    "",
    "a",
    "def f(x):\r\n\treturn x\r\n",
    "\r\r\n\n\r",
    "tabs\t\t\tand  spaces   ",
    "emoji 👩‍💻 and 👍🏽 flags 🇫🇷",
    "é vs e\u0301, ß, 東京, Ωmega",
    "lone surrogate \ud800 and NUL \x00",
    "x" * 100 + " " * 40 + "1234567890",
    "<｜fim▁begin｜>not a marker<｜fim▁hole｜>",
    "\u00a0\u2028\u2029\f\v",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_approximate_tokens_round_trip_exactly(text):
    for tokenizer in (ApproxTokenizer(), ApproxTokenizer(max_pieces=2)):  # also with a full table
        ids = tokenizer.tokenize(text)
        assert tokenizer.detokenize(ids) == text
        assert len(ids) <= len(text)
        # Windows are tokenised separately and their ids concatenated (context, prefix, suffix).
        half = len(text) // 2
        assert (
            tokenizer.detokenize(tokenizer.tokenize(text[:half]) + tokenizer.tokenize(text[half:]))
            == text
        )


def test_approximate_tokens_look_like_bpe_tokens():
    tokenizer = ApproxTokenizer()
    assert (
        len(tokenizer.tokenize("    return self.value")) == 5
    )  # indent, " return", " self", ".", "value"
    assert len(tokenizer.tokenize("2026")) == 4  # digits one by one, as DeepSeek's tokenizer
    assert tokenizer.detokenize([0x110000 + 10**6]) == ""  # an id never issued stands for nothing


def test_counts_stay_close_to_deepseek_coder_on_code():
    from pathlib import Path

    from coderd.engine.llama.model import LlamaModel
    from coderd.testing.synthetic import deepseek_vocab_fixture

    fixture = deepseek_vocab_fixture()
    if fixture is None:
        pytest.skip(
            "../shared/fixtures/ggml-vocab-deepseek-coder.gguf is absent: no real tokenizer"
        )
    vocab = LlamaModel(fixture, gpu_layers=0, vocab_only=True)
    root = Path(__file__).resolve().parents[2]
    texts = [p.read_text("utf-8") for p in sorted((root / "coderd").rglob("*.py"))]
    try:
        real = sum(len(vocab.tokenize(t)) for t in texts)
    finally:
        vocab.close()
    ours = sum(len(ApproxTokenizer().tokenize(t)) for t in texts)
    assert 0.98 <= ours / real <= 1.12  # about 1.04: a little high, so budgets err short
