"""Re-planned budgets off the typing path: a document keeps the prompt it is typed into until
its prompt with the new budgets has been evaluated in the background.

When requests heal the speed profile (runner.py `observe`), the prompt budgets are planned
again and a new assembler takes over. A prompt with other budgets differs from the one in the
KV cache from its context block on, so switching every open document at once cost each one a
whole prompt on its next key: 322 of 349 tokens, seconds on two cores, in the middle of a line
(bench/README.md "open-wait-type with automatic threads"). Instead, the documents the old
assembler held stay with it (`pin`): their keys are served with the old budgets, and each key
asks for a background evaluation (a prewarm, worker.py), which uses the new assembler; once
one has evaluated the document's new prompt whole, the document moves over (`release`) and
the old assembler forgets it. A document opened after the re-plan starts on the new one.

Per document, with one `forget` (documents.py). Worker thread only, like the assemblers.
"""

from __future__ import annotations

from collections.abc import Iterator

from coderd.prompt.assembler import PromptAssembler


class RetiredPrompts:
    def __init__(self) -> None:
        self._pinned: dict[str, PromptAssembler] = {}  # document key -> its older assembler

    def pin(self, old: PromptAssembler) -> int:
        """`old` was replaced: the documents it holds keep it for now (a document pinned to an
        even older one stays there). Returns how many were pinned."""
        keys = [key for key in old.keys() if key not in self._pinned]
        for key in keys:
            self._pinned[key] = old
        return len(keys)

    def pin_key(self, key: str, assembler: PromptAssembler) -> None:
        """`key`'s keys are served by `assembler` until a prewarm has evaluated its prompt
        with the current budgets (a placement's narrow first prompt: first_prompt.py)."""
        old = self._pinned.get(key)
        if old is not None and old is not assembler:
            old.forget(key)
        self._pinned[key] = assembler

    def serving(self, key: str, current: PromptAssembler) -> PromptAssembler:
        """The assembler the document's keys are served by: its older one while pinned."""
        return self._pinned.get(key, current)

    def pinned(self, key: str) -> bool:
        return key in self._pinned

    def pinned_to(self, key: str) -> PromptAssembler | None:
        return self._pinned.get(key)

    def release(self, key: str) -> None:
        """The document's prompt with the current budgets is in the cache whole."""
        self.forget(key)

    # -- per-document state (documents.py) ------------------------------------------------

    def forget(self, key: str) -> None:
        # Every retired assembler, not only the document's: a run that was using one when the
        # document closed may have kept something there after its pin went (worker.py
        # `_drop_closed` comes back here).
        old = self._pinned.pop(key, None)
        for assembler in {
            id(a): a for a in (old, *self._pinned.values()) if a is not None
        }.values():
            assembler.forget(key)

    def keys(self) -> Iterator[str]:
        yield from list(self._pinned)
