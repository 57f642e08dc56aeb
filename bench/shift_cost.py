"""What a key's suffix shift costs, by the size of the KV cache (`model.n_ctx`).

    python -m bench.shift_cost --model M.gguf [--n-ctx 1024,2048,4096] [--keys 20]

Typing at a cursor with text after it moves the suffix's cells by one position whenever the
key changes the prompt's token count; llama.cpp then re-rotates K, and its shift graph covers
every cell the cache allocated, not the cells that moved. This types `--keys` characters of a
line back into a copy of the standard library's `email/message.py` through a
`CompletionService` (the real engine, no speculation) for each `--n-ctx`, and prints the
prompt time of the keys that moved the suffix beside those that moved nothing (their character
merged into the last token). bench/README.md, "open-wait-type after session 8's fixes".
"""

from __future__ import annotations

import argparse
import email.message
import statistics
import sys
from pathlib import Path

from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.config.settings import load_settings
from coderd.models.loader import load_engine

LINE = "    def set_payload"  # the start of the line that is typed back


def keys(model: str, n_ctx: int, count: int) -> tuple[int, list[tuple[bool, float, int]]]:
    """The positions allocated (the KV cache is sized to the planned prompts: engine.py
    `fit_cache`), and (moved the suffix, prompt ms, prompt tokens) of each key after the
    first."""
    options = {"model": {"path": model, "n_ctx": n_ctx}, "completion": {"speculate": False}}
    settings = load_settings(config_path=Path("/nonexistent"), environ={}, init_options=options)
    service = CompletionService(settings.settings, load_engine)
    service.start()
    allocated = service.model_ready.result().n_ctx
    text = Path(email.message.__file__).read_text(encoding="utf-8")
    cut = text.index(LINE)
    typed = text[cut : text.index("\n", cut)]
    base = text[:cut] + text[cut + len(typed) :]
    rows, last_tokens = [], None
    try:
        for i in range(count + 1):
            doc = base[:cut] + typed[:i] + base[cut:]
            stats = service.submit(DocumentSnapshot("k", doc, cut + i, "python")).future.result()
            st = stats.stats
            if st is None or st.stop_reason == "cache":
                continue  # answered from the completion cache: no prompt
            if last_tokens is not None and st.evaluated_tokens <= 4:
                rows.append((st.prompt_tokens != last_tokens, st.prompt_ms, st.prompt_tokens))
            last_tokens = st.prompt_tokens
    finally:
        service.shutdown()
        service.join(10)
    return allocated, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--n-ctx", default="1024,2048,4096")
    parser.add_argument("--keys", type=int, default=20)
    args = parser.parse_args(argv)
    print(
        "| n_ctx | allocated | prompt tokens | keys that moved the suffix: prompt ms p50 (n) | keys that "
        "moved nothing: prompt ms p50 (n) |\n|---|---|---|---|---|"
    )
    for n_ctx in (int(n) for n in args.n_ctx.split(",")):
        allocated, rows = keys(args.model, n_ctx, args.keys)
        moved = [ms for m, ms, _ in rows if m]
        still = [ms for m, ms, _ in rows if not m]
        sizes = [t for _, _, t in rows]

        def cell(values: list[float]) -> str:
            return f"{statistics.median(values):.0f} ({len(values)})" if values else "-"

        span = f"{min(sizes)}-{max(sizes)}" if sizes else "-"
        print(f"| {n_ctx} | {allocated} | {span} | {cell(moved)} | {cell(still)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
