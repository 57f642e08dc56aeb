"""Several candidates on explicit requests, suggestion ids, and the accept/reject reports."""

from __future__ import annotations

from lsp_client import open_doc, running_server, status
from lsprotocol import types

URI = "file:///work/cands.py"
TEXT = "x = \n"
SCRIPT = {"rules": [{"after": "x = ", "replies": ["1", "2", "1", "3", "4"]}]}


async def request(client, kind):
    return await client.protocol.send_request_async(
        types.TEXT_DOCUMENT_INLINE_COMPLETION,
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=0, character=4),
            context=types.InlineCompletionContext(trigger_kind=kind),
        ),
    )


async def test_typing_gets_one_and_invoking_gets_distinct_candidates(tmp_path):
    async with running_server(tmp_path, fake=SCRIPT) as client:
        open_doc(client, URI, TEXT)
        typed = await request(client, types.InlineCompletionTriggerKind.Automatic)
        assert [i.insert_text for i in typed.items] == ["1"]
        asked = await request(client, types.InlineCompletionTriggerKind.Invoked)
        # completion.candidates = 3 by default; the duplicate "1" is dropped.
        assert [i.insert_text for i in asked.items] == ["1", "2"]
        ids = [i.command.arguments[0]["id"] for i in asked.items]
        assert len(set(ids)) == 2 and all(
            i.command.command == "coderd.accepted" for i in asked.items
        )


async def test_reports_are_counted_per_kind(tmp_path):
    async with running_server(
        tmp_path, fake=SCRIPT, init_options={"completion": {"candidates": 5}}
    ) as client:
        open_doc(client, URI, TEXT)
        items = (await request(client, types.InlineCompletionTriggerKind.Invoked)).items
        assert [i.insert_text for i in items] == ["1", "2", "3", "4"]
        first, second, third = (i.command.arguments[0]["id"] for i in items[:3])
        client.protocol.notify("coderd/didShow", {"id": first})
        client.protocol.notify(
            "coderd/didAccept", {"id": first, "kind": "all", "acceptedText": "1"}
        )
        client.protocol.notify(
            "coderd/didAccept", {"id": second, "kind": "word", "acceptedText": ""}
        )
        client.protocol.notify("coderd/didReject", {"id": third})
        client.protocol.notify("coderd/didReject", {"id": "no-such-id"})
        client.protocol.notify("coderd/didAccept", {"nonsense": True})
        events = (await status(client)).events
        assert (events.shown, events.accepted, events.partial, events.rejected) == (1, 1, 1, 1)
        assert events.unknown_ids == 2 and events.offered == 4
        assert len(client.messages) == 0  # hints, never pop-ups


async def test_typing_through_a_suggestion_needs_no_model_call(tmp_path):
    from lsp_client import edit, inline

    script = {"rules": [{"after": "def add(a, b):\n    ", "reply": "return a + b"}]}
    uri = "file:///work/add.py"
    text = "def add(a, b):\n    \n"
    async with running_server(tmp_path, fake=script) as client:
        open_doc(client, uri, text)
        first = await inline(client, uri, 1, 4)
        assert [i.insert_text for i in first.items] == ["return a + b"]
        for n, ch in enumerate("retu", start=1):
            edit(client, uri, n + 1, (1, 3 + n), (1, 3 + n), ch)
            result = await inline(client, uri, 1, 4 + n)
            assert [i.insert_text for i in result.items] == ["return a + b"[n:]]
            assert (await status(client)).last.stop_reason == "cache"
        state = await status(client)
        assert state.cache.hits == 4
        # Typing something the suggestion does not say goes back to the model.
        edit(client, uri, 6, (1, 8), (1, 8), "X")
        await inline(client, uri, 1, 9)
        assert (await status(client)).last.stop_reason != "cache"


async def test_accepting_a_suggestion_is_answered_from_speculation(tmp_path):
    import asyncio

    from lsp_client import edit, inline

    script = {
        "rules": [
            {"after": "def f():\n    a = 1", "reply": "  # the answer"},
            {"after": "def f():\n    ", "reply": "a = 1"},
        ]
    }
    uri = "file:///work/spec.py"
    async with running_server(tmp_path, fake=script) as client:
        open_doc(client, uri, "def f():\n    \n")
        first = await inline(client, uri, 1, 4)
        assert [i.insert_text for i in first.items] == ["a = 1"]
        for _ in range(200):  # the worker speculates once it is idle
            if (await status(client)).cache.speculations >= 1:
                break
            await asyncio.sleep(0.02)
        edit(client, uri, 2, (1, 4), (1, 4), "a = 1")  # the editor inserts the accepted text
        after = await inline(client, uri, 1, 9)
        assert [i.insert_text for i in after.items] == ["  # the answer"]
        assert (await status(client)).last.stop_reason == "cache"


async def test_a_new_request_cancels_speculation(tmp_path):
    from lsp_client import edit, inline

    # Slow engine: speculation would hold the worker for 1 s unless cancelled.
    script = {"delay_s": 1.0, "rules": [{"after": "x = ", "reply": "compute()"}]}
    uri = "file:///work/cancel_spec.py"
    async with running_server(tmp_path, fake=script) as client:
        open_doc(client, uri, "x = \n")
        await inline(client, uri, 0, 4)  # 1 s; then speculation starts
        edit(client, uri, 2, (0, 4), (0, 4), "y")
        import time

        started = time.perf_counter()
        await inline(client, uri, 0, 5)
        # One engine delay (1 s) for this request, not two: the speculation was dropped.
        assert time.perf_counter() - started < 1.9
        assert (await status(client)).cache.speculations == 0


async def test_a_fast_engine_decodes_every_key_of_a_burst(tmp_path):
    """No fixed delay: the scripted engine decodes in no time, far less than the gap between
    keys, so every request of a burst decodes at once (a fixed debounce would hold each one
    back until the next key superseded it)."""
    import asyncio

    from lsp_client import edit, inline

    script = {"rules": [{"after": "", "reply": "x"}]}
    uri = "file:///work/burst.py"
    async with running_server(tmp_path, fake=script) as client:
        open_doc(client, uri, "a\n")
        edit(client, uri, 2, (0, 1), (0, 1), "b")
        await inline(client, uri, 0, 2)  # a decode measured: it costs nothing here
        tasks = []
        for i in range(6):  # keys 40 ms apart, each followed by a request, none awaited
            edit(client, uri, i + 3, (0, 2 + i), (0, 2 + i), "b")
            tasks.append(asyncio.ensure_future(inline(client, uri, 0, 3 + i)))
            await asyncio.sleep(0.04)
        answers = await asyncio.gather(*tasks)
        # Each answered before the next key came (one may lose the race on a loaded machine).
        assert sum(len(a.items) for a in answers) >= 5
