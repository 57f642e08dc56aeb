"""The memos an index owns (index/memos.py), and the file versions they are keyed by.

Each memo that describes a file must follow that file's committed parses, never id() of an
object it does not keep alive; these tests change a file and check the answer changes.
"""

from __future__ import annotations

import os
from pathlib import Path

from ctx_helpers import write

from coderd.context.index.extract import Import
from coderd.context.index.memos import IndexMemos, Lru
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.retrieve.infer import TypeEnv
from coderd.context.retrieve.resolve import resolve_import
from coderd.context.retrieve.scope import Scope
from coderd.context.retrieve.typed import TypeResolver


def test_an_lru_keeps_the_most_recently_used_entries() -> None:
    memo: Lru[str, int] = Lru(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "a" is now the most recent
    memo.put("c", 3)
    assert len(memo) == 2 and "b" not in memo and memo.get("a") == 1 and memo.get("c") == 3
    assert memo.setdefault("c", lambda: 99) == 3  # kept, not made again
    assert memo.setdefault("d", lambda: 4) == 4 and "a" not in memo
    assert memo.pop("d") == 4 and memo.pop("d") is None
    memo.clear()
    assert len(memo) == 0


def test_a_versioned_lru_keeps_only_the_newest_version_of_each_owner() -> None:
    # Three editors typing make a new buffer version per keystroke: the versions it replaced
    # can never be asked for again, and must not fill the memo for minutes (issue #11).
    memo: Lru[tuple, str] = Lru(64, versioned=True)
    memo.put(("a.py", ("buffer", 1), (3,)), "a1 near 3")
    memo.put(("a.py", ("buffer", 1), (9,)), "a1 near 9")  # same version, other lines: kept
    memo.put(("b.py", ("disk", 4), ()), "b4")
    memo.put(("a.py", ("buffer", 2), (3,)), "a2 near 3")
    assert len(memo) == 2
    assert memo.get(("a.py", ("buffer", 1), (9,))) is None
    assert memo.get(("b.py", ("disk", 4), ())) == "b4"
    text = "x = 1\n" * 1000  # keys may be the text itself (builder.py's lines memo)
    lines: Lru[tuple, int] = Lru(64, versioned=True)
    lines.put(("a.py", text), 1)
    lines.put(("a.py", text + "y"), 2)
    lines.put(("a.py", "".join(text)), 3)  # an equal text that is another object
    assert len(lines) == 1 and lines.get(("a.py", text)) == 3


def test_a_versioned_lru_drops_old_versions_on_every_way_in_and_forgets_evicted_keys() -> None:
    memo: Lru[tuple, str] = Lru(3, versioned=True)
    memo.setdefault(("a.py", 1), lambda: "a1")
    memo.setdefault(("a.py", 2), lambda: "a2")  # line_names.py's memo comes in this way
    assert len(memo) == 1 and memo.get(("a.py", 2)) == "a2"
    for n in range(10):  # evicted keys leave no trace: b.py's versions never meet again
        memo.put((f"f{n}.py", 1), "x")
    assert sorted(memo._owned) == ["f7.py", "f8.py", "f9.py"]
    memo.put(("a.py", 3), "a3")
    memo.put(("a.py", 3, "near 9"), "a3 near 9")
    memo.pop(("a.py", 3))
    memo.put(("a.py", 4), "a4")  # supersedes what is left of version 3
    assert memo.get(("a.py", 3, "near 9")) is None and memo.get(("a.py", 4)) == "a4"
    memo.drop_where(lambda key: key[0] == "a.py")
    memo.clear()
    assert len(memo) == 0 and not memo._owned


def test_index_memos_report_their_sizes_and_clear() -> None:
    memos = IndexMemos()
    memos.resolved.put(("k",), ["a.py"])
    memos.fields.put(("k",), {})
    sizes = memos.sizes()
    assert sizes["resolved"] == 1 and sizes["fields"] == 1 and sizes["named"] == 0
    memos.clear()
    assert set(memos.sizes().values()) == {0}


def test_a_file_version_changes_with_every_committed_parse(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "a.py", "def f():\n    pass\n")
    index = WorkspaceIndex(root)
    try:
        assert index.version("a.py") == 0  # not parsed yet
        index.rescan()
        first = index.version("a.py")
        assert first > 0 and index.entry("a.py") == (index.file("a.py"), first)
        index.set_buffer("a.py", "def f():\n    pass\n").result(20)  # the same text again
        second = index.version("a.py")
        assert second > first and index.buffer("a.py") is not None
        index.clear_buffer("a.py").result(20)  # read from disk again
        assert index.version("a.py") > second and index.buffer("a.py") is None
    finally:
        index.close()


GO_MAIN = 'package main\n\nimport "example.com/lib"\n\nfunc main() { lib.Root() }\n'


def test_an_edited_go_mod_changes_how_go_imports_resolve(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    go_mod = write(root, "go.mod", "module example.com/lib\n\ngo 1.21\n")
    write(root, "root.go", "package lib\n\nfunc Root() {}\n")
    write(root, "lib/l.go", "package lib\n\nfunc L() {}\n")
    write(root, "cmd/main.go", GO_MAIN)
    write(root, "cmd/other.go", GO_MAIN)
    index = WorkspaceIndex(root)
    index.rescan()
    statement = Import('"example.com/lib"')
    try:
        assert resolve_import(index, "cmd/main.go", statement, "go") == ["root.go"]
        go_mod.write_text("module example.com/other\n\ngo 1.21\n")
        os.utime(go_mod, ns=(1, 1))  # a different mtime even on a coarse clock
        # Not memoised yet for this file: go.mod is read again (its mtime and size changed).
        assert resolve_import(index, "cmd/other.go", statement, "go") == ["lib/l.go"]
        # Memoised for main.go until the index commits the event (the watcher's update).
        index.update("go.mod")
        assert resolve_import(index, "cmd/main.go", statement, "go") == ["lib/l.go"]
    finally:
        index.close()


OWNER = "class Config:\n    def __init__(self):\n        self.store = Store()\n"


def test_the_fields_of_a_type_follow_its_file(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "config.py", OWNER)
    write(root, "main.py", "from config import Config\n")
    index = WorkspaceIndex(root)
    index.rescan()
    resolver = TypeResolver(index, "main.py", Scope(), TypeEnv(), "python")
    try:
        owner = next(r for r in index.lookup("Config") if r.path == "config.py")
        assert {n: b.call for n, b in resolver.fields(owner).items()} == {"store": "Store"}
        index.set_buffer("config.py", OWNER.replace("Store()", "Cache()")).result(20)
        owner = next(r for r in index.lookup("Config") if r.path == "config.py")
        assert {n: b.call for n, b in resolver.fields(owner).items()} == {"store": "Cache"}
        assert index.memos.sizes()["fields"] == 2  # one per version of the file
    finally:
        index.close()


def test_a_file_that_leaves_the_index_leaves_its_memos(tmp_path: Path) -> None:
    write(tmp_path, "keep.py", "def kept():\n    pass\n")
    index = WorkspaceIndex(tmp_path)
    index.build()
    index.wait_ready(10)
    for rel in ("gone.py", "keep.py"):
        index.memos.shapes.put(rel, ("shape",))
        index.memos.fields.put((rel, 1, 0, "python"), {})
        index.memos.windows.put((rel, ("disk", 1), ()), [])
    # An unsaved buffer of a file that is not on disk, then closed: the file leaves the index.
    done = index.set_buffer(tmp_path / "gone.py", "def gone():\n    pass\n")
    assert done is not None
    done.result(10)
    closed = index.clear_buffer(tmp_path / "gone.py")
    assert closed is not None
    closed.result(10)
    assert index.file("gone.py") is None
    assert "gone.py" not in index.memos.shapes and "keep.py" in index.memos.shapes
    assert [k[0] for k in index.memos.fields._data] == ["keep.py"]
    assert [k[0] for k in index.memos.windows._data] == ["keep.py"]
