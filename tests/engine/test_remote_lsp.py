"""The raw shape through the whole server: a real `coderd lsp --standalone` over stdio, whose
remote backend is llama-server, or a server keeping vLLM's contract, on loopback;
`coderd/status` shows what the server's cache held (`last.reused_tokens`) while the user types."""

from __future__ import annotations

import asyncio

import pytest
from lsp_client import edit, inline, open_doc, running_server, status
from remote_recorder import VllmContract, llama_server, llama_server_binary  # tests/ on sys.path

needs_llama_server = pytest.mark.skipif(
    llama_server_binary() is None,
    reason="no llama-server: build it with bench/build_llama_server.sh (or set "
    "$CODERD_LLAMA_SERVER)",
)

UTIL = "TWO = 2\n\n\ndef double(x):\n    return x * TWO\n"
MAIN = "from util import double\n\n\ndef add(a, b):\n    return \n\n\nprint(add(1, 2))\n"


async def type_through(tmp_path, model, url: str, until_reused: bool = False, **env) -> list:
    """A project of two files, `coderd lsp` with its remote backend at `url`, and "a + b" typed
    after `return ` in MAIN with a suggestion asked at each key: the (stop_reason, reused,
    evaluated) coderd/status shows for each, polled a while for a reused count when
    `until_reused` (a count that comes after the suggestion)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "util.py").write_text(UTIL)
    (project / "main.py").write_text(MAIN)
    env = {
        "CODERD_REMOTE_ENABLED": "1",
        "CODERD_REMOTE_URL": url,
        "CODERD_REMOTE_FORMAT": "raw",
        "CODERD_MODEL_PATH": str(model),  # its vocabulary counts the budgets
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        **env,
    }
    seen = []
    async with running_server(tmp_path / "home", env=env, daemon=False, root=project) as client:
        uri = (project / "main.py").as_uri()
        open_doc(client, uri, MAIN)
        for version, ch in enumerate("a + b", start=2):
            column = 11 + version - 2
            edit(client, uri, version, (4, column), (4, column), ch)
            await inline(client, uri, 4, column + 1)
            for _ in range(250 if until_reused else 1):  # up to about 5 s
                last = (await status(client)).last  # pygls gives objects, not dicts
                if last.reused_tokens:
                    break
                await asyncio.sleep(0.02)
            seen.append((last.stop_reason, last.reused_tokens, last.evaluated_tokens))
            await asyncio.sleep(0.05)
    print("stop, reused, evaluated per key:", seen)
    return seen


@needs_llama_server
async def test_typing_through_the_lsp_reuses_the_servers_cache(tmp_path, tiny_model_path):
    with llama_server(tiny_model_path, tmp_path / "server.log", ["-c", "2048", "-np", "1"]) as url:
        seen = await type_through(
            tmp_path, tiny_model_path, url + "/completion", CODERD_COMPLETION_MAX_TOKENS="4"
        )
    answered = [s for s in seen if s[0] not in ("error", "timeout", "cancelled")]
    assert len(answered) >= 3, seen
    # After the first keys, the server takes most of each prompt from its cache.
    assert all(reused > evaluated for _, reused, evaluated in answered[1:]), seen


async def test_coderd_status_shows_vllms_cached_tokens_when_the_policy_leaves_the_stream(
    tmp_path, tiny_model_path
):
    """vLLM's contract on loopback (tests/remote_recorder.py): the policy's stop rule ends each
    suggestion at its first line, before the last chunk, the only one with the cached tokens;
    coderd/status still shows them (the stream is read on, engine/remote/drain.py)."""
    from coderd.engine.llama.model import LlamaModel

    vocab = LlamaModel(tiny_model_path, gpu_layers=0, vocab_only=True)
    bos = vocab.bos()
    server = VllmContract(lambda text: [bos, *vocab.tokenize(text, special=True)])
    server.pieces = ["a + b\n", "\n", "def sub(a, b):\n"]  # a line, then more
    try:
        seen = await type_through(tmp_path, tiny_model_path, server.url, until_reused=True)
    finally:
        server.shutdown()
        server.server_close()
        vocab.close()
    left_early = [s for s in seen if s[0] == "stop"]
    assert len(left_early) >= 3, seen
    assert all(reused > evaluated for _, reused, evaluated in left_early[1:]), seen
