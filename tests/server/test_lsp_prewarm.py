"""Prewarms over LSP (scripted engine): didOpen warms the document's prompt at its end; typing
on a line does not; an edit far from the last one does (a jump), and so does a change of
document (a focus)."""

from __future__ import annotations

import asyncio
import time

from lsp_client import edit, inline, open_doc, running_server, status
from lsprotocol import types

URI = "file:///work/warm.py"
OTHER = "file:///work/other.py"
SOURCE = "".join(f"line_{n} = {n}\n" for n in range(40))
RULES = {"rules": [{"after": "", "reply": "1"}]}


async def prewarms_settled(client, done: int):
    """The status once `done` prewarms ended and none is queued (polls: no timing asserted)."""
    deadline = time.monotonic() + 10
    while True:
        counts = (await status(client)).prewarm  # a namedtuple, as pygls reads JSON objects
        ended = counts.done + counts.cancelled
        if (ended >= done and ended == counts.queued) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.02)


async def test_open_typing_jump_and_focus(tmp_path):
    async with running_server(tmp_path, fake=RULES) as client:
        open_doc(client, URI, SOURCE)
        counts = await prewarms_settled(client, 1)
        assert counts.queued == counts.done == 1
        assert counts.last.prewarm and counts.last.prompt_tokens > 0
        version = 1
        # The open's prewarm is at the end (line 40): the first key at line 5 is a jump.
        for col in range(3):  # typing at the end of line 5, a request after each key
            version += 1
            edit(client, URI, version, (5, 10 + col), (5, 10 + col), "x")
            await inline(client, URI, 5, 11 + col)
        edit(client, URI, version + 1, (5, 13), (5, 13), "\n")  # Enter: still typing
        await inline(client, URI, 6, 0)
        assert (await prewarms_settled(client, 2)).queued == 2  # the open's and that jump's
        edit(client, URI, version + 2, (30, 0), (30, 0), "y")  # a jump: prewarmed there
        counts = await prewarms_settled(client, 3)
        assert counts.queued == 3
        open_doc(client, OTHER, "z = 1\n")  # opened: prewarmed
        edit(client, URI, version + 3, (30, 1), (30, 1), "y")  # back to the first: a focus
        counts = await prewarms_settled(client, 5)
        assert counts.queued == 5


async def index_built(client) -> None:
    deadline = time.monotonic() + 20
    while True:
        answer = await client.protocol.send_request_async("coderd/workspace", {"names": []})
        if answer.roots and all(root.ready for root in answer.roots):
            return
        assert time.monotonic() < deadline, answer
        await asyncio.sleep(0.05)


def cursor(client, uri: str, line: int, character: int = 0) -> None:
    client.protocol.notify(
        "coderd/didMoveCursor",
        {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
    )


async def test_a_client_saying_where_the_cursor_went_gets_the_prompt_there_prewarmed(tmp_path):
    async with running_server(tmp_path, fake=RULES) as client:
        open_doc(client, URI, SOURCE)
        assert (await prewarms_settled(client, 1)).queued == 1  # the open's, at the end
        cursor(client, URI, 10)  # the user clicked at line 10: a jump
        assert (await prewarms_settled(client, 2)).queued == 2
        cursor(client, URI, 10, 4)  # the same line
        cursor(client, URI, 11)  # arrow down...
        assert (await prewarms_settled(client, 2)).queued == 2
        cursor(client, URI, 12)  # ...two lines from the last prewarmed place: a jump
        assert (await prewarms_settled(client, 3)).queued == 3
        for bad in (
            {},
            {"textDocument": {"uri": URI}, "position": {"line": -1, "character": 0}},
            {"textDocument": {"uri": "file:///nowhere.py"}, "position": {"line": 1}},
            {"textDocument": {"uri": URI}, "position": {"line": 500, "character": 0}},
        ):
            client.protocol.notify("coderd/didMoveCursor", bad)  # ignored, the server stays
        cursor(client, URI, 38)
        counts = await prewarms_settled(client, 4)
        assert counts.queued == 4
        await inline(client, URI, 12, 0)  # and requests are answered as before


async def test_a_cursor_said_before_the_open_is_parsed_gets_the_open_prewarm(tmp_path):
    """Editors say where the cursor is right after didOpen, before the index parsed the
    buffer: the open's prewarm, which waits for that parse, goes to the cursor, instead of
    replacing the cursor's with one at the end of the document."""
    big = "".join(f"def step_{n}(value):\n    return value + {n}\n\n" for n in range(3000))
    async with running_server(tmp_path, fake=RULES, root=tmp_path) as client:
        await index_built(client)  # or its end prewarms the document again (the test below)
        uri = (tmp_path / "big.py").as_uri()
        open_doc(client, uri, big)
        cursor(client, uri, 1)
        await prewarms_settled(client, 1)
        await asyncio.sleep(0.3)  # nothing more comes
        counts = await prewarms_settled(client, 1)
        assert counts.queued == counts.done == 1 and counts.cancelled == 0
        # At line 1 the prefix is one line (the scripted engine counts characters); at the
        # end of the document it is a whole prefix window of about 288.
        assert counts.last.prompt_tokens < 150, counts.last.prompt_tokens


async def test_a_document_opened_before_its_index_gets_the_context_when_the_build_ends(tmp_path):
    """Opened outside every workspace folder (as one opened before the daemon's index exists),
    prompted with no context, asked again in place (answered from the cache): when its folder
    is added and indexed, its prompt is evaluated again in the background with the context,
    and the next key's request has it with nothing more to evaluate in front."""
    proj = tmp_path / "proj"
    (proj / "pkg").mkdir(parents=True)
    (proj / "pkg" / "shapes.py").write_text("class Square:\n    def area(self):\n        pass\n")
    main = proj / "pkg" / "main.py"
    text = "from pkg.shapes import Square\n\n\ndef total(items):\n    result = \n"
    main.write_text(text)
    uri = main.as_uri()
    async with running_server(tmp_path / "home", fake=RULES) as client:
        open_doc(client, uri, text)
        await inline(client, uri, 4, 13)
        assert (await status(client)).last.context_tokens == 0
        await inline(client, uri, 4, 13)
        assert (await status(client)).last.stop_reason == "cache"  # no prompt: nothing learnt
        client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                event=types.WorkspaceFoldersChangeEvent(
                    added=[types.WorkspaceFolder(uri=proj.as_uri(), name="proj")], removed=[]
                )
            )
        )
        await index_built(client)
        deadline = time.monotonic() + 20
        while not ((last := (await status(client)).prewarm.last) and last.context_tokens > 0):
            assert time.monotonic() < deadline, "no prewarm with the index's context"
            await asyncio.sleep(0.05)
        edit(client, uri, 2, (4, 13), (4, 13), "S")
        await inline(client, uri, 4, 14)
        typed = (await status(client)).last
        assert typed.context_tokens == last.context_tokens
