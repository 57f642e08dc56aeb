"""A Rust `use` inside an inline `mod name { ... }` reads its `super::` from that module, one
level below the file (extract_imports.py `_from_file`): tokio's loom/std/mod.rs holds
`pub(crate) mod cell { pub(crate) use super::unsafe_cell::UnsafeCell; }`, which every
`use crate::loom::cell::UnsafeCell` reaches through loom/mod.rs' `pub(crate) use self::std::*`.
On real files through the real index."""

from __future__ import annotations

from pathlib import Path

from test_reexports import rust_scope

from coderd.context.index.extract import extract

STD = """mod unsafe_cell;

pub(crate) mod cell {
    pub(crate) use super::unsafe_cell::UnsafeCell;
}

pub(crate) mod deeper {
    pub(crate) mod inner {
        use super::super::unsafe_cell::Other;
        use super::Sibling;
    }
}
"""

FILES = {
    "src/lib.rs": "mod loom;\nmod task;\n",
    "src/loom/mod.rs": "mod std;\npub(crate) use self::std::*;\n",
    "src/loom/std/mod.rs": STD,
    "src/loom/std/unsafe_cell.rs": "pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);\n",
    "src/task.rs": "use crate::loom::cell::UnsafeCell;\n\nstruct Core {\n    stage: UnsafeCell<u8>,\n}\n",
}


def test_super_inside_an_inline_module_is_the_files_own_module() -> None:
    modules = [i.module for i in extract(STD.encode(), "rust", "src/loom/std/mod.rs").imports]
    # Two levels down, `super::super::` is the file's; one `super::` is the outer inline module.
    assert "self::unsafe_cell::UnsafeCell" in modules
    assert "self::unsafe_cell::Other" in modules
    assert "super::Sibling" in modules  # inside `deeper`: as written
    top = extract(b"use super::x::Y;\n", "rust", "src/a/b.rs").imports
    assert [i.module for i in top] == ["super::x::Y"]  # at the top level, as written


def test_a_name_through_a_glob_and_an_inline_module_reaches_its_file(tmp_path: Path) -> None:
    named, _ = rust_scope(tmp_path, FILES, "src/task.rs")
    assert named["UnsafeCell"] == ["src/loom/std/unsafe_cell.rs"]
