"""Which repository-context block a document's prompt carries: the one in the KV cache, until
a newer one has been evaluated in the background.

The block sits at the head of the prompt, so a new block costs the whole prompt again (4.8 s
for 574 tokens on two cores, issue #12). Retrieval yields a new one when the index becomes
ready, when the cursor's code names other definitions, or when a file it quotes changes. While
the user types, requests keep the block already evaluated for the document (`served`: the
cache holds it, so it costs nothing), and the new one waits (`pending`) until a prewarm has
evaluated the prompt with it in the background (completion/prewarm.py); the document then
switches to it. The prompt the user types into stays in its KV state meanwhile (the engine
keeps the other one aside, engine/llama/kv_store.py).

The first prompt of a document takes the block retrieval gives: nothing is in the cache yet;
and so does a prompt for which retrieval gives none (the folder left the workspace). Until a
prompt with that first block has been evaluated whole, prewarms keep it too: on a slow CPU the
open's prewarm, the jump's and the first keys each get a few prompt chunks in before the next
one cancels them, and they add up only while they all evaluate the same block (a prewarm that
took a newer block left the first key nothing to reuse: 597 of 601 tokens, bench/README.md
"open-wait-type with automatic threads").
Per document; `forget(key)` drops both blocks. Worker thread only, like the assembler.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    text: str  # as packed ("" for none)
    ids: tuple[int, ...]
    chunks: tuple[dict[str, object], ...] = ()  # what went in: path, lines, source, tokens
    shown: str = ""  # the text with the repository tokens' own texts (--json, logs)


NO_BLOCK = Block("", ())


class ContextBlocks:
    def __init__(self) -> None:
        self._served: dict[str, Block] = {}  # document key -> the block its cache holds
        self._pending: dict[str, Block] = {}  # document key -> a newer one, not evaluated yet
        self._whole: set[str] = set()  # documents whose served block the cache holds whole

    def known(self, key: str, text: str) -> Block | None:
        """The document's block of this packed text, if it has one (its ids are memoised)."""
        for block in (self._served.get(key), self._pending.get(key)):
            if block is not None and block.text == text:
                return block
        return None

    def choose(self, key: str, fresh: Block, background: bool) -> tuple[Block, bool]:
        """The block for a prompt of `key` when retrieval gives `fresh`, and whether a newer
        block now waits for a background evaluation. `background`: the prompt is that
        evaluation (a prewarm), so it takes the newest block."""
        served = self._served.get(key)
        # The document's first prompt: nothing cached to keep. No block at all any more (its
        # folder left the workspace, context turned off): quoting it on would be stale.
        if served is None or not fresh.text:
            self._served[key] = fresh
            self._pending.pop(key, None)
            self._whole.discard(key)
            return fresh, False
        if fresh.text == served.text:
            self._pending.pop(key, None)  # retrieval came back to the cached block
            return served, False
        self._pending[key] = fresh
        if not background:
            return served, True
        # A background evaluation takes the newer block once the served one is in the cache
        # whole; before that it goes on with the served one (the module's docstring).
        return (fresh, False) if key in self._whole else (served, False)

    def served(self, key: str) -> Block | None:
        """The block the document's cache holds (None before its first prompt)."""
        return self._served.get(key)

    def peek(self, key: str, fresh: Block) -> Block:
        """The block a speculation takes: the cached one, remembering nothing."""
        return self._served.get(key, fresh)

    def evaluated(self, key: str, block: Block) -> None:
        """A prompt with `block` is in the cache whole (a prewarm, or a request that was not
        cancelled): the document's requests take it."""
        if key in self._served:
            self._served[key] = block
            self._whole.add(key)
        if self._pending.get(key) == block:
            del self._pending[key]

    def pending(self, key: str) -> bool:
        return key in self._pending

    def forget(self, key: str) -> None:
        self._served.pop(key, None)
        self._pending.pop(key, None)
        self._whole.discard(key)

    def keys(self) -> Iterator[str]:
        yield from {*self._served, *self._pending}
