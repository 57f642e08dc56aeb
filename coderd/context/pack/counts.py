"""Token counts of the snippets a build packs, kept across builds (one tokenizer per builder).

The same snippets come back request after request: a definition's signature, a class's member
lines, a file's header. The model's tokenizer costs a tenth of a millisecond per call and
about half a millisecond per 600 characters (DeepSeek Coder's, through llama.cpp), so each
count is kept. Where the tokenizer's counts add up at line ends (budget.py SeamCheck: checked
on the joined block), a snippet counts as its lines: a member list grown by one line costs
that line's tokenising, not the list's, and the lines a snippet brings that were never
counted are tokenised in one call (session 20's code against this, the same samples:
chrono's builds gave the tokenizer 227 calls and 43,728 characters, now 150 and 27,265;
bench/context_eval.py reports `tokenized`).
A tokenizer whose lines do not add up gets whole snippets counted, from the first build that
showed it; those counts are kept apart, so none that was put together from lines is reused.

The ids are kept as tuples: a tuple of ints leaves the cyclic collector's lists at its first
collection, a list stays and is walked id by id in every full collection (24,000 lists of
ids were four fifths of what a full collection walked after 600 builds on miekg/dns:
coderd/system/collector.py).

Ownership: a ContextBuilder's; builds run on two threads at once, and each memo is an `Lru`
with its own lock.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from coderd.context.index.memos import Lru
from coderd.context.pack.budget import SeamCheck

Tokenize = Callable[[str], list[int]]
Ids = tuple[int, ...]

MAX_TOKENIZED = 8192
MAX_HINT_LINES = 256  # receiver hint lines whose token counts are kept (a hint has 10-20)


class TokenCounts:
    def __init__(self) -> None:
        self.seams = SeamCheck()  # whether the tokenizer's counts add up at line ends
        self._whole: Lru[str, Ids] = Lru(MAX_TOKENIZED)  # each text tokenised alone
        # By line: each line's ids (from a call for several lines, split at newlines), and a
        # snippet's lines' ids joined.
        self._line: Lru[str, Ids] = Lru(MAX_TOKENIZED)
        self._joined: Lru[str, Ids] = Lru(MAX_TOKENIZED)
        # The hint's lines, counted with special tokens off (the block's tokenizer may turn
        # repository-token stand-ins into tokens): a memo of their own.
        self._hint: Lru[str, Ids] = Lru(MAX_HINT_LINES)
        self._newline: list[int] | None = None  # the tokenizer's ids for "\n"

    def whole(self, tokenize: Tokenize) -> Tokenize:
        """Each text's own ids (the joined block's check counts with this)."""
        return partial(_memoised, self._whole, tokenize)

    def pieces(self, tokenize: Tokenize) -> Tokenize:
        """A snippet's ids, by line unless the seams check found they do not add up."""
        if self.seams.inexact:
            return self.whole(tokenize)
        if self._newline is None:
            self._newline = tokenize("\n")
        newline = self._newline[0] if len(self._newline) == 1 else None
        return partial(_by_line, self._joined, self._line, tokenize, newline)

    def hint(self, tokenize: Tokenize) -> Tokenize:
        return partial(_memoised, self._hint, tokenize)


def _memoised(memo: Lru[str, Ids], tokenize: Tokenize, snippet: str) -> list[int]:
    ids = memo.get(snippet)
    return list(ids if ids is not None else memo.put(snippet, tuple(tokenize(snippet))))


def _by_line(
    joined: Lru[str, Ids],
    line_ids: Lru[str, Ids],
    tokenize: Tokenize,
    newline: int | None,
    snippet: str,
) -> list[int]:
    """`snippet`'s ids as its lines' ids one after another. The lines not counted yet are
    tokenised in one call, split after each newline token: each call costs a tenth of a
    millisecond before its first character. (Single-line snippets, a candidate's first line,
    still take a call each: pack() asks for them one at a time.)"""
    if "\n" not in snippet[:-1]:
        return _memoised(line_ids, tokenize, snippet)
    ids = joined.get(snippet)
    if ids is None:
        *ended, last = snippet.split("\n")
        lines = [line + "\n" for line in ended] + ([last] if last else [])
        new = [line for line in dict.fromkeys(ended) if line_ids.get(line + "\n") is None]
        if len(new) > 1 and newline is not None:
            _split_call(line_ids, tokenize, newline, [line + "\n" for line in new])
        ids = joined.put(
            snippet, tuple(i for line in lines for i in _memoised(line_ids, tokenize, line))
        )
    return list(ids)


def _split_call(memo: Lru[str, Ids], tokenize: Tokenize, newline: int, lines: list[str]) -> None:
    """Each of `lines` (each ending in a newline) gets its ids from one call for all: the ids
    up to and with each newline token; none of them where a newline merged into another
    token (they are then counted one by one)."""
    ids = tokenize("".join(lines))
    ends = [k + 1 for k, i in enumerate(ids) if i == newline]
    if len(ends) != len(lines) or (ends and ends[-1] != len(ids)):
        return
    for line, start, end in zip(lines, [0, *ends], ends, strict=False):
        memo.put(line, tuple(ids[start:end]))
