"""A real watchdog observer keeps the index equal to the disk."""

from __future__ import annotations

import random
import shutil

from ctx_helpers import fresh_dump, names, settle, wait_for, write


def test_create_edit_delete(watched) -> None:
    root, index, watcher = watched
    write(root, "pkg/a.py", "def first():\n    pass\n")
    wait_for(lambda: names(index, "pkg/a.py") == {"first"}, what="create")
    write(root, "pkg/a.py", "def second():\n    pass\n")
    wait_for(lambda: names(index, "pkg/a.py") == {"second"}, what="edit")
    assert index.lookup("first") == []
    (root / "pkg/a.py").unlink()
    wait_for(lambda: index.file("pkg/a.py") is None, what="delete")
    settle(index, watcher, root)


def test_rename_file_and_directory(watched) -> None:
    root, index, watcher = watched
    write(root, "src/one.rs", "pub fn one() {}\n")
    write(root, "src/deep/two.go", "package deep\nfunc Two() {}\n")
    wait_for(lambda: len(index.snapshot()) == 2, what="initial files")
    (root / "src/one.rs").rename(root / "src/uno.rs")
    wait_for(lambda: set(index.snapshot()) == {"src/uno.rs", "src/deep/two.go"}, what="file rename")
    (root / "src").rename(root / "lib")
    wait_for(lambda: set(index.snapshot()) == {"lib/uno.rs", "lib/deep/two.go"}, what="dir rename")
    assert [r.path for r in index.lookup("Two")] == ["lib/deep/two.go"]
    shutil.rmtree(root / "lib")
    wait_for(lambda: index.snapshot() == {}, what="dir delete")
    settle(index, watcher, root)


def test_gitignored_binary_and_secret_files_never_appear(watched) -> None:
    root, index, watcher = watched
    write(root, ".gitignore", "ignored/\n*.tmp.py\n")
    write(root, "ignored/x.py", "def ignored():\n    pass\n")
    write(root, "scratch.tmp.py", "def scratch():\n    pass\n")
    write(root, ".env.py", "def env():\n    pass\n")
    write(root, "id_ecdsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n")
    write(root, "leak.py", "K = '''-----BEGIN RSA PRIVATE KEY-----'''\ndef leak(): pass\n")
    write(root, "blob.py", b"def blob(): pass\n\x00")
    write(root, "node_modules/m/index.js", "function vendored() {}\n")
    write(root, "visible.py", "def visible():\n    pass\n")  # written last: the sentinel
    wait_for(lambda: index.file("visible.py") is not None, what="sentinel")
    settle(index, watcher, root)
    assert set(index.snapshot()) == {"visible.py"}


def test_gitignore_change_rescans(watched) -> None:
    root, index, watcher = watched
    write(root, "gen/a.py", "def generated():\n    pass\n")
    wait_for(lambda: index.file("gen/a.py") is not None, what="indexed before ignore")
    write(root, ".gitignore", "gen/\n")
    wait_for(lambda: index.file("gen/a.py") is None, what="dropped once ignored")
    (root / ".gitignore").unlink()
    wait_for(lambda: index.file("gen/a.py") is not None, what="back once unignored")
    settle(index, watcher, root)


def test_storm_of_500_writes_ends_right(watched) -> None:
    root, index, watcher = watched
    for i in range(500):
        write(root, f"storm/d{i % 10}/f{i}.py", f"def f{i}():\n    pass\n")
    for i in range(0, 500, 5):  # rewrite some, delete others, within the storm
        write(root, f"storm/d{i % 10}/f{i}.py", f"def g{i}():\n    pass\n")
    for i in range(1, 500, 7):
        (root / f"storm/d{i % 10}/f{i}.py").unlink()
    settle(index, watcher, root)
    assert len(index.lookup("g0")) == 1 and index.lookup("f0") == []
    assert watcher.batches < 100  # coalesced, not one batch per event


def test_random_changes_match_a_fresh_rebuild(watched) -> None:
    """Property: whatever sequence of changes, the watched index ends equal to a rebuild."""
    root, index, watcher = watched
    rng = random.Random(1234)
    dirs = ["", "a", "a/b", "c"]
    names_pool = [f"m{i}.py" for i in range(8)] + ["t.ts", "g.go", ".env", "x.bin.py"]
    write(root, ".gitignore", "*.bin.py\n")
    for step in range(120):
        existing = [p for p in root.rglob("*") if p.is_file() and p.name != ".gitignore"]
        action = rng.choice(["create", "create", "edit", "delete", "rename", "dirmove"])
        if action == "create" or not existing:
            rel = "/".join(filter(None, [rng.choice(dirs), rng.choice(names_pool)]))
            write(root, rel, f"def s{step}():\n    pass\nclass C{step}:\n    pass\n")
        elif action == "edit":
            rng.choice(existing).write_text(f"def e{step}(x):\n    return x\n")
        elif action == "delete":
            rng.choice(existing).unlink()
        elif action == "rename":
            source = rng.choice(existing)
            target = root / rng.choice(dirs) / rng.choice(names_pool)
            target.parent.mkdir(parents=True, exist_ok=True)
            source.rename(target)
        else:
            source, target = root / rng.choice(dirs[1:]), root / f"moved{step}"
            if source.is_dir():
                source.rename(target)
    settle(index, watcher, root)
    assert index.dump() == fresh_dump(root)
    assert index.dump(), "the sequence should leave some files"


def test_stop_is_clean(watched) -> None:
    root, index, watcher = watched
    write(root, "pending.py", "def pending():\n    pass\n")
    watcher.stop()
    assert not watcher._applier.is_alive() and not watcher._observer.is_alive()
    watcher.stop()  # twice is harmless (the fixture stops it again)
