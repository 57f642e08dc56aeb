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
Per document; `forget(key)` drops both blocks. The block a closed document's cache held whole
is kept (`KEPT_BLOCKS` documents, by URI, and across a restart: completion/warm.py): the KV
state saved for that document holds it, and a block retrieval gives afresh at the reopen
often differs (the recent-files part is gone), which would cost the whole prompt again. A
reopened document's first prompt takes the kept block, and the fresh one waits for a
background evaluation like any newer block. Worker thread only, like the assembler.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from coderd.context.pack.hint import BlockShown

KEPT_BLOCKS = 32  # closed documents whose block is kept for a reopen or the next daemon


def document_of(key: str) -> str:
    """The document of a service key ("session|uri", lsp/server/session.py `doc_key`): what
    outlives the session (a reopen from another editor, the next daemon)."""
    return key.rpartition("|")[2]


@dataclass(frozen=True)
class Block:
    text: str  # as packed ("" for none)
    ids: tuple[int, ...]
    chunks: tuple[dict[str, object], ...] = ()  # what went in: path, lines, source, tokens
    shown: str = ""  # the text with the repository tokens' own texts (--json, logs)

    @cached_property
    def listed(self) -> BlockShown:
        """What it shows, for the receiver hint beside it to leave out (made once a block)."""
        return BlockShown.of(self.text, self.chunks)


NO_BLOCK = Block("", ())


class ContextBlocks:
    def __init__(self) -> None:
        self._served: dict[str, Block] = {}  # document key -> the block its cache holds
        self._pending: dict[str, Block] = {}  # document key -> a newer one, not evaluated yet
        self._whole: set[str] = set()  # documents whose served block the cache holds whole
        self._kept: OrderedDict[str, Block] = OrderedDict()  # closed documents' (document_of)

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
        kept = self._kept.pop(document_of(key), None) if served is None else None
        if kept is not None and fresh.text and kept.text != fresh.text:
            # Reopened: its saved KV state holds the kept block; the fresh one waits.
            self._served[key], self._pending[key] = kept, fresh
            return kept, not background
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

    def seed(self, key: str, block: Block) -> None:
        """`key`'s next prompt carries `block` (it is in the cache or is to be: a narrow first
        prompt keeps the whole prompt's block, completion/first_prompt.py); newer ones wait."""
        self._served[key] = block
        self._pending.pop(key, None)
        self._whole.discard(key)

    def served(self, key: str) -> Block | None:
        """The block the document's cache holds (None before its first prompt)."""
        return self._served.get(key)

    def newest(self, key: str) -> Block:
        """The block waiting for its background evaluation, else the one in the cache."""
        return self._pending.get(key) or self._served.get(key) or NO_BLOCK

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
        served = self._served.pop(key, None)
        if served is not None and served.text and key in self._whole:
            self.keep([(document_of(key), served)])
        self._pending.pop(key, None)
        self._whole.discard(key)

    def keep(self, blocks: list[tuple[str, Block]]) -> None:
        """Blocks of documents not open here (closed, or kept by the last daemon)."""
        for document, block in blocks:
            self._kept[document] = block
            self._kept.move_to_end(document)
        while len(self._kept) > KEPT_BLOCKS:
            self._kept.popitem(last=False)

    def kept(self) -> list[tuple[str, Block]]:
        """What the next daemon should keep: the open documents' blocks the cache holds
        whole, and those kept, by document, most recent last."""
        kept = dict(self._kept)
        for key in self._whole:
            kept[document_of(key)] = self._served[key]
        return list(kept.items())[-KEPT_BLOCKS:]

    def keys(self) -> Iterator[str]:
        yield from {*self._served, *self._pending}
