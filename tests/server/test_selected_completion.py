"""`InlineCompletionContext.selectedCompletionInfo` (LSP 3.18) over a real LSP client on stdio.

With an item of the editor's completion list selected, the server completes as if the item were
accepted and answers the item's text plus the continuation over the item's range: that is what
makes VS Code draw ghost text while its suggest widget is open (lsp/handlers/selection.py).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from lsp_client import edit, open_doc, running_server, status
from lsprotocol import types

URI = "file:///work/app.py"
SOURCE = "class Litestar:\n    pass\n\n\napp = Lit\nprint(app)\n"
LINE = 4  # "app = Lit", the cursor at its end
SCRIPT = {
    "rules": [
        # What the engine sees decides the answer: the accepted item, or the typed text.
        {"after": "s = '😀'; app = Litestar", "reply": "()"},
        {"after": "app = Litestar", "reply": "(debug=True)"},
        {"after": "app = Lit", "reply": "eral_eval(source)"},
    ]
}


def span(line: int, start: int, end: int) -> types.Range:
    return types.Range(start=types.Position(line, start), end=types.Position(line, end))


async def ask(client, line: int, character: int, selected=None, uri: str = URI):
    info = None
    if selected is not None:
        info = types.SelectedCompletionInfo(range=selected[0], text=selected[1])
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line, character),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic,
            selected_completion_info=info,
        ),
    )
    result = await client.protocol.send_request_async(types.TEXT_DOCUMENT_INLINE_COMPLETION, params)
    assert isinstance(result, types.InlineCompletionList)
    return [(item.insert_text, item.range) for item in result.items]


async def wait_until_ready(client, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while (state := await status(client)).state == "loading" and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return state


ITEM = (span(LINE, 6, 9), "Litestar")  # the word list's "Litestar" replacing "Lit"
AT_CURSOR = span(LINE, 9, 9)


async def test_selected_item_is_completed_as_if_accepted(tmp_path):
    async with running_server(tmp_path, fake=SCRIPT) as client:
        open_doc(client, URI, SOURCE)
        assert await ask(client, LINE, 9, ITEM) == [("Litestar(debug=True)", ITEM[0])]
        # The document itself is unchanged: nothing was accepted yet.
        doc = await client.protocol.send_request_async("coderd/document", {"uri": URI})
        assert doc.text == SOURCE


async def test_answers_with_and_without_the_selection_do_not_mix(tmp_path):
    """The same cursor, asked in turn with and without the item: each gets its own answer,
    whichever came first (the completion cache holds both)."""
    async with running_server(tmp_path, fake=SCRIPT) as client:
        open_doc(client, URI, SOURCE)
        plain = [("eral_eval(source)", AT_CURSOR)]
        with_item = [("Litestar(debug=True)", ITEM[0])]
        assert await ask(client, LINE, 9) == plain
        assert await ask(client, LINE, 9, ITEM) == with_item
        assert await ask(client, LINE, 9) == plain
        assert await ask(client, LINE, 9, ITEM) == with_item
        # A different item at the same place is its own situation too.
        other = (span(LINE, 6, 9), "LiteralString")
        assert await ask(client, LINE, 9, other) == []  # the script has nothing after it


async def test_accepting_the_item_then_asking_gives_the_same_continuation(tmp_path):
    async with running_server(tmp_path, fake=SCRIPT) as client:
        open_doc(client, URI, SOURCE)
        assert await ask(client, LINE, 9, ITEM) == [("Litestar(debug=True)", ITEM[0])]
        edit(client, URI, 2, (LINE, 6), (LINE, 9), "Litestar")  # the editor accepts the item
        here = span(LINE, 14, 14)
        assert await ask(client, LINE, 14) == [("(debug=True)", here)]
        assert (await status(client)).last.stop_reason == "cache"  # computed with the item


async def test_selected_range_in_utf16_columns(tmp_path):
    # "😀" is two UTF-16 code units: the item's range starts at column 16, not 15.
    text = "s = '😀'; app = Lit\n"
    async with running_server(tmp_path, fake=SCRIPT) as client:
        open_doc(client, URI, text)
        item = (span(0, 16, 19), "Litestar")
        assert await ask(client, 0, 19, item) == [("Litestar()", item[0])]


@pytest.mark.parametrize(
    "bad",
    [
        span(LINE - 1, 0, 0),  # another line
        span(LINE, 6, 8),  # ends before the cursor
        span(LINE, 6, 40),  # past the line's end
        span(LINE, 9, 6),  # start after end
        span(LINE, 10, 10),  # starts after the cursor
        span(99, 0, 3),  # no such line
        types.Range(start=types.Position(LINE, 6), end=types.Position(LINE + 1, 0)),
    ],
)
async def test_a_range_that_is_not_the_cursor_word_is_ignored(tmp_path, bad):
    async with running_server(tmp_path, fake=SCRIPT) as client:
        open_doc(client, URI, SOURCE)
        assert await ask(client, LINE, 9, (bad, "Litestar")) == [("eral_eval(source)", AT_CURSOR)]
        assert (await status(client)).state == "ready"  # the server is still up


async def test_inside_a_surrogate_pair_is_ignored(tmp_path):
    text = "s = '😀'; app = Lit\n"
    async with running_server(tmp_path, fake=SCRIPT) as client:
        open_doc(client, URI, text)
        inside = span(0, 6, 19)  # column 6 is between the two halves of "😀"
        here = span(0, 19, 19)
        assert await ask(client, 0, 19, (inside, "x")) == [("eral_eval(source)", here)]


async def test_real_model_continues_the_accepted_item(tmp_path, tiny_model_path):
    """llama.cpp with the tiny model: the answer with the item selected is the item plus what
    the model writes after the item actually typed (another document: no shared cache)."""
    typed = "file:///work/typed.py"
    # No time cut (a loaded machine would stop one decode sooner than the other): the length
    # is max_tokens or the model's own stop, the same for the same prompt.
    options = {"completion": {"time_budget_ms": 600_000, "max_tokens": 24}}
    async with running_server(tmp_path, model=tiny_model_path, init_options=options) as client:
        open_doc(client, URI, SOURCE)
        open_doc(client, typed, SOURCE.replace("app = Lit\n", "app = Litestar\n"))
        assert (await wait_until_ready(client)).state == "ready"
        selected = await ask(client, LINE, 9, ITEM)
        after_typing = await ask(client, LINE, 14, uri=typed)
        assert after_typing, "the tiny model wrote nothing here: pick another text"
        rest = after_typing[0][0]
        assert selected == [("Litestar" + rest, ITEM[0])]
