"""Recently edited and viewed regions, and windows lexically similar to the cursor's lines.

`RecentRegions` is a small ring buffer fed from the event loop: `didOpen`/`didChange` hand the
provider the new text of a buffer, and `record_change` finds the first line that differs from
the previous text (slice comparisons, no diff: microseconds for a normal file). A completion
records the cursor's line as viewed. Each path keeps a few regions; the least recent path falls
out when the buffer is full.

The retrieval side (`recent_candidates`, `similar_candidates`) runs on the completion worker
(and on the index's buffer thread, for the look-ahead): the regions of *other* files (the
definition around the line, or a window of lines), and the windows of open and recent files
whose identifiers are closest (Jaccard) to those of the lines above the cursor, RepoCoder
style. A file's windows are memoised in the index's memos, by the version of its text.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path

from coderd.context.index.extract import Definition
from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.above import window_above
from coderd.context.retrieve.usage import IDENTIFIER

REGION_MERGE_LINES = 8  # a change this close to a kept region replaces it
WINDOW_HALF = 5  # a region without a small enclosing definition shows line +- this
MAX_REGION_DEFINITION_LINES = 40
SIMILAR_WINDOW = 12  # lines: two strides (windows_of builds them from stride-long blocks)
SIMILAR_STRIDE = 6
SIMILAR_QUERY_LINES = 12
SIMILAR_MIN = 0.15
SIMILAR_TOP = 2
MAX_RECENT_FILES = 4
MAX_SIMILAR_FILES = 8
MAX_SIMILAR_LINES = 600  # a file without a recent region: windows from its first lines only
SIMILAR_REACH = 120  # else windows within this many lines of its recent regions


class RecentRegions:
    def __init__(self, capacity: int = 16, per_path: int = 3) -> None:
        self.capacity = capacity
        self.per_path = per_path
        self._lock = threading.Lock()
        self._paths: OrderedDict[str, list[tuple[int, str]]] = OrderedDict()  # least recent first

    def record(self, path: str | Path, line: int, kind: str) -> None:
        """`kind` is "edit" or "view"; `line` is 1-based."""
        key = str(path)
        with self._lock:
            regions = [r for r in self._paths.pop(key, []) if abs(r[0] - line) > REGION_MERGE_LINES]
            regions.insert(0, (line, kind))
            self._paths[key] = regions[: self.per_path]
            while len(self._paths) > self.capacity:
                self._paths.popitem(last=False)

    def record_change(self, path: str | Path, old: str | None, new: str) -> None:
        if old is None:
            self.record(path, 1, "view")  # opened: its head is what the user sees first
            return
        if old == new:
            return
        self.record(path, new.count("\n", 0, first_difference(old, new)) + 1, "edit")

    def document_count(self) -> int:
        """Files with recorded regions."""
        with self._lock:
            return len(self._paths)

    def forget(self, path: str | Path) -> None:
        with self._lock:
            self._paths.pop(str(path), None)

    def regions(self) -> list[tuple[str, tuple[tuple[int, str], ...]]]:
        """(path, regions newest first), most recent path first."""
        with self._lock:
            return [(p, tuple(r)) for p, r in reversed(self._paths.items())]


def first_difference(old: str, new: str) -> int:
    """Index of the first character where `old` and `new` differ (len of the shorter if none).
    By halving, each step one slice comparison in C: a character loop over the differing
    part cost up to 0.4 ms, three times a key on the event loop (py-spy, issue #12 item 2)."""
    lo, hi = 0, min(len(old), len(new))  # old[:lo] == new[:lo]; the answer is at most hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[lo:mid] == new[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(old: str, new: str, limit: int) -> int:
    """How many characters `old` and `new` end with in common, at most `limit`."""
    lo, hi = 0, limit  # the last lo characters are the same; the answer is at most hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid : len(old) - lo] == new[len(new) - mid : len(new) - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _window(path: str, start: int, end: int) -> DefinitionRef:
    name = f"{path.rpartition('/')[2]}:{start}-{end}"
    return DefinitionRef(path, Definition(name, "window", "", "", start, end))


def recent_candidates(
    index: WorkspaceIndex, recent: RecentRegions, rel_path: str, deadline: float
) -> list[tuple[DefinitionRef, int]]:
    """(definition or window, recency order) for regions of other files, newest first."""
    found: list[tuple[DefinitionRef, int]] = []
    files = 0
    for path, regions in recent.regions():
        if time.thread_time() > deadline or files >= MAX_RECENT_FILES:
            break
        rel = index.relative(path)
        symbols = index.file(rel) if rel is not None else None
        if rel is None or rel == rel_path or symbols is None:
            continue
        files += 1
        for line, _ in regions:
            around = [
                d
                for d in symbols.definitions
                if d.start_line <= line <= d.end_line
                and d.end_line - d.start_line < MAX_REGION_DEFINITION_LINES
            ]
            if around:
                definition = min(around, key=lambda d: d.end_line - d.start_line)
                found.append((DefinitionRef(rel, definition), len(found)))
            else:
                found.append(
                    (_window(rel, max(1, line - WINDOW_HALF), line + WINDOW_HALF), len(found))
                )
    return found


def windows_of(text: str, anchors: tuple[int, ...] = ()) -> list[tuple[int, int, frozenset[str]]]:
    """Sliding windows (start, end, identifier set) of `text` within SIMILAR_REACH lines of
    the 1-based `anchors` (all of the file's first MAX_SIMILAR_LINES without)."""
    lines = text.split("\n")
    spans = [(max(0, a - 1 - SIMILAR_REACH), a - 1 + SIMILAR_REACH) for a in anchors] or [
        (0, MAX_SIMILAR_LINES)
    ]
    starts = sorted(
        {
            start
            for low, high in spans
            for start in range(low - low % SIMILAR_STRIDE, min(high, len(lines)), SIMILAR_STRIDE)
        }
    )
    # A window is two stride-long blocks (SIMILAR_WINDOW = 2 * SIMILAR_STRIDE): each block's
    # identifiers are gathered once, not once per window that holds it.
    blocks: dict[int, frozenset[str]] = {}

    def block(start: int) -> frozenset[str]:
        words = blocks.get(start)
        if words is None:
            chunk = "\n".join(lines[start : start + SIMILAR_STRIDE])
            words = blocks[start] = frozenset(IDENTIFIER.findall(chunk)) if chunk else frozenset()
        return words

    result = []
    for start in starts:
        words = block(start) | block(start + SIMILAR_STRIDE)
        if words:
            result.append((start + 1, min(len(lines), start + SIMILAR_WINDOW), words))
    return result


def _file_windows(
    index: WorkspaceIndex, rel: str, anchors: tuple[int, ...]
) -> list[tuple[int, int, frozenset[str]]] | None:
    """windows_of() the text of `rel` (its open buffer, else the disk), memoised in the index's
    memos under the text's version: the buffer's, or the file's last committed parse (a file
    is read again after the index saw it change). None when it cannot be read."""
    buffered = index.buffer(rel)
    text_version = ("buffer", buffered[0]) if buffered else ("disk", index.version(rel))
    key = (rel, text_version, anchors)
    found = index.memos.windows.get(key)
    if found is None:
        if buffered is not None:
            content = buffered[1]
        else:
            try:
                content = (index.root / rel).read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                return None
        found = index.memos.windows.put(key, windows_of(content, anchors))
    return found


def query_tokens(text: str, offset: int, lines: int = SIMILAR_QUERY_LINES) -> frozenset[str]:
    """Identifiers of the `lines` lines above the cursor's line (never the line being typed)."""
    return frozenset(IDENTIFIER.findall(window_above(text, offset, lines)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter) if inter else 0.0


def similar_candidates(
    index: WorkspaceIndex,
    recent: RecentRegions,
    rel_path: str,
    text: str,
    offset: int,
    deadline: float,
) -> list[tuple[DefinitionRef, float]]:
    """Windows of open and recent files most similar to the lines above the cursor."""
    query = query_tokens(text, offset)
    if len(query) < 3:
        return []
    paths: dict[str, tuple[int, ...]] = {}  # file -> lines the windows stay near
    for path, regions in recent.regions():
        rel = index.relative(path)
        if rel is not None and rel != rel_path and rel not in paths:
            paths[rel] = tuple(sorted(line for line, _ in regions))
    for rel in index.buffer_paths():
        if rel != rel_path and rel not in paths:
            paths[rel] = ()
    scored: list[tuple[float, str, int, int]] = []
    for rel, anchors in list(paths.items())[:MAX_SIMILAR_FILES]:
        if time.thread_time() > deadline:
            break
        if index.file(rel) is None:
            continue
        windows = _file_windows(index, rel, anchors)
        for start, end, words in windows or ():
            score = jaccard(query, words)
            if score >= SIMILAR_MIN:
                scored.append((score, rel, start, end))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    return [(_window(rel, start, end), score) for score, rel, start, end in scored[:SIMILAR_TOP]]
