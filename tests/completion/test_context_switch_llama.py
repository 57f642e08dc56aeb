"""The background context switch on the real engine (tiny synthetic model): while a new block
waits, keys evaluate only what they changed; the prewarm evaluates the new prompt aside; the
next key, with the new block, again evaluates only what it changed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.config.settings import load_settings
from coderd.context.pack.block import PackedContext
from coderd.context.provider import ContextProvider
from coderd.engine.llama.engine import EngineOptions, LlamaEngine

SOURCE = "import os\n\ndef read_config(path):\n    with open(path) as f:\n        return "


class Retrieval:
    def __init__(self, text: str) -> None:
        self.text = text

    def context_for(self, path: Path, text: str, offset: int, tokenize: Any, **_: Any):
        return PackedContext(self.text, [])

    latest = context_for  # what the look-ahead built after the last edit: the same here

    def receiver_hint(self, *args: Any) -> None:
        return None  # no receiver hint: these tests are about the block

    def forget(self, path: Path) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_new_block_is_evaluated_aside_and_typing_stays_cheap(tiny_model_path):
    options = {"completion": {"latency_target_ms": 0, "speculate": False, "max_tokens": 2}}
    settings = load_settings(config_path=Path("/nonexistent"), environ={}, init_options=options)
    retrieval = Retrieval("# utils.py\ndef load(path):\n    return open(path).read()\n")
    service = CompletionService(
        settings.settings,
        lambda _s: LlamaEngine(tiny_model_path, EngineOptions(threads=2)),
        cast(ContextProvider, retrieval),
    )
    service.start()
    service.model_ready.result(timeout=60)

    def ask(typed: str):
        text = SOURCE + typed
        snap = DocumentSnapshot("file:///w/a.py", text, len(text), "python", path="/w/a.py")
        outcome = service.submit(snap).future.result(timeout=60)
        assert outcome.status == "ok" and outcome.stats is not None
        return outcome

    try:
        first = ask("c")
        assert first.stats.evaluated_tokens == first.stats.prompt_tokens
        retrieval.text = "# config.py\nclass Config:\n    path: str\n    debug: bool\n"
        kept = ask("co")  # the new block waits; the key costs what it typed
        assert kept.prompt_pending and kept.context_text.startswith("# utils.py")
        assert kept.stats.evaluated_tokens <= 4 < kept.stats.prompt_tokens
        deadline = time.monotonic() + 60
        while service.status()["prewarm"]["done"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        prewarm = cast(dict, service.status()["prewarm"])
        assert prewarm["done"] == 1 and prewarm["last"]["evaluated_tokens"] > 4
        switched = ask("con")
        assert switched.context_text.startswith("# config.py")
        assert switched.stats.evaluated_tokens <= 4 < switched.stats.prompt_tokens
    finally:
        service.shutdown()
        service.join(10)


def test_a_stale_suffix_is_refreshed_at_the_pause_not_by_a_key(tiny_model_path):
    """Keys let the suffix's KV drift past completion.suffix_refresh_tokens (its whole
    evaluation was the slowest key of a typing run); the outcome says a newer prompt waits,
    and a prewarm at the user's pause evaluates the suffix again."""
    options = {"completion": {"latency_target_ms": 0, "speculate": False, "max_tokens": 2}}
    settings = load_settings(config_path=Path("/nonexistent"), environ={}, init_options=options)
    engine_options = EngineOptions(threads=2, suffix_refresh_tokens=6)
    service = CompletionService(
        settings.settings, lambda _s: LlamaEngine(tiny_model_path, engine_options)
    )
    service.start()
    service.model_ready.result(timeout=60)
    suffix = "\n\ndef main():\n    config = read_config(os.environ['CONFIG'])\n    print(config)\n"

    def key(typed: str):
        service.edited("k")
        text = SOURCE + typed + suffix
        snap = DocumentSnapshot("k", text, len(SOURCE + typed), "python")
        outcome = service.submit(snap).future.result(timeout=60)
        assert outcome.status == "ok" and outcome.stats is not None
        return outcome

    try:
        key("")
        typed, outcome = "", None
        for word in (" a", " b", " c", " d", " e", " f", " g"):
            typed += word
            outcome = key(typed)
            assert outcome.stats.suffix_shifted
            if outcome.stats.suffix_drift > 6:
                break
        assert outcome is not None and outcome.prompt_pending  # the refresh waits for a pause
        deadline = time.monotonic() + 60
        while service.status()["prewarm"]["done"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cast(dict, service.status()["prewarm"])["last"]["suffix_drift"] == 0
        after = key(typed + " h")
        assert after.stats.suffix_drift <= 2 and not after.prompt_pending
    finally:
        service.shutdown()
        service.join(10)
