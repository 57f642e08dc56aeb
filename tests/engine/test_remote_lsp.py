"""The raw shape through the whole server: a real `coderd lsp --standalone` over stdio, whose
remote backend is llama-server on loopback; `coderd/status` shows what the server's cache held
(`last.reused_tokens`) while the user types."""

from __future__ import annotations

import asyncio

import pytest
from lsp_client import edit, inline, open_doc, running_server, status
from remote_recorder import llama_server, llama_server_binary  # tests/ is on sys.path

pytestmark = pytest.mark.skipif(
    llama_server_binary() is None,
    reason="no llama-server: build it with bench/build_llama_server.sh (or set "
    "$CODERD_LLAMA_SERVER)",
)

UTIL = "TWO = 2\n\n\ndef double(x):\n    return x * TWO\n"
MAIN = "from util import double\n\n\ndef add(a, b):\n    return \n\n\nprint(add(1, 2))\n"


async def test_typing_through_the_lsp_reuses_the_servers_cache(tmp_path, tiny_model_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "util.py").write_text(UTIL)
    (project / "main.py").write_text(MAIN)
    env = {
        "CODERD_REMOTE_ENABLED": "1",
        "CODERD_REMOTE_FORMAT": "raw",
        "CODERD_MODEL_PATH": str(tiny_model_path),  # its vocabulary counts the budgets
        "CODERD_COMPLETION_MAX_TOKENS": "4",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    with llama_server(tiny_model_path, tmp_path / "server.log", ["-c", "2048", "-np", "1"]) as url:
        env["CODERD_REMOTE_URL"] = url + "/completion"
        async with running_server(tmp_path / "home", env=env, daemon=False, root=project) as client:
            uri = (project / "main.py").as_uri()
            open_doc(client, uri, MAIN)
            seen = []
            for version, ch in enumerate("a + b", start=2):
                column = 11 + version - 2
                edit(client, uri, version, (4, column), (4, column), ch)
                await inline(client, uri, 4, column + 1)
                last = (await status(client)).last  # pygls gives objects, not dicts
                seen.append((last.stop_reason, last.reused_tokens, last.evaluated_tokens))
                await asyncio.sleep(0.05)
    print("stop, reused, evaluated per key:", seen)
    answered = [s for s in seen if s[0] not in ("error", "timeout", "cancelled")]
    assert len(answered) >= 3, seen
    # After the first keys, the server takes most of each prompt from its cache.
    assert all(reused > evaluated for _, reused, evaluated in answered[1:]), seen
