"""coderd/didMoveCursor through the relay and the daemon, with the real engine: the first key
where a client said the cursor went evaluates only what changed, where the same key without
the hint evaluates the prompt's window whole."""

from __future__ import annotations

import asyncio
import time

from lsp_client import edit, inline, open_doc, running_server, status

SOURCE = "".join(f"def step_{n}(value):\n    return value * {n} + {n % 7}\n\n" for n in range(60))
LINE = 90  # "def step_30(value):" : the user goes there and types at the start of the line


async def prewarms_ended(client, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = (await status(client)).prewarm
        if counts.done + counts.cancelled >= n and counts.done + counts.cancelled == counts.queued:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the prewarms did not end")


async def first_key(client, uri: str, hint: bool, ended: int) -> tuple[int, int]:
    """Open `uri`, let its prewarm end, [say the cursor went to LINE], type a key there:
    (tokens evaluated, prompt tokens) of that key's request."""
    open_doc(client, uri, SOURCE)
    await prewarms_ended(client, ended + 1)
    if hint:
        client.protocol.notify(
            "coderd/didMoveCursor",
            {"textDocument": {"uri": uri}, "position": {"line": LINE, "character": 0}},
        )
        await prewarms_ended(client, ended + 2)
    edit(client, uri, 2, (LINE, 0), (LINE, 0), "@")
    await inline(client, uri, LINE, 1)
    last = (await status(client)).last
    assert not last.prewarm
    return last.evaluated_tokens, last.prompt_tokens


async def test_the_first_key_where_the_cursor_went_finds_its_prompt_prewarmed(
    tmp_path, tiny_model_path
):
    async with running_server(tmp_path, model=tiny_model_path) as client:
        cold, cold_prompt = await first_key(client, "file:///work/cold.py", hint=False, ended=0)
        ended = (await status(client)).prewarm.queued
        warm, warm_prompt = await first_key(client, "file:///work/warm.py", hint=True, ended=ended)
    assert cold_prompt > 100 and warm_prompt > 100
    assert cold > cold_prompt / 2  # without the hint: the window at the cursor is new
    assert warm < cold / 3, (warm, cold)
