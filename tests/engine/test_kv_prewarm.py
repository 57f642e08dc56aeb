"""The real llama.cpp engine on the tiny synthetic model: a prewarm (max_tokens 0) evaluates
the prompt and decodes nothing, so the first key evaluates only what changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits
from coderd.engine.llama.engine import EngineOptions, LlamaEngine

PREFIX = "import os\n\ndef read_config(path):\n    with open(path) as f:\n        return "
SUFFIX = "\n\n\ndef main():\n    config = read_config(os.environ['CONFIG'])\n    print(config)\n"


@pytest.fixture()
def engine(tiny_model_path: Path):
    e = LlamaEngine(tiny_model_path, EngineOptions(threads=2))
    yield e
    e.close()


def fim(engine: LlamaEngine, prefix: str, suffix: str = SUFFIX) -> FimPrompt:
    return FimPrompt(engine.tokenize(prefix), engine.tokenize(suffix))


def test_after_a_prewarm_the_first_key_evaluates_only_what_changed(engine):
    warm = engine.complete(fim(engine, PREFIX), GenerationLimits(max_tokens=0), CancelToken())
    assert warm.stats.prewarm and warm.stats.stop_reason == "prewarm"
    assert warm.text == "" and warm.stats.generated_tokens == 0
    assert warm.stats.evaluated_tokens == warm.stats.prompt_tokens  # the whole prompt, once
    # Nothing decoded: the cache holds exactly the prompt.
    assert len(engine.kv.state(0).tokens) == warm.stats.prompt_tokens
    typed = engine.complete(
        fim(engine, PREFIX + "c"), GenerationLimits(max_tokens=4), CancelToken()
    )
    assert typed.stats.stop_reason != "cancelled" and not typed.stats.prewarm
    # The typed token and <FIM_MID> (a token or two more where the tokenizer merges).
    assert typed.stats.evaluated_tokens <= 4 < typed.stats.prompt_tokens
