"""Keystrokes through the remote backend's raw shape against llama-server: what the server's
prompt cache holds per key (issue #15).

    python -m bench.remote_keys --model M.gguf [--llama-server BIN] [--keys 16]
        [--path /completion | /v1/completions] [--stop-rule]

Starts llama-server (bench/build_llama_server.sh builds it; one slot, 2 threads,
--cache-reuse 256) on the model,
then types `--keys` characters at the end of a prefix through coderd's RemoteEngine with
remote.format = "raw": repository context (3 KB of coderd/engine/base.py under a "# path"
header), the prefix (coderd/engine/remote/shapes/raw.py up to `def layout(`), 600 characters
of suffix. Prints, per key, the prompt's tokens, what the server reused from its cache and what
it evaluated (its own counts: `timings.cache_n`/`prompt_n`, or `usage` with
`prompt_tokens_details.cached_tokens`), and the time to the first token; then the cold key
against the median of the others. `--stop-rule` leaves each stream at its first piece, as
coderd's stop rule does on a finished line: on /v1/completions the cached count then comes only
from the stream read on to its last chunk (engine/remote/drain.py), which the bench waits for
before the next key (a user's next key may close it first). The cold key ends by itself.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits
from coderd.engine.remote.client import RemoteEngine, RemoteOptions

from .infill_baseline import llama_server

ROOT = Path(__file__).resolve().parents[1]
TYPED = "def escape_all(text: str) -> str:\n    return"


def prompt_texts() -> tuple[str, str, str]:
    base = (ROOT / "coderd/engine/base.py").read_text()
    context = f"# coderd/engine/base.py\n{base[:3000]}\n# coderd/engine/remote/shapes/raw.py\n"
    text = (ROOT / "coderd/engine/remote/shapes/raw.py").read_text()
    cut = text.index("def layout(")
    return context, text[:cut], text[cut : cut + 600]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--llama-server", type=Path, default=Path("/tmp/llama-build/bin/llama-server"))
    ap.add_argument("--keys", type=int, default=16)
    ap.add_argument("--path", default="/completion", help="/completion or /v1/completions")
    ap.add_argument("--stop-rule", action="store_true", help="leave each stream at its first piece")
    args = ap.parse_args()
    stop = (lambda text: len(text) if text else None) if args.stop_rule else None
    context, prefix, suffix = prompt_texts()
    args_np = ["-np", "1", "-c", "4096"]
    with llama_server(args.llama_server, args.model, n_ctx=4096, extra_args=args_np) as (port, _):
        engine = RemoteEngine(
            RemoteOptions(
                url=f"http://127.0.0.1:{port}{args.path}",
                format="raw",
                api_key_env="",
                timeout_ms=600_000,
                local_model=str(args.model),
            ),
            environ={},
        )
        print(f"token budgets: {engine.tokenizer_name}")
        rows = []
        try:
            for k in range(min(args.keys, len(TYPED)) + 1):
                prompt = FimPrompt(
                    prefix_ids=engine.tokenize(prefix + TYPED[:k]),
                    suffix_ids=engine.tokenize(suffix),
                    context_ids=engine.tokenize(context),
                )
                # The cold key ends by itself, as coderd's first prewarm of a file would: the
                # engine learns there that the server sends a last usage chunk (drain.py).
                rule = stop if k else None
                limits = GenerationLimits(max_tokens=4, time_budget_s=60, stop_check=rule)
                done = engine.complete(prompt, limits, CancelToken())
                engine.finish_reports(60)  # a stream left early: its last chunk's counts
                s = done.stats
                rows.append((s.reused_tokens, s.evaluated_tokens, s.prompt_ms))
                print(
                    f"key {k:2d}: prompt {s.reused_tokens + s.evaluated_tokens} tokens, reused "
                    f"{s.reused_tokens}, evaluated {s.evaluated_tokens}, first token "
                    f"{s.prompt_ms:.0f} ms ({s.stop_reason}{engine.last_error or ''})"
                )
        finally:
            engine.close()
    cold, warm = rows[0], rows[1:]
    print(f"cold key: evaluated {cold[1]}, first token {cold[2]:.0f} ms")
    print(
        f"keys 1-{len(warm)}: reused median {statistics.median(r[0] for r in warm):.0f}, evaluated "
        f"median {statistics.median(r[1] for r in warm):.0f}, first token median "
        f"{statistics.median(r[2] for r in warm):.0f} ms"
    )


if __name__ == "__main__":
    main()
