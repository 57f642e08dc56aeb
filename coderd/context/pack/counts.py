"""Token counts of the snippets a build packs, kept across builds (one tokenizer per builder).

The same snippets come back request after request: a definition's signature, a class's member
lines, a file's header. The model's tokenizer costs a tenth of a millisecond per call and
about half a millisecond per 600 characters (DeepSeek Coder's, through llama.cpp), so each
count is kept. Where the tokenizer's counts add up at line ends (budget.py SeamCheck: checked
on the joined block), a snippet counts as its lines: a member list grown by one line costs
that line's tokenising, not the list's (2 ms of a 13 ms first build in itertools' lib.rs).
A tokenizer whose lines do not add up gets whole snippets counted, from the first build that
showed it; those counts are kept apart, so none that was put together from lines is reused.

Ownership: a ContextBuilder's; builds run on two threads at once, and each memo is an `Lru`
with its own lock.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from coderd.context.index.memos import Lru
from coderd.context.pack.budget import SeamCheck

Tokenize = Callable[[str], list[int]]

MAX_TOKENIZED = 8192
MAX_HINT_LINES = 256  # receiver hint lines whose token counts are kept (a hint has 10-20)


class TokenCounts:
    def __init__(self) -> None:
        self.seams = SeamCheck()  # whether the tokenizer's counts add up at line ends
        self._whole: Lru[str, list[int]] = Lru(MAX_TOKENIZED)
        self._lines: Lru[str, list[int]] = Lru(MAX_TOKENIZED)  # a snippet's lines' ids, joined
        # The hint's lines, counted with special tokens off (the block's tokenizer may turn
        # repository-token stand-ins into tokens): a memo of their own.
        self._hint: Lru[str, list[int]] = Lru(MAX_HINT_LINES)

    def whole(self, tokenize: Tokenize) -> Tokenize:
        """Each text's own ids (the joined block's check counts with this)."""
        return partial(_memoised, self._whole, tokenize)

    def pieces(self, tokenize: Tokenize) -> Tokenize:
        """A snippet's ids, by line unless the seams check found they do not add up."""
        whole = self.whole(tokenize)
        return whole if self.seams.inexact else partial(_by_line, self._lines, whole)

    def hint(self, tokenize: Tokenize) -> Tokenize:
        return partial(_memoised, self._hint, tokenize)


def _memoised(memo: Lru[str, list[int]], tokenize: Tokenize, snippet: str) -> list[int]:
    ids = memo.get(snippet)
    return ids if ids is not None else memo.put(snippet, tokenize(snippet))


def _by_line(memo: Lru[str, list[int]], count: Tokenize, snippet: str) -> list[int]:
    """`snippet`'s ids as its lines' ids one after another, each line counted by `count`."""
    if "\n" not in snippet[:-1]:
        return count(snippet)
    ids = memo.get(snippet)
    if ids is None:
        *lines, last = snippet.split("\n")
        ids = [i for line in lines for i in count(line + "\n")]
        ids = memo.put(snippet, ids + count(last) if last else ids)
    return ids
