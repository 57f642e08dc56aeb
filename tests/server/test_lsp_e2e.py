"""End to end: a real LSP client over stdio against `coderd lsp` with the real llama.cpp engine."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest
from lsp_client import edit, inline, open_doc, running_server, status
from lsprotocol import types
from pygls.exceptions import JsonRpcException

URI = "file:///work/example.py"
SOURCE = (
    "import json\n\n\n"
    "def load(path):\n"
    "    with open(path) as handle:\n"
    "        data = json.load(handle)\n"
    "    result = \n"
    "    return result\n\n\n"
    "def main():\n"
    "    print(load('settings.json'))\n"
)
CURSOR_LINE = 6  # "    result = " : typing continues at the end of this line


async def wait_until_ready(client, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = await status(client)
        if state.state != "loading":
            return state
        await asyncio.sleep(0.05)
    raise AssertionError("model did not load")


async def test_twenty_keystrokes_reuse_the_cache(tmp_path, tiny_model_path):
    async with running_server(tmp_path, model=tiny_model_path) as client:
        assert client.init_result.capabilities.inline_completion_provider
        open_doc(client, URI, SOURCE)
        state = await wait_until_ready(client)
        assert state.state == "ready", state
        typed = "json.dumps(data, indent=2)"[:20]
        column = len("    result = ")
        evaluated, answered = [], 0
        for i, ch in enumerate(typed):
            edit(client, URI, i + 2, (CURSOR_LINE, column + i), (CURSOR_LINE, column + i), ch)
            result = await inline(client, URI, CURSOR_LINE, column + i + 1)
            assert isinstance(result, types.InlineCompletionList)
            for item in result.items:
                here = types.Position(CURSOR_LINE, column + i + 1)
                assert item.range == types.Range(start=here, end=here)
                assert item.insert_text.strip()
            answered += 1
            evaluated.append((await status(client)).last.evaluated_tokens)
        assert answered == 20
        # After the first request, a keystroke evaluates only the changed end of the prefix.
        assert statistics.median(evaluated[1:]) <= 8, evaluated
        doc = await client.protocol.send_request_async("coderd/document", {"uri": URI})
        assert typed in doc.text


async def test_missing_model_is_reported_once_and_completions_are_empty(tmp_path):
    async with running_server(tmp_path, model=tmp_path / "nowhere.gguf") as client:
        open_doc(client, URI, SOURCE)
        state = await wait_until_ready(client)
        assert state.state == "failed"
        for _ in range(3):
            result = await inline(client, URI, CURSOR_LINE, 4)
            assert isinstance(result, types.InlineCompletionList) and len(result.items) == 0
        await asyncio.sleep(0.2)
        errors = [m for m in client.messages if m.type == types.MessageType.Error]
        assert len(errors) == 1
        assert "model file not found" in errors[0].message
        assert "CODERD_MODEL_PATH" in errors[0].message  # the message says how to fix it


async def test_truncated_gguf_does_not_kill_the_server(tmp_path, tiny_model_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(tiny_model_path.read_bytes()[:50_000])
    async with running_server(tmp_path, model=broken) as client:
        open_doc(client, URI, SOURCE)
        assert (await wait_until_ready(client)).state == "failed"
        assert len((await inline(client, URI, CURSOR_LINE, 4)).items) == 0
        assert any("could not load" in m.message for m in client.messages)


async def test_prefix_only_starter_style_model_says_so(tmp_path, synthetic_cache_dir):
    from coderd.testing.synthetic import cached_model

    model = cached_model("tiny", cache_dir=synthetic_cache_dir, fim=False)
    async with running_server(tmp_path, model=model) as client:
        open_doc(client, URI, SOURCE)
        assert (await wait_until_ready(client)).state == "prefix-only"
        await asyncio.sleep(0.2)
        assert any("prefix-only" in m.message for m in client.messages)
        result = await inline(client, URI, CURSOR_LINE, len("    result = "))
        assert isinstance(result, types.InlineCompletionList)


async def test_cancel_request_during_long_prompt_evaluation(tmp_path, synthetic_cache_dir):
    """A long prompt on a model big enough that evaluating it takes a while."""
    from coderd.testing.synthetic import cached_model

    model = cached_model("small", cache_dir=synthetic_cache_dir)
    big = "def f(value):\n    return value * 2 + 1  # arithmetic\n" * 400
    options = {"model": {"n_ctx": 8192}, "completion": {"prefix_tokens": 6000, "suffix_tokens": 0}}
    async with running_server(tmp_path, model=model, init_options=options) as client:
        open_doc(client, URI, big)
        assert (await wait_until_ready(client)).state == "ready"
        request = asyncio.ensure_future(inline(client, URI, 800, 0, msg_id="long-1"))
        await asyncio.sleep(0.3)
        assert not request.done(), "evaluation finished before it could be cancelled"
        sent = time.perf_counter()
        client.protocol.notify("$/cancelRequest", types.CancelParams(id="long-1"))
        with pytest.raises(JsonRpcException):
            await request
        answered_ms = (time.perf_counter() - sent) * 1000
        print(f"cancel answered in {answered_ms:.1f} ms")
        # The engine stopped mid-evaluation: the next request is served promptly.
        state = await status(client)
        follow_up = await asyncio.wait_for(inline(client, URI, 1, 0), timeout=30)
        assert isinstance(follow_up, types.InlineCompletionList)
        last = (await status(client)).last
        assert last.stop_reason != "cancelled"
        assert state.state == "ready"


async def test_repository_context_stays_cached_while_typing(tmp_path, tiny_model_path):
    """With a workspace root, imported definitions go in front; keystrokes still reuse the cache."""
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "shapes.py").write_text(
        "class Square:\n    def __init__(self, side):\n        self.side = side\n\n"
        "    def area(self):\n        return self.side ** 2\n"
    )
    main = root / "pkg" / "main.py"
    text = (
        "from pkg.shapes import Square\n\n\ndef total(items):\n    result = \n    return result\n"
    )
    main.write_text(text)
    uri = main.as_uri()
    async with running_server(tmp_path / "home", model=tiny_model_path, root=root) as client:
        open_doc(client, uri, text)
        assert (await wait_until_ready(client)).state == "ready"
        column = len("    result = ")
        # The index builds in the background, and a new block is taken once it is evaluated
        # in the background too: ask in place until the context is in (a fast engine types the
        # twenty keys below before that, otherwise). Asked again in place, the answer comes
        # from the cache; the block then comes with the prewarm at the index's first build.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            await inline(client, uri, 4, column)
            state = await status(client)
            warmed = state.prewarm.last
            switched = warmed and warmed.stop_reason == "prewarm" and warmed.context_tokens > 20
            if state.last.context_tokens > 20 or switched:
                break
            await asyncio.sleep(0.1)
        context_sizes, evaluated = [], []
        for i, ch in enumerate("sum(Square(x).area()"):
            edit(client, uri, i + 2, (4, column + i), (4, column + i), ch)
            await inline(client, uri, 4, column + i + 1)
            last = (await status(client)).last
            if last.stop_reason == "cache":  # typed through the suggestion: no prompt at all
                continue
            context_sizes.append(last.context_tokens)
            evaluated.append(last.evaluated_tokens)
        # Once the context is in, it stays the same while the user types.
        assert context_sizes[0] > 20 and len(set(context_sizes)) == 1, context_sizes
        assert statistics.median(evaluated[-10:]) <= 8, evaluated
