"""The current file's syntax tree with the cursor's line blanked, parsed incrementally.

Blanking the cursor's line makes the tree independent of what is typed there (the context
block must not change on a keystroke). The tree is parsed incrementally from the last one
parsed for the file here, or from the index's tree of the open buffer (index.buffer_tree):
tree-sitter then re-reads little more than the changed line. The index's buffer thread calls
infer.prepare() after a change, so the request usually finds its tree ready.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import tree_sitter

from coderd.context.index.languages import parser_for

MAX_CACHED_FILES = 8


@dataclass
class Parsed:
    source: bytes  # the text with the cursor's line blanked
    tree: tree_sitter.Tree
    matches: dict[tuple, list] = field(default_factory=dict)  # query regions -> bindings found


_cache: OrderedDict[tuple, Parsed] = OrderedDict()
_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every parsed file (benchmarks measure first builds with it)."""
    with _lock:
        _cache.clear()


def parse_blanked(
    index, rel: str, source: bytes, language: str, cold_limit: int | None = None
) -> Parsed | None:
    """`source` parsed, incrementally when a tree of the file is at hand; None when none is
    and `source` is longer than `cold_limit` bytes (a full parse of a big file does not belong
    on the completion path: the index's buffer thread parses open files anyway)."""
    key = (str(index.root), rel)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            if cached.source == source:
                return cached
    base = (cached.source, cached.tree) if cached is not None else index.buffer_tree(rel)
    parser = parser_for(language)
    if base is not None:
        old_source, old_tree = base
        tree = old_tree.copy()
        tree.edit(**_edit(old_source, source))
        tree = parser.parse(source, tree)
    elif cold_limit is not None and len(source) > cold_limit:
        return None
    else:
        tree = parser.parse(source)
    parsed = Parsed(source, tree)
    with _lock:
        _cache[key] = parsed
        while len(_cache) > MAX_CACHED_FILES:
            _cache.popitem(last=False)
    return parsed


def _edit(old: bytes, new: bytes) -> dict:
    """The one edit that turns `old` into `new` (common prefix and suffix kept)."""
    start = _common(old, new, 0)
    tail = _common(old[start:][::-1], new[start:][::-1], 0)  # the suffix may not overlap it
    old_end, new_end = len(old) - tail, len(new) - tail
    return {
        "start_byte": start,
        "old_end_byte": old_end,
        "new_end_byte": new_end,
        "start_point": _point(old, start),
        "old_end_point": _point(old, old_end),
        "new_end_point": _point(new, new_end),
    }


def common_prefix(a: bytes, b: bytes) -> int:
    return _common(a, b, 0)


def _common(a: bytes, b: bytes, start: int) -> int:
    """Length of the common prefix of `a` and `b`: slice comparisons (in C), halving the step."""
    limit = min(len(a), len(b))
    step = 1 << 16
    while step:
        while start + step <= limit and a[start : start + step] == b[start : start + step]:
            start += step
        step >>= 1
    return start


def _point(source: bytes, offset: int) -> tuple[int, int]:
    return source.count(b"\n", 0, offset), offset - (source.rfind(b"\n", 0, offset) + 1)
