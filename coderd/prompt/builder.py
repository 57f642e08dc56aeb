"""Cutting the text around the cursor into a prefix and a suffix that fit their token budgets.

The prefix window starts at a line boundary that stays put while the user types (it is
remembered per document and only moves once the prefix outgrows its budget), because every
token before the first change is reused from the KV cache. A window that slid by one token per
keystroke would force the whole prompt to be evaluated again each time.

`context_format` says how the repository context is written and counted for a model; the
service and `coderd context` both use it, so the command shows what the server sends.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from coderd.context.pack.block import PackedContext, RepoFormat, SeamCheck
from coderd.engine.base import FimPrompt
from coderd.engine.fim import REPO_TOKEN_STANDIN, RepoMarkers

# Characters looked at per budget token before tokenising: bounds the work on huge files.
CHARS_PER_TOKEN_BOUND = 8
# A new prefix window uses this share of the budget; the rest is room to type into.
FRESH_WINDOW_SHARE = 0.75
_LINE_END = re.compile(r"\r\n|\r|\n")
MAX_SUFFIXES = 16  # suffix cuts kept: the documents being typed in, a few places each


@dataclass(frozen=True)
class BuiltPrompt:
    prompt: FimPrompt
    prefix_text: str  # the text the prefix ids stand for (the window, not the whole file)
    suffix_text: str
    hinted: bool = False  # the prefix ids hold a receiver hint above the cursor's line


def _line_starts_before(text: str, lo: int, hi: int) -> list[int]:
    """Offsets in [lo, hi] where a line starts, in ascending order."""
    starts = [m.end() for m in _LINE_END.finditer(text, lo, hi)]
    return ([lo] if lo == 0 or text[lo - 1] in "\r\n" else []) + starts


@dataclass(frozen=True)
class ContextFormat:
    """Repository context for one model: with its repository tokens (Qwen2.5-Coder), else
    DeepSeek's "# path" headers (`repo_format` None, `markers` None)."""

    tokenize: Callable[[str], list[int]]  # packed text to ids: stand-ins become token ids
    repo_format: RepoFormat | None  # what ContextProvider.context_for is asked to write
    markers: RepoMarkers | None

    def ids(self, packed: PackedContext) -> list[int] | None:
        """The ids of `packed`; None when a file holds a token stand-in (engine/fim.py): it
        must not become a token, so such context is dropped."""
        headers = len({c["path"] for c in packed.chunks}) + 1  # files shown, the current one
        if self.markers is not None and self.markers.forged(packed.text, headers):
            return None
        return self.tokenize(packed.text)

    def shown(self, text: str) -> str:
        """Packed text with the tokens' own texts for the stand-ins (--json, logs)."""
        return self.markers.shown(text) if self.markers is not None else text


def context_format(
    repo_tokens: tuple[int | None, int | None], tokenize: Callable[[str], list[int]]
) -> ContextFormat:
    """`repo_tokens`: ModelInfo's / VocabReport's; `tokenize`: the model's, special tokens off.
    The packer writes stand-ins for the repository tokens, which become the tokens' ids, and
    everything else is tokenised with special tokens off, so file text can never forge one."""
    markers = RepoMarkers.of(repo_tokens)
    if markers is None:
        return ContextFormat(tokenize, None, None)
    repo_name = REPO_TOKEN_STANDIN[0] if markers.repo_name is not None else None
    return ContextFormat(
        partial(markers.ids, tokenize=tokenize),
        RepoFormat(file_sep=REPO_TOKEN_STANDIN[1], repo_name=repo_name),
        markers,
    )


class PromptBuilder:
    """Stateful only in the remembered window starts, one per document key."""

    def __init__(
        self, tokenize: Callable[[str], list[int]], *, prefix_tokens: int, suffix_tokens: int
    ) -> None:
        self._tokenize = tokenize
        self._prefix_budget = prefix_tokens
        self._suffix_budget = suffix_tokens
        self._anchors: dict[str, int] = {}
        # The suffix's cut, by the text after the cursor: typing at the cursor leaves that text
        # as it was, and cutting it is a tokenisation per line tried (10 ms a key on 2 cores).
        self._suffixes: OrderedDict[str, tuple[str, list[int]]] = OrderedDict()
        # The prefix's lines above the cursor's, tokenised, per document (_window_ids).
        self._heads: dict[str, tuple[str, list[int]]] = {}
        self._seams = SeamCheck()

    def forget(self, key: str) -> None:
        self._anchors.pop(key, None)
        self._heads.pop(key, None)

    def keys(self) -> Iterator[str]:
        """The documents with a remembered window start."""
        yield from list(self._anchors)

    def build(
        self,
        key: str,
        text: str,
        offset: int,
        *,
        remember: bool = True,
        off_path: bool = False,
        hint: Sequence[int] = (),
    ) -> BuiltPrompt:
        """`remember=False` (speculation) uses the document's window start without moving it.
        `off_path`: nobody waits for this prompt (a prewarm, a speculation): the checks of the
        tokenizer's line seams run there (`_window_ids`). `hint`: ids of whole lines to put
        right above the cursor's line (the receiver hint, context/pack/hint.py)."""
        start, prefix_ids = self._prefix(key, text, offset, remember, off_path)
        hinted = False
        if hint:
            prefix_ids, hinted = self._with_hint(key, text, start, offset, prefix_ids, hint)
        suffix_text, suffix_ids = self._suffix(text, offset)
        return BuiltPrompt(
            prompt=FimPrompt(prefix_ids=prefix_ids, suffix_ids=suffix_ids),
            prefix_text=text[start:offset],
            suffix_text=suffix_text,
            hinted=hinted,
        )

    def _with_hint(
        self, key: str, text: str, start: int, offset: int, ids: list[int], hint: Sequence[int]
    ) -> tuple[list[int], bool]:
        """`ids` (the window's) with `hint` between the lines above the cursor's and the cursor's
        own: the ids before it are the KV cache's, the hint is evaluated with the line. Only at
        an exact seam (the head's ids starting the window's); else `ids` as they are."""
        found = max(text.rfind("\n", start, offset), text.rfind("\r", start, offset))
        if found >= 0:
            line_start = found + 1
        elif start == 0 or text[start - 1] in "\r\n":
            line_start = start  # the window starts with the cursor's line
        else:
            return ids, False  # the window starts inside the cursor's (very long) line
        if line_start == start:  # rare: the cursor's line is the text's first, or too long
            whole = ids == self._tokenize(text[start:offset])  # not its tail (_prefix)
            return (list(hint) + ids, True) if whole else (ids, False)
        head = self._head_ids(key, text[start:line_start])
        if ids[: len(head)] != head:
            return ids, False
        return head + list(hint) + ids[len(head) :], True

    def _prefix(
        self, key: str, text: str, offset: int, remember: bool, off_path: bool
    ) -> tuple[int, list[int]]:
        budget = self._prefix_budget
        anchor = self._anchors.get(key)
        if anchor is not None and anchor <= offset and (anchor == 0 or text[anchor - 1] in "\r\n"):
            ids = self._window_ids(key, text, anchor, offset, off_path)
            if len(ids) <= budget:
                return anchor, ids
        lo = max(0, offset - budget * CHARS_PER_TOKEN_BOUND)
        target = int(budget * FRESH_WINDOW_SHARE)
        # A new window is sized on the lines above the cursor's line, not on the text up to
        # the cursor: any place on that line gets the same start (while the line takes at most
        # the budget's remaining quarter), so a document reopened, or a daemon restarted,
        # where the user typed before finds the KV state it left there (kv_store.py,
        # kv_persist.py), however far along the line the cursor is now.
        line_start = max(text.rfind("\n", lo, offset), text.rfind("\r", lo, offset)) + 1
        start, ids = offset, []
        if line_start > lo:
            # Room to type stays at least half the slack the budget leaves beyond `target`.
            slack = (budget - target) // 2
            room = min(target, budget - slack - len(self._tokenize(text[line_start:offset])))
            start, ids = self._fresh_start(text, lo, line_start, offset, room, budget)
        if not ids:  # a line too long for that (or the text's first): sized up to the cursor
            start, ids = self._fresh_start(text, lo, offset, offset, target, budget)
        if not ids and offset > lo:
            # No line start fits (one very long line): keep the end of the text, token-exact.
            ids = self._tokenize(text[lo:offset])[-target:]
            start = lo
        if remember:
            self._anchors[key] = start
        return start, ids

    def _fresh_start(
        self, text: str, lo: int, sized_to: int, offset: int, room: int, budget: int
    ) -> tuple[int, list[int]]:
        """The earliest line start in [lo, sized_to] whose text up to `sized_to` fits `room`
        tokens, with the ids up to `offset` if they fit `budget`; (offset, []) when none does.
        Token counts fall as the start moves right: a binary search."""
        starts = _line_starts_before(text, lo, sized_to)
        found, sized = None, []
        low, high = 0, len(starts) - 1
        while low <= high:
            middle = (low + high) // 2
            candidate = self._tokenize(text[starts[middle] : sized_to])
            if len(candidate) <= room:
                found, sized, high = starts[middle], candidate, middle - 1
            else:
                low = middle + 1
        if found is None:
            return offset, []
        ids = sized if sized_to == offset else self._tokenize(text[found:offset])
        return (found, ids) if len(ids) <= budget else (offset, [])

    def _window_ids(
        self, key: str, text: str, start: int, offset: int, off_path: bool = False
    ) -> list[int]:
        """The ids of text[start:offset]: the lines above the cursor's (unchanged while the user
        types on one line, and grown by the lines an Enter finished: kept per document) and the
        cursor's line tokenised on its own, once this tokenizer's counts have proven to add up
        at line ends (block.SeamCheck; each check compares with the window tokenised whole).
        A window tokenised whole cost 6-20 ms a key on two cores, more than the rest of the
        request outside the engine (issue #12 item 2; bench/README.md): a request checks only
        while nothing was checked yet (the first prompt of this builder), and the other checks
        run off the typing path (`off_path`: prewarms, speculations)."""
        line_start = max(text.rfind("\n", start, offset), text.rfind("\r", start, offset)) + 1
        if line_start <= start:
            return self._tokenize(text[start:offset])
        seams = self._seams
        if seams.inexact:  # this tokenizer's pieces do not add up: the window whole
            return self._tokenize(text[start:offset])
        head = text[start:line_start]
        head_ids = self._head_ids(key, head)
        ids = head_ids + self._tokenize(text[line_start:offset])
        if seams.unchecked or (off_path and seams.due()):
            whole = self._tokenize(text[start:offset])
            seams.saw(whole == ids)
            return whole
        return ids

    def _head_ids(self, key: str, head: str) -> list[int]:
        """The ids of the lines above the cursor's line: kept per document; when the head only
        grew (the lines an Enter finished), only what it gained is tokenised."""
        kept = self._heads.get(key)
        if kept is not None and kept[0] == head:
            return kept[1]
        if kept is not None and kept[0].endswith("\n") and head.startswith(kept[0]):
            ids = kept[1] + self._tokenize(head[len(kept[0]) :])  # a seam at a line end
        else:
            ids = self._tokenize(head)
        self._heads[key] = (head, ids)
        return ids

    def _suffix(self, text: str, offset: int) -> tuple[str, list[int]]:
        budget = self._suffix_budget
        if budget <= 0:
            return "", []
        hi = min(len(text), offset + budget * CHARS_PER_TOKEN_BOUND)
        window = text[offset:hi]
        known = self._suffixes.get(window)
        if known is not None:
            self._suffixes.move_to_end(window)
            return known[0], list(known[1])
        cut = self._cut_suffix(window, budget)
        self._suffixes[window] = (cut[0], list(cut[1]))
        if len(self._suffixes) > MAX_SUFFIXES:
            self._suffixes.popitem(last=False)
        return cut

    def _cut_suffix(self, window: str, budget: int) -> tuple[str, list[int]]:
        ids = self._tokenize(window)
        if len(ids) <= budget:
            return window, ids
        # Whole lines only, so the suffix does not change while the user types before it.
        for line_end in reversed([m.end() for m in _LINE_END.finditer(window)]):
            candidate = self._tokenize(window[:line_end])
            if len(candidate) <= budget:
                return window[:line_end], candidate
        return window, ids[:budget]  # the first line alone is too long: cut it token-exact
