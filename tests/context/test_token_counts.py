"""pack/counts.py: token counts kept across builds, by line, and the lines never counted
tokenised in one call (the real tokenizer through llama.cpp, and a merging one)."""

from __future__ import annotations

import gc
from pathlib import Path

from coderd.context.pack.counts import TokenCounts
from coderd.engine.llama.model import LlamaModel

SNIPPET = (
    "class Grid:\n"
    "    def cell(self, x: int) -> 'Cell':\n"
    "\n"
    "\tpass  # café ✓ 東京\n"
    "    async def rows(self) -> list[Row]:\r\n"
    "        return [r for r in self._rows]"
)


def test_lines_counted_in_one_call_have_each_line_s_own_ids(tiny_model_path: Path) -> None:
    vocab = LlamaModel(tiny_model_path, gpu_layers=0, vocab_only=True)
    calls: list[str] = []

    def tokenize(text: str) -> list[int]:
        calls.append(text)
        return vocab.tokenize(text)

    lines = SNIPPET.splitlines(keepends=True)
    alone = [vocab.tokenize(line) for line in lines]
    newline = vocab.tokenize("\n")
    split = len(newline) == 1 and all(ids[-1:] == newline for ids in alone[:-1])
    try:
        counts = TokenCounts()
        assert counts.pieces(tokenize)(SNIPPET) == [i for ids in alone for i in ids]
        # The "\n" probe, then one call for the ended lines and one for the last (a
        # vocabulary whose newline merges with the line's end: one call per line).
        assert len(calls) == (3 if split else 1 + len(lines))
        calls.clear()
        grown = SNIPPET.replace("class Grid:\n", "class Grid:\n    size = 3\n")
        assert counts.pieces(tokenize)(grown) == [
            i for line in grown.splitlines(keepends=True) for i in vocab.tokenize(line)
        ]
        assert calls == ["    size = 3\n"]  # only the new line
    finally:
        vocab.close()


class MergesColonNewline:
    """A token per character, but ":\n" is one token: a newline is not always a token alone."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, text: str) -> list[int]:
        self.calls.append(text)
        return [
            1000 if c == "\n" and text[k - 1 : k] == ":" else ord(c)
            for k, c in enumerate(text)
            if not (c == ":" and text[k + 1 : k + 2] == "\n")
        ]


def test_a_newline_merged_into_a_token_gets_each_line_counted_alone() -> None:
    tokenize, counts = MergesColonNewline(), TokenCounts()
    ids = counts.pieces(tokenize)("def f():\n    return 1\n")
    assert ids == tokenize("def f():\n") + tokenize("    return 1\n")
    assert "def f():\n    return 1\n" in tokenize.calls  # tried in one call, then line by line
    assert "def f():\n" in tokenize.calls


def test_kept_counts_leave_the_cyclic_collector() -> None:
    """What the memos keep is never walked by a full collection (coderd/system/collector.py):
    ids held as lists were four fifths of such a walk after 600 builds on a big package."""
    counts = TokenCounts()
    tokenize = lambda text: list(range(len(text)))
    counts.pieces(tokenize)(SNIPPET)
    counts.whole(tokenize)(SNIPPET)
    counts.hint(tokenize)("# a hint line")
    gc.collect()
    kept = [
        ids
        for memo in (counts._whole, counts._line, counts._joined, counts._hint)
        for ids in memo._data.values()
    ]
    assert kept and not any(gc.is_tracked(ids) for ids in kept)
    assert isinstance(counts.whole(tokenize)(SNIPPET), list)  # callers still get lists
