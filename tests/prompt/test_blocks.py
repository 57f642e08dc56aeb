"""Context blocks kept for a document that was closed, or served by the last daemon: its saved
KV state holds that block, and a reopen must not cost the whole prompt because retrieval now
gives another one (issue #12, warm restarts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderd.completion import warm
from coderd.completion.cache import CompletionCache
from coderd.prompt.blocks import KEPT_BLOCKS, Block, ContextBlocks
from coderd.testing.fake_engine import ScriptedEngine

URI = "file:///work/app.py"
OLD = Block("# util.py\ndef helper(): ...\n", (7, 8, 9), ({"path": "util.py", "lines": [1, 1]},))
NEW = Block("# other.py\ndef other(): ...\n", (4, 5, 6))


def served_whole(blocks: ContextBlocks, key: str, block: Block) -> None:
    assert blocks.choose(key, block, background=False) == (block, False)
    blocks.evaluated(key, block)


def test_a_reopened_document_keeps_the_block_its_saved_state_holds():
    blocks = ContextBlocks()
    served_whole(blocks, "s1|" + URI, OLD)
    blocks.forget("s1|" + URI)
    assert list(blocks.keys()) == []  # nothing per open document is left
    # Another editor session (or a daemon with sessions numbered afresh) opens it again.
    block, pending = blocks.choose("s2|" + URI, NEW, background=False)
    assert block == OLD and pending  # the fresh one waits for a background evaluation
    blocks.evaluated("s2|" + URI, OLD)
    assert blocks.choose("s2|" + URI, NEW, background=True) == (NEW, False)  # the pause's


def test_a_block_not_evaluated_whole_is_not_kept_and_a_kept_one_is_taken_once():
    blocks = ContextBlocks()
    assert blocks.choose("s1|" + URI, OLD, background=False) == (OLD, False)
    blocks.forget("s1|" + URI)  # closed before its prompt was in the cache whole
    assert blocks.choose("s1|" + URI, NEW, background=False) == (NEW, False)
    blocks.evaluated("s1|" + URI, NEW)
    blocks.forget("s1|" + URI)
    assert blocks.choose("s1|" + URI, NEW, background=False) == (NEW, False)  # same text


def test_kept_blocks_are_bounded():
    blocks = ContextBlocks()
    blocks.keep([(f"file:///f{i}.py", OLD) for i in range(KEPT_BLOCKS + 5)])
    kept = blocks.kept()
    assert len(kept) == KEPT_BLOCKS and kept[-1][0] == f"file:///f{KEPT_BLOCKS + 4}.py"


def test_the_next_daemon_keeps_the_blocks_of_the_last(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    engine = ScriptedEngine(rules=[])
    blocks = ContextBlocks()
    served_whole(blocks, "s1|" + URI, OLD)  # open when the daemon stops
    served_whole(blocks, "s1|file:///work/.env", NEW)  # secret-looking: never written
    warm.save(engine, CompletionCache(), blocks)
    after = ContextBlocks()
    warm.restore(engine, CompletionCache(), after)
    assert after.kept() == [(URI, OLD)]
    assert after.choose("s1|" + URI, NEW, background=False) == (OLD, True)


@pytest.mark.parametrize("rows", ['[["u", "t", ["x"], [], ""]]', '[["u", "t", [1], [3], ""]]'])
def test_damaged_blocks_are_ignored(tmp_path: Path, monkeypatch, rows: str):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    engine = ScriptedEngine(rules=[])
    warm.save(engine, CompletionCache(), None)
    path = warm.cache_file(warm.model_identity(engine))
    path.write_text(path.read_text().replace('"blocks": []', f'"blocks": {rows}'))
    after = ContextBlocks()
    warm.restore(engine, CompletionCache(), after)
    assert after.kept() == []
