"""Who holds what for a document, and builds that run at once (provider.py, builder.py,
lookahead.py): `forget` leaves nothing behind, and no build waits for another session's.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ctx_helpers import DEADLINE_S, wait_for, write

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.provider import ContextProvider

SHAPES = "class Square:\n    def area(self):\n        return 1\n\n\ndef grow(s, k):\n    return s\n"
DOCUMENT = "from shapes import Square, grow\n\n\ndef use_{i}():\n    s = Square()\n    x = \n"
DOCUMENTS = 200


def tokenize(text: str) -> list[int]:
    return list(range(len(text) // 4 + 1))


def provider_on(root: Path, registry: IndexRegistry | None = None) -> ContextProvider:
    provider = ContextProvider(
        ContextSettings(budget_tokens=400), [root], registry or IndexRegistry(watch=False)
    )
    index = provider.index_for(root / "shapes.py")
    assert index is not None and index.wait_ready(DEADLINE_S)
    return provider


def holders(provider: ContextProvider) -> dict[str, int]:
    """Entries in every per-document container of a session and of its index."""
    index = provider.index_for(provider.roots[0], create=False)
    assert index is not None
    return {
        "builder.last": len(provider.builder.last),
        "builder.documents": len(provider.builder.documents),
        "ahead.ready": len(provider.ahead._ready),
        "ahead.building": len(provider.ahead._building),
        "recent": len(provider.recent._paths),
        "provider.resolved": len(provider._resolved),
        "index.buffers": len(index._buffers),
        "index.trees": len(index._trees),
    }


def test_forget_clears_every_holder_of_200_documents(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "shapes.py", SHAPES)
    paths = [write(root, f"docs/d{i}.py", DOCUMENT.format(i=i)) for i in range(DOCUMENTS)]
    provider = provider_on(root)
    try:
        before = holders(provider)
        for i, path in enumerate(paths):
            text = DOCUMENT.format(i=i)
            offset = text.index("x = ") + 4
            provider.set_buffer(path, text).result(DEADLINE_S)  # didOpen: warmed
            assert provider.context_for(path, text, offset, tokenize) is not None
            typed = text.replace("x = ", "x = g")
            provider.set_buffer(path, typed).result(DEADLINE_S)  # a keystroke: looked ahead
            if i == 0:  # every holder has an entry for an open document
                assert all(
                    count > before[name]
                    for name, count in holders(provider).items()
                    if name != "ahead.building"
                ), holders(provider)
            provider.forget(path)  # didClose
        index = provider.index_for(root / "shapes.py", create=False)
        assert index is not None
        # The disk's version is parsed again on the buffer thread: wait for the trees to go.
        wait_for(lambda: len(index._trees) == before["index.trees"], what="trees dropped")
        assert holders(provider) == before
        assert index.buffer_paths() == []
        # What describes the index, not a document, stays bounded.
        for name, size in index.memos.sizes().items():
            assert size <= getattr(index.memos, name).maxsize
    finally:
        provider.close()


class Gate:
    """A tokenizer that stops the build calling it until released (and says it got there)."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self.calls = 0

    def __call__(self, text: str) -> list[int]:
        self.calls += 1
        self.entered.set()
        assert self.release.wait(DEADLINE_S)
        return tokenize(text)


def test_two_sessions_on_one_index_build_at_the_same_time(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "shapes.py", SHAPES)
    text = DOCUMENT.format(i=0)
    offset = text.index("x = ") + 4
    main = write(root, "main.py", text)
    registry = IndexRegistry(watch=False)
    first, second = provider_on(root, registry), provider_on(root, registry)
    gate, results = Gate(), {}
    try:
        assert first.index_for(main) is second.index_for(main)  # one shared index
        blocked = threading.Thread(
            target=lambda: results.update(first=first.context_for(main, text, offset, gate))
        )
        blocked.start()
        assert gate.entered.wait(DEADLINE_S)  # the first session's build is in the middle
        # The second session's build completes meanwhile: nothing is held process-wide.
        packed = second.context_for(main, text, offset, tokenize)
        assert packed is not None and "class Square" in packed.text
        assert blocked.is_alive()
        gate.release.set()
        blocked.join(DEADLINE_S)
        assert results["first"].text == packed.text
    finally:
        gate.release.set()
        first.close()
        second.close()


def test_a_request_takes_the_look_ahead_build_in_progress(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "shapes.py", SHAPES)
    text = DOCUMENT.format(i=0)
    main = write(root, "main.py", text)
    provider = provider_on(root)
    gate, counted = Gate(), []
    try:
        provider.set_buffer(main, text).result(DEADLINE_S)  # opened: warmed, not built
        provider.ahead.remember(gate, 400, None)  # as if the last request had used the gate
        typed = text.replace("x = ", "x = g")
        offset = typed.index("x = g") + 5
        parsed = provider.set_buffer(main, typed)
        assert gate.entered.wait(DEADLINE_S)  # the buffer thread is building ahead, held
        results: dict = {}

        def request_tokenize(snippet: str) -> list[int]:
            counted.append(snippet)
            return tokenize(snippet)

        request = threading.Thread(
            target=lambda: results.update(
                packed=provider.context_for(main, typed, offset, request_tokenize)
            )
        )
        request.start()
        time.sleep(0.2)  # the request reaches take() while the build is held (else it fails)
        gate.release.set()
        parsed.result(DEADLINE_S)
        request.join(DEADLINE_S)
        # The request waited for the build in progress and took its result: it built nothing
        # (a build of its own would have counted tokens with its tokenizer: nothing is memoised).
        assert results["packed"] is not None and "class Square" in results["packed"].text
        assert counted == []
        assert str(main) not in provider.ahead._ready  # taken
    finally:
        gate.release.set()
        provider.close()


def test_a_document_closed_during_its_look_ahead_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "shapes.py", SHAPES)
    text = DOCUMENT.format(i=0)
    main = write(root, "main.py", text)
    provider = provider_on(root)
    gate = Gate()
    try:
        before = holders(provider)
        provider.set_buffer(main, text).result(DEADLINE_S)
        provider.ahead.remember(gate, 400, None)
        parsed = provider.set_buffer(main, text.replace("x = ", "x = g"))
        assert gate.entered.wait(DEADLINE_S)  # building ahead on the buffer thread, held
        provider.forget(main)  # didClose meanwhile
        gate.release.set()
        parsed.result(DEADLINE_S)
        index = provider.index_for(root, create=False)  # not main: that would resolve it again
        assert index is not None
        wait_for(lambda: len(index._trees) == before["index.trees"], what="trees dropped")
        # The build finished after the close: its result, memos and regions were dropped.
        assert holders(provider) == before
    finally:
        gate.release.set()
        provider.close()
