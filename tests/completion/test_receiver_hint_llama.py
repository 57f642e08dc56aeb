"""The receiver hint in the prompt the real engine evaluates (tiny model, real tokenizer, real
index of real files): after `ctx.` the Context's members sit right above the cursor's line;
typing the member's name evaluates only what was typed; a line without a receiver has none."""

from __future__ import annotations

from pathlib import Path

from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.config.settings import load_settings
from coderd.context.provider import ContextProvider
from coderd.engine.llama.engine import EngineOptions, LlamaEngine
from coderd.engine.llama.model import LlamaModel

MODELS = (
    "class Context:\n    def invoke(self, callback):\n        pass\n\n"
    "    def forward(self, command):\n        pass\n"
)
HEAD = "from .models import Context\n\n\ndef run(ctx: Context):\n    value = 1\n"


def test_the_engine_gets_the_hint_above_the_cursors_line(tiny_model_path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "models.py").write_text(MODELS)
    main = root / "pkg" / "main.py"
    main.write_text(HEAD)
    # No context block: it would list Context's two members, and the hint leaves those out.
    options = {
        "completion": {"latency_target_ms": 0, "speculate": False, "max_tokens": 2},
        "context": {"budget_tokens": 0},
    }
    settings = load_settings(config_path=Path("/nonexistent"), environ={}, init_options=options)
    provider = ContextProvider(settings.settings.context, [root])
    assert provider.index_for(main).wait_ready(30)
    service = CompletionService(
        settings.settings,
        lambda _s: LlamaEngine(tiny_model_path, EngineOptions(threads=2)),
        provider,
    )
    service.start()
    service.model_ready.result(timeout=60)
    vocab = LlamaModel(tiny_model_path, gpu_layers=0, vocab_only=True)

    def ask(line: str):
        text = HEAD + line
        provider.set_buffer(main, text).result(20)  # didChange: the parse, the look-ahead
        snap = DocumentSnapshot(main.as_uri(), text, len(text), "python", path=str(main))
        outcome = service.submit(snap).future.result(timeout=60)
        assert outcome.status == "ok" and outcome.stats is not None
        prefix = dict(outcome.pieces)["prefix"]
        return outcome, b"".join(vocab.piece(t) for t in prefix).decode("utf-8")

    try:
        first, prefix = ask("    ctx.")
        assert first.hint_text.startswith("    # ctx: Context (pkg/models.py)\n")
        assert "    #   def invoke(self, callback):\n" in first.hint_text
        assert prefix.endswith(HEAD + first.hint_text + "    ctx.")
        assert first.prefix_text.endswith(HEAD + "    ctx.")  # the file's text, for policy
        typed, prefix = ask("    ctx.inv")  # the hint stays, in the KV cache
        assert typed.hint_text == first.hint_text and prefix.endswith(
            first.hint_text + "    ctx.inv"
        )
        assert typed.stats.evaluated_tokens <= 4 < len(vocab.tokenize(first.hint_text))
        plain, prefix = ask("    value")
        assert plain.hint_text == "" and "#   def" not in prefix
    finally:
        vocab.close()
        service.shutdown()
        service.join(10)
        provider.close()
