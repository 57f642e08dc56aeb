"""Where the current file uses names, as line distances from the cursor.

Every line but the cursor's is split into (name, base) uses (`line_uses`); a name's distance is
the nearest line that uses it, in buckets (`DISTANCE_BUCKETS`), so moving one line rarely
reorders anything. The cursor's line counts only from the cursor on: typing inserts before that
part, so what is typed never changes the result.

The per-line uses of a file are kept in a row index (rows per name, per attribute, per
(base, name) pair), reused while the file differs from the indexed text only on the cursor's
line: typing on one line, or moving the cursor, costs a few bisections per name asked about,
not a scan of the file. The row indexes of a document are kept in its `RowsMemo`, which the
session's builder holds per document (builder.py).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Mapping

from coderd.context.index.line_edits import export_rows, import_rows

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|::|->|\.|[)\]\"'`]")
SEPARATORS = frozenset({".", "::", "->"})
# Line distance -> bucket; a name used nowhere else gets UNUSED.
DISTANCE_BUCKETS = (2, 5, 10, 20, 40, 80, 160, 320)
UNUSED = len(DISTANCE_BUCKETS) + 1
# An imported name (or module) used nowhere yet ranks first, before the names used nearby:
# every import is used somewhere, so that one is about to be (#13's first-use samples: dev
# mean recall at 256 tokens 0.59 -> 0.61).
NOT_YET_USED = -0.5
_BUCKET_OF = [
    next((i for i, limit in enumerate(DISTANCE_BUCKETS) if d <= limit), len(DISTANCE_BUCKETS))
    for d in range(DISTANCE_BUCKETS[-1] + 1)
]
_COMMENTS = ("#", "//", "/*", "* ", "--")
MAX_ROWS_PER_DOCUMENT = 2  # the newest text's rows, and the one before (a late request)


def bucket(distance: int) -> int:
    return _BUCKET_OF[distance] if distance < len(_BUCKET_OF) else len(DISTANCE_BUCKETS)


def line_uses(line: str) -> tuple[tuple[str, str], ...]:
    """(name, base) for each identifier of a line: base "" for a bare name, the identifier
    before the separator for `base.name`, "?" when the base is an expression (`f().name`)."""
    found = []
    previous = ""  # the token before
    before = ""  # the token before the separator
    for token in TOKEN.findall(line):
        if token in SEPARATORS:
            before = previous
            previous = token
            continue
        if token[0].isalpha() or token[0] == "_":
            if previous in SEPARATORS:
                base = before if before and (before[0].isalpha() or before[0] == "_") else "?"
                found.append((token, base))
            else:
                found.append((token, ""))
        previous = token
    return tuple(found)


class _Rows:
    """Rows (0-based, ascending, repeated when a line uses a name twice) where each name,
    attribute and pair is used. Built once per text; the loop is the hot path of a first
    request on a line, hence plain dict and list methods only.

    `uses` keeps each line's `line_uses`, so that the document's next text splits only the
    lines that changed (`known`: the previous text's). It lives and dies with the document's
    memo: a process-wide cache of lines used to pin memory long after the documents it came
    from were closed (#11: 500 open/close cycles of 200 KB documents, +28 MB -> +12)."""

    def __init__(self, text: str, imports, known: Mapping[str, tuple] | None = None) -> None:
        self.text, self.imports = text, imports
        known = known or {}
        uses: dict[str, tuple[tuple[str, str], ...]] = {}
        bare: dict[str, list[int]] = {}
        attrs: dict[str, list[int]] = {}
        pairs: dict[str, dict[str, list[int]]] = {}  # base -> name -> rows
        lines = text.split("\n")
        skip = import_rows(lines, imports) if imports else set()
        exported = export_rows(lines) if "__all__" in text else set()
        skip = self.import_rows = skip | exported  # Python's `__all__`: strings, not uses
        self.exports = "\n".join(lines[r] for r in sorted(exported))  # (once.listed_exports)
        bare_get, attr_get, pair_get = bare.setdefault, attrs.setdefault, pairs.setdefault
        for row, line in enumerate(lines):
            if not line or row in skip:
                continue
            found = uses.get(line)
            if found is None:
                found = known.get(line)
                uses[line] = found = line_uses(line) if found is None else found
            for name, base in found:
                if base:
                    pair_get(base, {}).setdefault(name, []).append(row)
                    attr_get(name, []).append(row)
                else:
                    bare_get(name, []).append(row)
        self.bare, self.attrs, self.pairs, self.uses = bare, attrs, pairs, uses
        self._prose: frozenset[int] | None = None

    @property
    def prose(self) -> frozenset[int]:
        """Rows of comments and docstrings (`# the URL path`): a name there is not called.
        Computed with the rows on the buffer thread (prepare_rows), else by the first request
        that asks; kept with the rows (two threads computing it at once get equal sets)."""
        if self._prose is None:
            lines = self.text.split("\n")
            found = {row for row, line in enumerate(lines) if line.lstrip().startswith(_COMMENTS)}
            if '"""' in self.text or "'''" in self.text:  # docstrings: rows between quotes
                quoted = False
                for row, line in enumerate(lines):
                    quotes = line.count('"""') + line.count("'''")
                    if quoted or quotes:
                        found.add(row)
                    quoted ^= quotes % 2 == 1
            self._prose = frozenset(found)
        return self._prose

    def valid_for(self, text: str, start: int, end: int, imports) -> bool:
        """`text` equals the indexed text except on the line [start, end)."""
        old = self.text
        if imports != self.imports or (start and old[start - 1 : start] != "\n"):
            return False
        old_end = old.find("\n", start)
        old_end = len(old) if old_end < 0 else old_end
        return old[:start] == text[:start] and old[old_end:] == text[end:]


def _nearest(rows: list[int] | None, row: int) -> int:
    """Distance bucket of the nearest row other than `row`, UNUSED when none."""
    if not rows:
        return UNUSED
    best = 1 << 30
    i = bisect_left(rows, row)
    if i > 0:
        best = row - rows[i - 1]
    j = bisect_right(rows, row, i)
    if j < len(rows):
        best = min(best, rows[j] - row)
    return bucket(best) if best < 1 << 30 else UNUSED


class Usage:
    """Distance buckets of the names the file uses, the cursor's line aside. Lookups are
    computed on demand; `members` is filled in by retrieve() for pack's member selection."""

    def __init__(self, rows: _Rows, row: int, rest: tuple[tuple[str, str], ...]) -> None:
        self._rows, self._row = rows, row
        self._rest_bare = {name for name, base in rest if not base}
        self._rest_attrs = {name for name, base in rest if base}
        self._rest_pairs = {(base, name) for name, base in rest if base}
        self.members: dict[str, int] = {}  # attrs whose base is not a module
        self.import_rows = rows.import_rows  # 0-based rows of its imports and `__all__`
        self.exports = rows.exports  # the text of its `__all__` statements
        self._earlier: frozenset[str] | None = None
        self._pairs_with: dict[str, dict[str, int]] = {}

    @property
    def earlier(self) -> frozenset[str]:
        """Attributes used only above the cursor's line (`x.name`, any base): the prompt's
        prefix shows them being used already, so a member list gains more by the members it
        does not (skeletons.ranked_members puts these after the unused ones)."""
        if self._earlier is None:
            row = self._row
            self._earlier = frozenset(
                name
                for name, rows in self._rows.attrs.items()
                if rows[-1] < row and name not in self._rest_attrs
            )
        return self._earlier

    def above_only(self, name: str) -> bool:
        """Whether every use of `name` in code (bare or as an attribute; a comment naming it
        shows no call) is above the cursor's line."""
        if name in self._rest_bare or name in self._rest_attrs:
            return False
        return self._only_above(self._rows_of(name))

    def pair_above_only(self, base: str, name: str) -> bool:
        """above_only for `base.name` (a module's name used through its alias)."""
        if (base, name) in self._rest_pairs:
            return False
        return self._only_above(self._rows.pairs.get(base, {}).get(name) or [])

    def in_prose_only(self, name: str) -> bool:
        """Whether `name` is used only in comments and docstrings (the cursor's line aside)."""
        if name in self._rest_bare or name in self._rest_attrs:
            return False
        rows = self._rows_of(name)
        return bool(rows) and self._rows.prose.issuperset(rows)

    def _rows_of(self, name: str) -> list[int]:
        return (self._rows.bare.get(name) or []) + (self._rows.attrs.get(name) or [])

    def _only_above(self, rows: list[int]) -> bool:
        prose = self._rows.prose if rows else frozenset()
        code = [r for r in rows if r not in prose]
        return bool(code) and max(code) < self._row

    def bare_of(self, name: str) -> int:
        return 0 if name in self._rest_bare else _nearest(self._rows.bare.get(name), self._row)

    def attr_of(self, name: str) -> int:
        return 0 if name in self._rest_attrs else _nearest(self._rows.attrs.get(name), self._row)

    def of(self, name: str) -> int:
        return min(self.bare_of(name), self.attr_of(name))

    def pairs_with(self, base: str) -> Mapping[str, int]:
        """name -> bucket for each `base.name` the file uses (kept for the build: retrieval
        asks for the same bases hundreds of times, 300 calls a build in itertools' lib.rs)."""
        kept = self._pairs_with.get(base)
        if kept is not None:
            return kept
        found = {
            name: _nearest(rows, self._row) for name, rows in self._rows.pairs.get(base, {}).items()
        }
        found.update({name: 0 for b, name in self._rest_pairs if b == base})
        kept = self._pairs_with[base] = {name: b for name, b in found.items() if b < UNUSED}
        return kept

    @property
    def pairs(self) -> dict[tuple[str, str], int]:
        """(base, name) -> bucket for every pair used (all of them: costs a pass)."""
        return {
            (base, name): b
            for base in set(self._rows.pairs) | {b for b, _ in self._rest_pairs}
            for name, b in self.pairs_with(base).items()
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Usage):
            return NotImplemented
        names = set(self._rows.bare) | set(other._rows.bare) | self._rest_bare | other._rest_bare
        return self.pairs == other.pairs and all(self.of(n) == other.of(n) for n in names)


class RowsMemo:
    """The row indexes of one document's latest texts, newest first. The look-ahead (buffer
    thread) adds to it while a request (worker thread) reads it: a small lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: tuple[_Rows, ...] = ()

    def find(self, text: str, start: int, end: int, imports: tuple) -> _Rows | None:
        with self._lock:
            kept = self._rows
        return next((r for r in kept if r.valid_for(text, start, end, imports)), None)

    def add(self, rows: _Rows) -> None:
        with self._lock:
            self._rows = (rows, *self._rows[: MAX_ROWS_PER_DOCUMENT - 1])

    def known_lines(self) -> Mapping[str, tuple]:
        """The newest text's per-line uses (read-only once built: shared across threads)."""
        with self._lock:
            return self._rows[0].uses if self._rows else {}

    def __len__(self) -> int:
        return len(self._rows)


def usage_of(text: str, offset: int, imports=(), memo: RowsMemo | None = None) -> Usage:
    """Uses of names in the file, import statements (`imports`, from the index) left out.
    `memo`: the document's row indexes (reused while only the cursor's line differs)."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    imports = tuple(imports)
    rows = memo.find(text, start, end, imports) if memo is not None else None
    if rows is None:
        rows = _Rows(text, imports, memo.known_lines() if memo is not None else None)
        if memo is not None:
            memo.add(rows)
    return Usage(rows, text.count("\n", 0, offset), line_uses(text[offset:end]))


def prepare_rows(memo: RowsMemo, text: str, imports=()) -> None:
    """Build the row index of a buffer's new text ahead of the next request (after its parse,
    on the index's buffer thread: builder.py `warm`), off the completion path."""
    rows = _Rows(text, tuple(imports), memo.known_lines())
    _ = rows.prose  # computed here, off the request's path (1-2 ms in a big file)
    memo.add(rows)
