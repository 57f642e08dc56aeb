"""Deterministic server behaviour over LSP with the scripted engine (coderd/engine/fake.py):
policy post-processing, supersession, $/cancelRequest, configuration warnings, status."""

from __future__ import annotations

import asyncio
import collections
import time

import pytest
from lsp_client import edit, inline, open_doc, running_server, status
from lsprotocol import types
from pygls.exceptions import JsonRpcException

URI = "file:///work/behaviour.py"
REQUEST_CANCELLED = -32800


def count_responses(client) -> collections.Counter:
    """How many responses the client received per request id."""
    counts: collections.Counter = collections.Counter()
    original = client.protocol._handle_response

    def counting(msg_id, *args, **kwargs):
        counts[msg_id] += 1
        return original(msg_id, *args, **kwargs)

    client.protocol._handle_response = counting
    return counts


def suggestion(result) -> str | None:
    assert isinstance(result, types.InlineCompletionList)
    if len(result.items) == 0:
        return None
    assert len(result.items) == 1
    return result.items[0].insert_text


async def wait_for_messages(client, count: int, timeout: float = 2.0) -> list:
    deadline = time.monotonic() + timeout
    while len(client.messages) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return list(client.messages)


# -- policy ----------------------------------------------------------------------------------

BODY = "if y > 2:\n        return y\n    return 0\nprint(f(2))\n"  # dedents at print
POLICY_RULES = {
    "rules": [
        {"after": "result = ", "reply": "foo()\nbar()"},
        {"after": "y = x + 1\n    ", "reply": BODY},
        {"after": "y = x + 1\r\n    ", "reply": BODY},  # the model writes LF in a CRLF file too
        {"after": "print(", "reply": "x)"},
    ]
}


async def test_end_of_line_is_single_line(tmp_path):
    source = "import os\nresult = \nprint(result)\n"
    async with running_server(tmp_path, fake=POLICY_RULES) as client:
        open_doc(client, URI, source)
        result = await inline(client, URI, 1, len("result = "))
        assert suggestion(result) == "foo()"
        here = types.Position(1, len("result = "))
        assert result.items[0].range == types.Range(start=here, end=here)


async def test_blank_line_in_function_body_is_multi_line_until_dedent(tmp_path):
    source = "def f(x):\n    y = x + 1\n    \n\nprint(f(1))\n"
    async with running_server(tmp_path, fake=POLICY_RULES) as client:
        open_doc(client, URI, source)
        result = await inline(client, URI, 2, 4)
        assert suggestion(result) == "if y > 2:\n        return y\n    return 0"
        # The same document with CRLF line breaks gets a CRLF suggestion (the model wrote LF).
        crlf = "file:///work/crlf.py"
        open_doc(client, crlf, source.replace("\n", "\r\n"))
        result = await inline(client, crlf, 2, 4)
        assert suggestion(result) == "if y > 2:\r\n        return y\r\n    return 0"


async def test_auto_closed_paren_is_not_doubled(tmp_path):
    async with running_server(tmp_path, fake=POLICY_RULES) as client:
        open_doc(client, URI, "x = 1\nprint()\n")
        assert suggestion(await inline(client, URI, 1, len("print("))) == "x"


async def test_cursor_column_is_utf16_code_units(tmp_path):
    # "😀" is two UTF-16 code units: column 7 is right after it, column 6 inside it (which
    # rounds down to before it). The rule that fires shows where the engine's prefix ended.
    script = {
        "rules": [
            {"after": "😀'", "reply": "at_end"},
            {"after": "😀", "reply": "after_emoji"},
            {"after": "= '", "reply": "before_emoji"},
        ]
    }
    async with running_server(tmp_path, fake=script) as client:
        open_doc(client, URI, "s = '😀'\nrest\n")
        assert suggestion(await inline(client, URI, 0, 8)) == "at_end"
        assert suggestion(await inline(client, URI, 0, 7)) == "after_emoji"
        inside = await inline(client, URI, 0, 6)
        assert suggestion(inside) == "before_emoji"
        before = types.Position(0, 5)  # the range is where the text goes: not inside the emoji
        assert inside.items[0].range == types.Range(start=before, end=before)


# -- supersession and cancellation -----------------------------------------------------------


@pytest.mark.parametrize("gap_s", [0.0, 0.3])
async def test_newer_request_supersedes_older(tmp_path, gap_s):
    script = {
        "delay_s": 1.0,
        "rules": [
            {"after": "value = v", "reply": "alue_two"},
            {"after": "value = ", "reply": "first"},
        ],
    }
    async with running_server(tmp_path, fake=script) as client:
        counts = count_responses(client)
        open_doc(client, URI, "value = \n")
        answered: dict[str, float] = {}
        started = time.perf_counter()
        first = asyncio.ensure_future(inline(client, URI, 0, 8, msg_id="first"))
        first.add_done_callback(lambda _: answered.setdefault("first", time.perf_counter()))
        if gap_s:
            await asyncio.sleep(gap_s)  # the first is now in the middle of its 1 s "evaluation"
        edit(client, URI, 2, (0, 8), (0, 8), "v")
        second = await asyncio.wait_for(inline(client, URI, 0, 9, msg_id="second"), timeout=10)
        first_result = await first
        first_ms = (answered["first"] - started) * 1000
        print(f"superseded request (gap {gap_s} s) answered after {first_ms:.0f} ms")
        assert suggestion(first_result) is None
        assert first_ms < 900
        assert suggestion(second) == "alue_two"
        await asyncio.sleep(0.1)  # room for a (wrong) duplicate answer to arrive
        assert counts == {"first": 1, "second": 1}


async def test_cancel_request(tmp_path):
    script = {"delay_s": 1.0, "rules": [{"after": "value = ", "reply": "42"}]}
    async with running_server(tmp_path, fake=script) as client:
        counts = count_responses(client)
        open_doc(client, URI, "value = \n")
        request = asyncio.ensure_future(inline(client, URI, 0, 8, msg_id="cancel-me"))
        await asyncio.sleep(0.2)
        assert not request.done()
        sent = time.perf_counter()
        client.protocol.notify("$/cancelRequest", types.CancelParams(id="cancel-me"))
        with pytest.raises(JsonRpcException) as caught:
            await asyncio.wait_for(request, timeout=5)
        print(f"cancelled request answered in {(time.perf_counter() - sent) * 1000:.1f} ms")
        assert caught.value.code == REQUEST_CANCELLED
        # The engine stopped early: the next request is served, by a fresh run of the engine.
        follow_up = await asyncio.wait_for(inline(client, URI, 0, 8, msg_id="next"), timeout=5)
        assert suggestion(follow_up) == "42"
        assert (await status(client)).last.stop_reason == "stop"
        # Cancelling a request that is already answered (or unknown) changes nothing.
        client.protocol.notify("$/cancelRequest", types.CancelParams(id="next"))
        assert suggestion(await inline(client, URI, 0, 8, msg_id="after")) == "42"
        await asyncio.sleep(0.1)  # room for a (wrong) second answer to "cancel-me" to arrive
        assert {"cancel-me", "next", "after"} <= set(counts)
        assert all(n == 1 for n in counts.values()), counts


# -- configuration ---------------------------------------------------------------------------

SIMPLE = {"rules": [{"after": "value = ", "reply": "abcdefgh"}]}


async def test_bad_init_option_is_one_warning(tmp_path):
    options = {"completion": {"max_tokens": "lots", "max_lines": 3}, "nonsense": {}}
    async with running_server(tmp_path, fake=SIMPLE, init_options=options) as client:
        open_doc(client, URI, "value = \n")
        for _ in range(3):
            assert suggestion(await inline(client, URI, 0, 8)) == "abcdefgh"
        messages = await wait_for_messages(client, 1)
        await asyncio.sleep(0.2)
        warnings = [m for m in client.messages if m.type == types.MessageType.Warning]
        assert len(warnings) == 1, messages
        assert "completion.max_tokens" in warnings[0].message
        state = await status(client)
        assert any("completion.max_tokens" in p for p in state.problems)


async def test_valid_init_option_applies(tmp_path):
    options = {"completion": {"max_tokens": 3}}
    async with running_server(tmp_path, fake=SIMPLE, init_options=options) as client:
        open_doc(client, URI, "value = \n")
        assert suggestion(await inline(client, URI, 0, 8)) == "abc"
        await asyncio.sleep(0.1)
        assert client.messages == []


async def test_broken_config_file_is_one_warning_naming_the_line(tmp_path):
    config = tmp_path / "config" / "coderd" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[completion]\nmax_tokens = 3\nmax_lines = = 3\n")
    async with running_server(tmp_path, fake=SIMPLE) as client:
        open_doc(client, URI, "value = \n")
        # The whole file is ignored, so max_tokens keeps its default.
        assert suggestion(await inline(client, URI, 0, 8)) == "abcdefgh"
        await wait_for_messages(client, 1)
        await asyncio.sleep(0.2)
        assert len(client.messages) == 1, client.messages
        message = client.messages[0]
        assert message.type == types.MessageType.Warning
        assert f"{config}:3" in message.message and "invalid TOML" in message.message


# -- status ----------------------------------------------------------------------------------


async def test_status_ready_with_last_stats(tmp_path):
    async with running_server(tmp_path, fake=SIMPLE) as client:
        open_doc(client, URI, "value = \n")
        deadline = time.monotonic() + 5
        while (state := await status(client)).state == "loading" and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert state.state == "ready" and state.model == "scripted-fake"
        assert state.last is None and state.problems == [] and state.position_encoding == "utf-16"
        assert suggestion(await inline(client, URI, 0, 8)) == "abcdefgh"
        last = (await status(client)).last
        assert last.generated_tokens == len("abcdefgh")
        assert last.prompt_tokens >= len("value = ") and last.stop_reason == "stop"
