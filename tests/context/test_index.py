"""The index API: background build, buffers over disk, lookups, the shared registry."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ctx_helpers import DEADLINE_S, names, wait_for, write

from coderd.context.index import buffers as buffers_module
from coderd.context.index import extract as extract_module
from coderd.context.index import workspace as index_module
from coderd.context.index.registry import IndexRegistry
from coderd.context.index.workspace import WorkspaceIndex


def test_lookup_and_stats(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "def shared():\n    pass\n")
    write(tmp_path, "b/c.go", "package b\n\nfunc shared() {}\n")
    index = WorkspaceIndex(tmp_path).build()
    assert index.wait_ready(DEADLINE_S)
    found = index.lookup("shared")
    assert [(r.path, r.definition.kind, r.definition.start_line) for r in found] == [
        ("a.py", "function", 1),
        ("b/c.go", "function", 3),
    ]
    stats = index.stats(estimate_memory=True)
    assert (stats.files, stats.definitions, stats.ready) == (2, 2, True)
    assert stats.build_ms is not None and stats.memory_bytes > 0
    index.close()


def test_query_during_build_does_not_block_and_sees_partial_data(
    tmp_path: Path, monkeypatch
) -> None:
    for i in range(6):
        write(tmp_path, f"m{i}.py", f"def f{i}():\n    pass\n")
    gate = threading.Event()
    parsed = threading.Semaphore(0)
    real_extract = extract_module.extract

    def slow_extract(source, language, path=""):
        if path != "m0.py":
            gate.wait(DEADLINE_S)  # hold the build after the first file
        parsed.release()
        return real_extract(source, language, path)

    monkeypatch.setattr(index_module, "extract", slow_extract)
    index = WorkspaceIndex(tmp_path).build()
    wait_for(lambda: index.file("m0.py") is not None, what="first file indexed")
    started = time.monotonic()
    assert [r.path for r in index.lookup("f0")] == ["m0.py"]
    assert index.lookup("f5") == []
    assert not index.ready.is_set()
    assert time.monotonic() - started < 0.5  # answered from partial data, not after the build
    gate.set()
    assert index.wait_ready(DEADLINE_S)
    assert [r.path for r in index.lookup("f5")] == ["m5.py"]
    index.close()


def test_buffers_override_disk(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "def on_disk():\n    pass\n")
    index = WorkspaceIndex(tmp_path)
    index.rescan()
    index.set_buffer(tmp_path / "a.py", "def typed():\n    pass\n").result(DEADLINE_S)
    assert names(index, "a.py") == {"typed"}
    # A disk event while the buffer is open does not replace the editor's text.
    write(tmp_path, "a.py", "def saved_elsewhere():\n    pass\n")
    index.update("a.py")
    index.rescan()
    assert names(index, "a.py") == {"typed"}
    assert index.lookup("saved_elsewhere") == []
    # Closing the buffer makes the disk the truth again.
    index.clear_buffer("a.py").result(DEADLINE_S)
    assert names(index, "a.py") == {"saved_elsewhere"}
    index.close()


def test_buffer_for_a_new_unsaved_file_and_for_a_secret(tmp_path: Path) -> None:
    index = WorkspaceIndex(tmp_path)
    index.set_buffer("new.ts", "export function fresh() {}\n").result(DEADLINE_S)
    assert [r.path for r in index.lookup("fresh")] == ["new.ts"]
    assert index.set_buffer(".env", "TOKEN=1\n") is None
    key = "K = '''-----BEGIN EC PRIVATE KEY-----'''\n"
    index.set_buffer("k.py", key).result(DEADLINE_S)
    assert index.file("k.py") is None
    assert index.set_buffer("/elsewhere/x.py", "X = 1\n") is None
    index.clear_buffer("new.ts").result(DEADLINE_S)  # never saved: gone with the buffer
    assert index.lookup("fresh") == []
    index.close()


def test_rapid_buffer_versions_end_on_the_last(tmp_path: Path) -> None:
    index = WorkspaceIndex(tmp_path)
    futures = [index.set_buffer("a.py", f"def v{i}():\n    pass\n") for i in range(50)]
    for future in futures:
        future.result(DEADLINE_S)
    assert names(index, "a.py") == {"v49"}
    index.close()


def test_names_by_their_last_word_follow_edits(tmp_path: Path) -> None:
    """`ending_in("state")`: top-level capitalised names of two words or more (a receiver
    called `state` may be a BlockState), kept right as files change and go."""
    write(tmp_path, "a.py", "class BlockState:\n    class InnerState:\n        pass\n")
    write(tmp_path, "b.py", "class InlineState:\n    pass\n\n\nclass State:\n    pass\n")
    index = WorkspaceIndex(tmp_path)
    index.rescan()

    def ending_in_state() -> list[str]:
        return [r.definition.name for r in index.ending_in("state")]

    assert ending_in_state() == ["BlockState", "InlineState"]  # not nested, not one word
    write(tmp_path, "a.py", "class BlockThing:\n    pass\n")
    index.update(tmp_path / "a.py")
    assert ending_in_state() == ["InlineState"]
    (tmp_path / "b.py").unlink()
    index.remove("b.py")
    assert ending_in_state() == [] and index.ending_in("thing")[0].path == "a.py"
    index.close()


def test_members_called_on_a_name_follow_edits(tmp_path: Path) -> None:
    """`called_on("block")`: how many files call each member on a name (`block.parse(`, the
    last name of `self.block.parse(`), the edited file left out on request; kept right as
    files change and go."""
    write(tmp_path, "a.py", "def f(block):\n    block.parse(1)\n    block.parse(2)\n")
    write(tmp_path, "b.py", "def g(self):\n    self.block.parse(3)\n    self.block.close()\n")
    write(tmp_path, "c.go", "package c\n\nfunc h() {\n\tblock.\n\t\tParse(1)\n}\n")
    index = WorkspaceIndex(tmp_path)
    index.rescan()
    assert index.called_on("block") == {"parse": 2, "close": 1, "Parse": 1}
    assert index.called_on("block", exclude="b.py") == {"parse": 1, "Parse": 1}
    write(tmp_path, "a.py", "def f(block):\n    block.close()\n")
    index.update(tmp_path / "a.py")
    assert index.called_on("block") == {"parse": 1, "close": 2, "Parse": 1}
    for rel in ("b.py", "c.go"):
        (tmp_path / rel).unlink()
        index.remove(rel)
    assert index.called_on("block") == {"close": 1} and index.called_on("self") == {}
    index.close()


def test_paths_are_made_relative_to_the_root_whatever_form_they_come_in(tmp_path: Path) -> None:
    index = WorkspaceIndex(tmp_path)
    root = str(index.root)
    assert index.relative("pkg/a.py") == "pkg/a.py"
    assert index.relative(f"{root}/pkg/a.py") == "pkg/a.py"  # an editor's absolute path
    assert index.relative(index.root / "pkg" / "a.py") == "pkg/a.py"
    assert index.relative(f"{root}/pkg/../b.py") == "b.py"  # normalised first
    assert index.relative(f"{root}/../outside.py") is None
    assert index.relative(f"{root}x/pkg/a.py") is None  # a sibling folder sharing the prefix
    assert index.relative(root) is None and index.relative(f"{root}/") is None
    index.close()


def test_the_members_a_file_gives_a_type_follow_edits(tmp_path: Path) -> None:
    write(
        tmp_path, "a.go", "package a\n\ntype T struct{}\n\nfunc (t T) B() {}\nfunc (t T) A() {}\n"
    )
    write(tmp_path, "b.go", "package a\n\nfunc (t T) C() {}\n")
    index = WorkspaceIndex(tmp_path)
    index.rescan()
    assert [d.name for d in index.members_in("a.go", "T")] == ["B", "A"]  # in file order
    assert [d.name for d in index.members_in("b.go", "T")] == ["C"]
    assert index.members_in("a.go", "U") == [] and index.members_in("c.go", "T") == []
    write(tmp_path, "a.go", "package a\n\ntype T struct{}\n\nfunc (t T) D() {}\n")
    index.update(tmp_path / "a.go")
    assert [d.name for d in index.members_in("a.go", "T")] == ["D"]
    index.close()


def test_remove_and_rename_through_the_api(tmp_path: Path) -> None:
    write(tmp_path, "pkg/a.py", "def a():\n    pass\n")
    write(tmp_path, "pkg/b.py", "def b():\n    pass\n")
    index = WorkspaceIndex(tmp_path)
    index.rescan()
    (tmp_path / "pkg").rename(tmp_path / "lib")
    index.rename("pkg", "lib")
    assert sorted(index.snapshot()) == ["lib/a.py", "lib/b.py"]
    (tmp_path / "lib" / "a.py").unlink()
    index.remove("lib/a.py")
    assert sorted(index.snapshot()) == ["lib/b.py"]
    index.close()


def test_registry_shares_one_index_per_root(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "def a():\n    pass\n")
    registry = IndexRegistry(watch=False)
    first = registry.get_or_create(tmp_path)
    second = registry.get_or_create(str(tmp_path) + "/")
    assert first is second and registry.users(tmp_path) == 2
    assert first.wait_ready(DEADLINE_S)
    registry.release(tmp_path)
    assert registry.users(tmp_path) == 1
    registry.release(tmp_path)
    assert registry.users(tmp_path) == 0
    assert registry.get_or_create(tmp_path) is not first  # a new one after the last release
    registry.close_all()


def test_a_file_the_parser_refuses_is_left_out_and_the_rest_indexed(
    tmp_path: Path, monkeypatch
) -> None:
    """An exception while extracting one file (a tree-sitter refusal) must not end the build
    or a buffer's update: that file goes unindexed, the others are found."""
    write(tmp_path, "good.py", "def fine():\n    pass\n")
    write(tmp_path, "bad.py", "def broken():\n    pass\n")
    real = extract_module.extract_with_tree

    def refusing(source: bytes, language: str, path: str = ""):
        if path == "bad.py":
            raise ValueError("Included ranges cannot overlap")
        return real(source, language, path)

    monkeypatch.setattr(buffers_module, "extract_with_tree", refusing)
    monkeypatch.setattr(index_module, "extract", lambda s, lang, p="": refusing(s, lang, p)[0])
    index = WorkspaceIndex(tmp_path).build()
    try:
        assert index.wait_ready(DEADLINE_S)
        assert [r.path for r in index.lookup("fine")] == ["good.py"] and not index.lookup("broken")
        index.set_buffer("bad.py", "def broken_again():\n    pass\n").result(DEADLINE_S)
        index.set_buffer("good.py", "def fine_again():\n    pass\n").result(DEADLINE_S)
        assert index.lookup("fine_again") and not index.lookup("broken_again")
    finally:
        index.close()
