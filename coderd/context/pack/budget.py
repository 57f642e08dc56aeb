"""What keeps a context block in its budget (block.py): the room reserved for the lines of the
names the file imports, and the check that a tokenizer's piece counts add up."""

from __future__ import annotations

import threading
from collections.abc import Callable

# Share of the budget that the first lines of the names the file imports (and the module
# members it uses, a Go package's names it uses) may hold against everything else, best first.
RESERVE_SHARE = 0.5
# When the first lines of all of them fit in this share, all are held: jinja2's environment.py
# (47 imports, constants used 80 lines below) lost 7 of its import samples at 1,024 tokens to
# lists ranked before them, which the naive list, one line a name, showed. 0.75 -> 0.875 (session
# 16, nine sets): import hits +4/+6/0 at 256/512/1,024 (starlette +3 at 512), the block's
# method hits -5/-2/0 and the prompt's (block and receiver hint) none; 1.0 lost module hits.
RESERVE_ALL_SHARE = 0.875
RESERVED_SOURCES = frozenset({"import", "module"})
MIN_LINE_TOKENS = 4  # a signature line and its newline: `fn f()` is four DeepSeek tokens


class Reservation:
    """Room kept for the first line of each name the file imports, best ranked first, as far
    as RESERVE_SHARE of the budget holds them. Nothing else (a type's growing member list, a
    guess, a body) may take that room; the names themselves take it when their turn comes.
    Ranking alone let a type's list, ranked before a name used 200 lines away, grow into the
    budget that name's line needed: the naive import list, which shows every import's line
    and nothing else, then beat coderd on imports at 512 and 1,024 tokens (#13).

    `pending` is the room still held: the reserved lines not placed yet and the headers of
    their files not opened yet (a file's header is paid once, by whichever piece opens it)."""

    def __init__(self, header_cost: Callable[[str], int]) -> None:
        self._header_cost = header_cost
        self._lines: dict[int, tuple[str, int]] = {}  # rank -> (path, tokens of its line)
        self._files: set[str] = set()  # those of the reserved lines
        self._opened: set[str] = set()
        self.pending = 0
        self.complete = False  # every imported name's line is held

    def offer(self, rank: int, path: str, cost: int, room: int) -> bool:
        """Reserves `cost` tokens (and the header of `path`'s file, first time) for the line of
        the candidate at `rank` if the reservation stays within `room`; offers come best
        first, and the first that does not fit ends the reservation (False)."""
        header = 0 if path in self._files else self._header_cost(path)
        if self.pending + cost + header > room:
            return False
        self._lines[rank] = (path, cost)
        self._files.add(path)
        self.pending += cost + header
        return True

    def holds(self, rank: int) -> bool:
        return rank in self._lines

    def placed(self, rank: int, path: str) -> None:
        """A piece from `path` went in (`rank`'s first form): its reserved line, and its file's
        reserved header if it opened the file, are no longer held."""
        line = self._lines.pop(rank, None)
        if line is not None:
            self.pending -= line[1]
        if path not in self._opened:
            self._opened.add(path)
            if path in self._files:
                self.pending -= self._header_cost(path)


def reserve_lines(candidates, shapes_of, cost, header_cost, room: int) -> Reservation:
    """The first lines of the names the file imports (block.py's candidates; `shapes_of(rank)`
    their forms, `cost(text)` and `header_cost(path)` in tokens): all of them when they fit in
    RESERVE_ALL_SHARE of `room`, else best first as far as RESERVE_SHARE holds them. Trying
    them all tokenises more lines: not when there are too many to fit at MIN_LINE_TOKENS a
    line (itertools' lib.rs re-exports 300 names)."""
    ranks = [
        rank
        for rank, c in enumerate(candidates)
        if c.source in RESERVED_SOURCES and c.ref.definition.kind != "skeleton"
    ]
    shares: tuple[float, ...] = (RESERVE_ALL_SHARE, RESERVE_SHARE)
    if len(ranks) * MIN_LINE_TOKENS > RESERVE_ALL_SHARE * room:
        shares = (RESERVE_SHARE,)
    for share in shares:
        reserve = Reservation(header_cost)
        held, complete = int(share * room), True
        for rank in ranks:
            shapes = shapes_of(rank)
            path = candidates[rank].ref.path
            if shapes and not reserve.offer(rank, path, cost(shapes[0]), held):
                complete = False
                break
        if complete:
            reserve.complete = True
            return reserve
    return reserve


class SeamCheck:
    """Whether a tokenizer's counts of the block's pieces add up to the block's own count.

    pack() counts each piece on its own, and the builder a piece by its lines while this
    check holds (counts.py; memoised across builds); checking the joined block
    costs one tokenisation of all of it, 6 ms for 1,000 tokens with DeepSeek Coder's
    tokenizer, half of a first build. Pieces end at a newline, where DeepSeek's pre-tokenizer
    splits anyway: their counts added up exactly in 440 of 440 builds (Python, TypeScript, Go,
    Rust). A tokenizer is therefore checked on every build until TRUST_AFTER builds came out
    exact, then on one build in CHECK_EVERY; one whose pieces ever did not add up is checked
    on every build from then on, and its pieces are counted whole. One per builder (one
    tokenizer); builds run on two threads."""

    TRUST_AFTER = 32
    CHECK_EVERY = 16

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exact = 0
        self._skipped = 0
        self._inexact = False

    def due(self) -> bool:
        with self._lock:
            if self._inexact or self._exact < self.TRUST_AFTER:
                return True
            self._skipped += 1
            return self._skipped % self.CHECK_EVERY == 0

    @property
    def inexact(self) -> bool:
        """Pieces have once not added up: whole texts from now on."""
        with self._lock:
            return self._inexact

    @property
    def unchecked(self) -> bool:
        """No count has been checked yet."""
        with self._lock:
            return self._exact == 0 and not self._inexact

    def saw(self, exact: bool) -> None:
        with self._lock:
            self._exact += exact
            self._inexact = self._inexact or not exact
