"""Cutting the text around the cursor into a prefix and a suffix that fit their token budgets.

The prefix window starts at a line boundary that stays put while the user types (it is
remembered per document and only moves once the prefix outgrows its budget), because every
token before the first change is reused from the KV cache. A window that slid by one token per
keystroke would force the whole prompt to be evaluated again each time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .engine.base import FimPrompt

# Characters looked at per budget token before tokenising: bounds the work on huge files.
CHARS_PER_TOKEN_BOUND = 8
# A new prefix window uses this share of the budget; the rest is room to type into.
FRESH_WINDOW_SHARE = 0.75
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class BuiltPrompt:
    prompt: FimPrompt
    prefix_text: str  # the text the prefix ids stand for (the window, not the whole file)
    suffix_text: str


def _line_starts_before(text: str, lo: int, hi: int) -> list[int]:
    """Offsets in [lo, hi] where a line starts, in ascending order."""
    starts = [m.end() for m in _LINE_END.finditer(text, lo, hi)]
    return ([lo] if lo == 0 or text[lo - 1] in "\r\n" else []) + starts


class PromptBuilder:
    """Stateful only in the remembered window starts, one per document key."""

    def __init__(
        self, tokenize: Callable[[str], list[int]], *, prefix_tokens: int, suffix_tokens: int
    ) -> None:
        self._tokenize = tokenize
        self._prefix_budget = prefix_tokens
        self._suffix_budget = suffix_tokens
        self._anchors: dict[str, int] = {}

    def forget(self, key: str) -> None:
        self._anchors.pop(key, None)

    def build(self, key: str, text: str, offset: int, *, remember: bool = True) -> BuiltPrompt:
        """`remember=False` (speculation) uses the document's window start without moving it."""
        start, prefix_ids = self._prefix(key, text, offset, remember)
        suffix_text, suffix_ids = self._suffix(text, offset)
        return BuiltPrompt(
            prompt=FimPrompt(prefix_ids=prefix_ids, suffix_ids=suffix_ids),
            prefix_text=text[start:offset],
            suffix_text=suffix_text,
        )

    def _prefix(self, key: str, text: str, offset: int, remember: bool) -> tuple[int, list[int]]:
        budget = self._prefix_budget
        anchor = self._anchors.get(key)
        if anchor is not None and anchor <= offset and (anchor == 0 or text[anchor - 1] in "\r\n"):
            ids = self._tokenize(text[anchor:offset])
            if len(ids) <= budget:
                return anchor, ids
        lo = max(0, offset - budget * CHARS_PER_TOKEN_BOUND)
        target = int(budget * FRESH_WINDOW_SHARE)
        starts = _line_starts_before(text, lo, offset)
        # Token counts fall as the start moves right: binary-search the earliest line start
        # whose window fits the target.
        start, ids = offset, []
        low, high = 0, len(starts) - 1
        while low <= high:
            middle = (low + high) // 2
            candidate_ids = self._tokenize(text[starts[middle] : offset])
            if len(candidate_ids) <= target:
                start, ids = starts[middle], candidate_ids
                high = middle - 1
            else:
                low = middle + 1
        if not ids and offset > lo:
            # No line start fits (one very long line): keep the end of the text, token-exact.
            ids = self._tokenize(text[lo:offset])[-target:]
            start = lo
        if remember:
            self._anchors[key] = start
        return start, ids

    def _suffix(self, text: str, offset: int) -> tuple[str, list[int]]:
        budget = self._suffix_budget
        if budget <= 0:
            return "", []
        hi = min(len(text), offset + budget * CHARS_PER_TOKEN_BOUND)
        window = text[offset:hi]
        ids = self._tokenize(window)
        if len(ids) <= budget:
            return window, ids
        # Whole lines only, so the suffix does not change while the user types before it.
        for line_end in reversed([m.end() for m in _LINE_END.finditer(window)]):
            candidate = self._tokenize(window[:line_end])
            if len(candidate) <= budget:
                return window[:line_end], candidate
        return window, ids[:budget]  # the first line alone is too long: cut it token-exact
