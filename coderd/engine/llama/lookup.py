"""Prompt-lookup drafts: guess the next tokens by copying what followed the same n-gram before.

Code repeats itself (the second of several similar functions, a run of `add_argument` calls),
so the tokens that followed the last n-gram's most recent earlier occurrence in the prompt or in
what was generated are often what greedy decoding writes next. The engine evaluates such a draft
together with the current token in one batch and keeps the draft tokens that greedy decoding
would have chosen anyway (decode_run.DecodeRun.generate), so the output does not change.

Pure logic, no llama.cpp: `find_draft` states the rule, `DraftIndex` applies it incrementally,
`PromptLookup` decides when a draft is worth its cost. Off by default (`completion.prompt_lookup`):
on a CPU each extra row of a small batch costs nearly a whole decode (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MAX_NGRAM = 3
MIN_NGRAM = 1
# At most 2 draft tokens: llama.cpp's CPU kernels compute a batch of up to 3 rows bit for bit as
# they compute one row (measured on Q4_K_M models, x86 AVX2); from 4 rows the quantised matmul
# switches to a matrix-matrix kernel whose rounding differs (Gemma 3's logits move by up to 7),
# and greedy decoding would no longer write what it writes without drafts.
MAX_DRAFT = 2


def find_draft(
    ids: Sequence[int], max_len: int, *, max_ngram: int = MAX_NGRAM, min_ngram: int = MIN_NGRAM
) -> tuple[list[int], int]:
    """(draft, n): up to `max_len` tokens that followed the most recent earlier occurrence of
    the last n tokens of `ids`, trying n = max_ngram down to min_ngram; ([], 0) if none."""
    if max_len <= 0:
        return [], 0
    for n in range(min(max_ngram, len(ids) - 1), min_ngram - 1, -1):
        pattern = list(ids[len(ids) - n :])
        # An occurrence ending at j has a successor when j <= len - 2.
        for j in range(len(ids) - 2, n - 2, -1):
            if list(ids[j - n + 1 : j + 1]) == pattern:
                return list(ids[j + 1 : j + 1 + max_len]), n
    return [], 0


class DraftIndex:
    """`find_draft` over a growing token list, at O(max_ngram) per token.

    For each n it maps every n-gram to where its latest occurrence that has a successor ends:
    the n-grams ending at the last token are indexed only once the next token arrives.
    """

    def __init__(
        self, ids: Iterable[int] = (), *, max_ngram: int = MAX_NGRAM, min_ngram: int = MIN_NGRAM
    ) -> None:
        self.max_ngram, self.min_ngram = max_ngram, min_ngram
        self.ids: list[int] = []
        self._ends: dict[int, dict[tuple[int, ...], int]] = {
            n: {} for n in range(min_ngram, max_ngram + 1)
        }
        self.extend(ids)

    def append(self, token: int) -> None:
        ids = self.ids
        ids.append(int(token))
        j = len(ids) - 2  # this position just got its successor
        if j < 0:
            return
        for n, ends in self._ends.items():
            if j - n + 1 >= 0:
                ends[tuple(ids[j - n + 1 : j + 1])] = j

    def extend(self, tokens: Iterable[int]) -> None:
        for token in tokens:
            self.append(token)

    def draft(self, max_len: int) -> tuple[list[int], int]:
        """The same answer as `find_draft(self.ids, max_len, ...)`."""
        ids = self.ids
        if max_len <= 0:
            return [], 0
        for n in range(min(self.max_ngram, len(ids) - 1), self.min_ngram - 1, -1):
            j = self._ends[n].get(tuple(ids[len(ids) - n :]))
            if j is not None:
                return ids[j + 1 : j + 1 + max_len], n
        return [], 0


class PromptLookup:
    """Drafts for one generation, and when to stop offering them.

    The engine appends every token it commits (`append`) and asks for a draft (`propose`)
    before each llama_decode. A draft is resolved by the tokens appended after it: the ones
    equal to it were accepted. Each rejected draft costs a batch wider than one token; after a
    draft whose first token is rejected no draft is offered for the next `skip` decodes,
    doubling up to `max_skip` while drafts keep failing (a text that does not repeat itself then
    pays almost nothing), and back to none at the first accepted token.
    """

    def __init__(
        self,
        ids: Iterable[int],
        *,
        max_draft: int,
        min_ngram: int = MIN_NGRAM,
        max_skip: int = 0,
        banned: Iterable[int] = (),
    ) -> None:
        self._index = DraftIndex(ids, min_ngram=min_ngram)
        self._banned = frozenset(int(t) for t in banned)  # never chosen: a draft stops before
        self.max_draft = max_draft
        self.max_skip = max_skip
        self._pending: list[int] = []  # the last draft's tokens not yet confirmed
        self._first = False  # the next appended token is the pending draft's first
        self._skip = 0
        self._penalty = 0
        self.proposed = self.accepted = self.drafts = 0

    def append(self, token: int) -> None:
        if self._pending:
            if token == self._pending[0]:
                self._pending.pop(0)
                self.accepted += 1
                self._penalty = 0
            else:
                if self._first and self.max_skip:
                    self._penalty = min(self.max_skip, max(1, 2 * self._penalty))
                    self._skip = self._penalty
                self._pending = []
            self._first = False
        self._index.append(token)

    def propose(self, room: int) -> list[int]:
        """A draft of at most min(max_draft, room) tokens to evaluate after the last token."""
        self._pending = []
        if self._skip > 0:
            self._skip -= 1
            return []
        draft, _ = self._index.draft(min(self.max_draft, room))
        for i, token in enumerate(draft):
            if token in self._banned:
                draft = draft[:i]
                break
        if draft:
            self._pending, self._first = list(draft), True
            self.proposed += len(draft)
            self.drafts += 1
        return draft


# What LlamaEngine uses. 1- and 2-gram matches are accepted less often than they cost, and the
# pause after a miss keeps a text that does not repeat itself from paying for drafts
# (bench/prompt_lookup.py --simulate compares the alternatives).
LOOKUP_POLICY = dict(max_draft=MAX_DRAFT, min_ngram=3, max_skip=16)
