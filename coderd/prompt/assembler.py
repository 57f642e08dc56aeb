"""The whole fill-in-the-middle prompt of one request, built in one place.

`PromptAssembler` owns what a prompt is made of for every document: the prefix and suffix
windows with their remembered anchors (builder.py), the repository context asked of the
session's ContextProvider, its format for this model (`context_format`: DeepSeek's "# path"
headers or Qwen-style repository tokens) and its ids. The engine lays these pieces out with the
FIM markers (engine/fim.py `assemble`), which is also what `coderd context` shows.

The context ids are memoised per document: the same packed text gives the very same ids, so the
block at the head of the prompt stays token-identical (and in the KV cache) while it does not
change; and when retrieval gives a new block, requests keep the one in the cache until a
prewarm has evaluated the new one in the background (blocks.py). Everything it keeps per
document goes with `forget(key)`.

Worker thread only (the service's `coderd-engine`), like the engine it feeds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from coderd.context.pack.hint import ReceiverHint
from coderd.context.provider import ContextProvider
from coderd.engine.base import FimPrompt, ModelInfo
from coderd.prompt.blocks import NO_BLOCK, Block, ContextBlocks
from coderd.prompt.builder import BuiltPrompt, PromptBuilder, context_format

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class AssembledPrompt:
    prompt: FimPrompt  # prefix, suffix and context ids, ready for the engine
    built: BuiltPrompt  # the windows' texts (policy reads them)
    context_chunks: tuple[dict[str, object], ...]  # what context went in: path, lines, source
    context_text: str  # the context as the model sees it (stand-ins shown as their tokens)
    block: Block = NO_BLOCK  # the context block chosen (blocks.py)
    # Retrieval gave a newer block than the one this prompt keeps: a prewarm should evaluate it.
    block_pending: bool = False
    # The receiver's members, as comment lines inside the prefix ids right above the cursor's
    # line (context/pack/hint.py); None when there is none or it did not fit there.
    hint: ReceiverHint | None = None


class PromptAssembler:
    def __init__(
        self,
        tokenize: Callable[[str], list[int]],
        info: ModelInfo,
        *,
        prefix_tokens: int,
        suffix_tokens: int,
        context_tokens: int,
        receiver_tokens: int = 0,
    ) -> None:
        self.context_tokens = context_tokens
        self.receiver_tokens = receiver_tokens
        self._tokenize = tokenize  # special tokens off: the hint is file text
        self._format = context_format(info.repo_tokens, tokenize)
        self._windows = PromptBuilder(
            tokenize, prefix_tokens=prefix_tokens, suffix_tokens=suffix_tokens
        )
        self.blocks = ContextBlocks()
        self._failures: set[tuple[str, str]] = set()  # logged once each (`_optional`)

    def assemble(
        self,
        key: str,
        text: str,
        offset: int,
        *,
        path: str | None,
        context: ContextProvider | None,
        speculative: bool = False,
        background: bool = False,
        off_path: bool = False,
    ) -> AssembledPrompt:
        """`key`: the document's (anchors and ids are per document); `path`: its file, for
        repository context; `speculative`: use the window start without moving it;
        `background`: a prewarm, which takes the newest context block (blocks.py);
        `off_path`: nobody waits for it (a prewarm, a speculation: builder.py's checks)."""
        fresh = self._optional(
            NO_BLOCK, self._repository_context, key, text, offset, path, context, background
        )
        if speculative:
            block, pending = self.blocks.peek(key, fresh), False
        else:
            block, pending = self.blocks.choose(key, fresh, background)
        hint = self._optional(None, self._receiver_hint, text, offset, path, context, block)
        built = self._windows.build(
            key,
            text,
            offset,
            remember=not speculative,
            off_path=off_path or speculative,
            hint=hint.ids if hint is not None else (),
        )
        return AssembledPrompt(
            replace(built.prompt, context_ids=block.ids),
            built,
            block.chunks,
            block.shown,
            block,
            pending,
            hint if built.hinted else None,
        )

    def _optional(self, fallback: T, step: Callable[..., T], *args) -> T:
        """Repository context and the hint help a completion; a failure of theirs (a file
        read in a way retrieval did not foresee) must not cost it: the prompt goes without
        them, and the log says so once per kind of failure, with its traceback."""
        try:
            return step(*args)
        except Exception as exc:
            failure = (step.__name__, type(exc).__name__)  # a message may vary per request
            if failure not in self._failures:
                self._failures.add(failure)
                log.exception("%s failed; completing without it", step.__name__.strip("_"))
            return fallback

    def _receiver_hint(
        self,
        text: str,
        offset: int,
        path: str | None,
        context: ContextProvider | None,
        block: Block,
    ) -> ReceiverHint | None:
        """Mostly made by the look-ahead after the keystroke's parse; else a few ms here (the
        first `.` of a document, a request that overtook its look-ahead: bench/README). The
        members the prompt's block lists are left out of it: they would be there twice."""
        if context is None or path is None:
            return None
        # Asked with a budget of 0 too: the look-ahead then stops making hints (a re-plan may
        # take the hint away on a machine found slower). Not the context format's tokenize,
        # which turns repository-token stand-ins into tokens: a file spelling one must not
        # forge it through its member lines.
        return context.receiver_hint(
            Path(path), text, offset, self._tokenize, self.receiver_tokens, block.listed
        )

    def _repository_context(
        self,
        key: str,
        text: str,
        offset: int,
        path: str | None,
        context: ContextProvider | None,
        background: bool = False,
    ) -> Block:
        if context is None or path is None or self.context_tokens <= 0:
            return NO_BLOCK
        form = self._format
        served = self.blocks.served(key)
        # No context work on the typing path (#12): a prompt keeps the block its cache holds;
        # whether retrieval moved on is what the look-ahead built after the last edit
        # (provider.latest: nothing is built here), and a new block is evaluated by a prewarm,
        # off this path (blocks.py). A document's first prompt and a prewarm build it.
        typing = served is not None and not background
        ask = context.latest if typing else context.context_for
        packed = ask(
            Path(path),
            text,
            offset,
            form.tokenize,
            budget=self.context_tokens,
            repo_format=form.repo_format,
        )
        if served is not None and typing and packed is None:
            # No news from the look-ahead: what is known stands, a newer block that waits
            # for its background evaluation included (taking `served` here would read as
            # "retrieval came back to the cached block" and drop it: blocks.py `choose`).
            return self.blocks.newest(key)
        if packed is None or not packed.text:
            return NO_BLOCK
        known = self.blocks.known(key, packed.text)
        if known is not None:
            return known
        ids = form.ids(packed)
        if ids is None:
            log.debug("no repository context for %s: a file holds a token stand-in", key)
            return NO_BLOCK
        return Block(packed.text, tuple(ids), tuple(packed.chunks), form.shown(packed.text))

    # -- per-document state (completion/documents.py) --------------------------------------

    def forget(self, key: str) -> None:
        self.blocks.forget(key)
        self._windows.forget(key)

    def keys(self) -> Iterator[str]:
        yield from {*self.blocks.keys(), *self._windows.keys()}
