"""Names found through barrel files (`export * from`): the memo in scope.py must follow edits;
and what a Rust module re-exports (`pub use`), reached through its path.

named_definitions remembers where a name was found and what the walk read of each file (its
top-level names and imports). These tests change exactly those things, and the things that
must not matter (a function body, line numbers), through editor buffers as typing does.
"""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import hint_after, write

from coderd.context.index.extract import extract
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.retrieve.scope import named_definitions, scope_of

BARREL = "export * from './first';\nexport * from './editing';\nexport * from './last';\n"
FIRST = "export function first(): number {\n  return 1;\n}\n"
EDITING = "export function helper(x: number): number {\n  return x;\n}\n"
LAST = "export class Store {\n  get(): number { return 0; }\n}\n"


def workspace(tmp_path: Path) -> WorkspaceIndex:
    root = tmp_path / "ws"
    for rel, text in (
        ("src/internal.ts", BARREL),
        ("src/first.ts", FIRST),
        ("src/editing.ts", EDITING),
        ("src/last.ts", LAST),
    ):
        write(root, rel, text)
    index = WorkspaceIndex(root)
    index.rescan()
    return index


def found(index: WorkspaceIndex, name: str) -> list[tuple[str, int]]:
    return [
        (r.path, r.definition.start_line)
        for r in named_definitions(index, name, ["src/internal.ts"], "typescript")
    ]


def test_a_name_through_a_barrel_follows_edits_of_the_files_it_passes(tmp_path: Path) -> None:
    index = workspace(tmp_path)
    try:
        assert found(index, "Store") == [("src/last.ts", 1)]
        assert found(index, "missing") == []
        # Typing in a function body of a re-exported file: the same answer.
        index.set_buffer(
            index.root / "src/editing.ts", EDITING.replace("return x;", "return x + 1;")
        ).result(20)
        assert found(index, "Store") == [("src/last.ts", 1)]
        # Lines added above a definition: its new line, not the remembered one.
        index.set_buffer(index.root / "src/last.ts", "// moved\n\n" + LAST).result(20)
        assert found(index, "Store") == [("src/last.ts", 3)]
        # A file read on the way now defines the name: it is found there first.
        index.set_buffer(index.root / "src/editing.ts", EDITING + "export class Store {}\n").result(
            20
        )
        assert found(index, "Store") == [("src/editing.ts", 4)]
        # A name nobody defined, defined now.
        index.set_buffer(index.root / "src/first.ts", FIRST + "export const missing = 2;\n").result(
            20
        )
        assert found(index, "missing") == [("src/first.ts", 4)]
        # The definition removed: gone.
        index.set_buffer(index.root / "src/first.ts", FIRST).result(20)
        assert found(index, "missing") == []
    finally:
        index.close()


def test_a_new_file_behind_a_barrel_is_found(tmp_path: Path) -> None:
    index = workspace(tmp_path)
    try:
        assert found(index, "Extra") == []
        index.set_buffer(
            index.root / "src/internal.ts", BARREL + "export * from './extra';\n"
        ).result(20)
        assert found(index, "Extra") == []  # './extra' resolves to nothing yet
        write(index.root, "src/extra.ts", "export interface Extra {\n  id: string;\n}\n")
        index.update("src/extra.ts")
        assert found(index, "Extra") == [("src/extra.ts", 1)]
    finally:
        index.close()


KV_MOD = "mod key;\nmod value;\n\npub use self::key::{Key, ToKey};\nuse self::value::Hidden;\n"
KV_KEY = "pub struct Key<'k> {\n    key: &'k str,\n}\n\npub trait ToKey {\n    fn to_key(&self) -> Key;\n}\n"
LIB = "pub mod kv;\n\npub fn log(key: kv::\n"


def test_a_rust_module_lists_what_it_re_exports_with_pub_use(tmp_path: Path) -> None:
    """log's `kv::Key`: kv/mod.rs declares nothing itself and re-exports key.rs' Key; a plain
    `use` (Hidden) is not reachable from outside the module."""
    files = {
        "src/kv/mod.rs": KV_MOD,
        "src/kv/key.rs": KV_KEY,
        "src/kv/value.rs": "pub struct Hidden;\n",
        "src/lib.rs": LIB,
    }
    hint = hint_after(tmp_path / "ws", files, "src/lib.rs", "kv::").text
    assert "pub struct Key<'k>" in hint and "pub trait ToKey" in hint
    assert "Hidden" not in hint


def test_a_rust_module_named_in_a_use_list(tmp_path: Path) -> None:
    """time's serde/mod.rs: `use crate::format_description::{modifier, Component};` then
    `modifier::Second`: the module is format_description/modifier.rs, a file of its own."""
    files = {
        "src/lib.rs": "mod format_description;\nmod serde;\n",
        "src/format_description/mod.rs": "pub mod modifier;\n\npub enum Component {\n    Second,\n}\n",
        "src/format_description/modifier.rs": "pub struct Second;\n\npub struct Minute;\n",
        "src/serde.rs": (
            "use crate::format_description::{modifier, Component};\n\n"
            "fn parts() {\n    let c = Component::Second(modifier::\n}\n"
        ),
    }
    hint = hint_after(tmp_path / "ws", files, "src/serde.rs", "modifier::").text
    assert "pub struct Second;" in hint and "pub struct Minute;" in hint


def test_a_rust_module_of_an_inline_module(tmp_path: Path) -> None:
    """rustls' lib.rs: `pub mod client { pub(super) mod handy; }`, no client.rs: the module
    `crate::client::handy` is src/client/handy.rs."""
    files = {
        "src/lib.rs": "pub mod client {\n    pub(super) mod handy;\n    mod builder;\n}\n",
        "src/client/handy.rs": "pub struct ClientSessionMemoryCache;\n",
        "src/client/builder.rs": "use crate::client::handy;\n\nfn f() {\n    handy::\n}\n",
    }
    hint = hint_after(tmp_path / "ws", files, "src/client/builder.rs", "handy::").text
    assert "pub struct ClientSessionMemoryCache;" in hint


def test_a_rust_module_path_before_the_cursor(tmp_path: Path) -> None:
    """serde_json's value/mod.rs writes `super::ser::to_writer(...)`: ser.rs' functions, not a
    type guessed from the word `ser`."""
    files = {
        "src/lib.rs": "mod ser;\nmod value;\n",
        "src/ser.rs": "pub struct Serializer;\n\npub fn to_writer<W>(writer: W) {}\n",
        "src/value/mod.rs": "fn write() {\n    super::ser::\n}\n",
    }
    hint = hint_after(tmp_path / "ws", files, "src/value/mod.rs", "super::ser::").text
    assert "pub fn to_writer<W>(writer: W)" in hint


def test_a_rust_use_tree_names_each_path_it_holds(tmp_path: Path) -> None:
    """rand's seq/index.rs: `use crate::{Rng, distributions::{Distribution, Uniform}};` puts
    Uniform under crate::distributions (re-exported there from uniform.rs), not in lib.rs;
    tracing-core's `subscriber::{self, X}` makes `subscriber` a module name too."""
    files = {
        "src/lib.rs": "pub mod distributions;\nmod subscriber;\n\npub trait Rng {}\n",
        "src/distributions/mod.rs": "pub mod uniform;\n\npub use self::uniform::Uniform;\n",
        "src/distributions/uniform.rs": "pub struct Uniform<X>(X);\n",
        "src/subscriber.rs": "pub struct NoSubscriber;\n\npub fn none() {}\n",
        "src/seq.rs": (
            "use crate::{Rng, distributions::{Uniform}, subscriber::{self, NoSubscriber}};\n"
        ),
    }
    named, modules = rust_scope(tmp_path, files, "src/seq.rs")
    assert named["Uniform"] == ["src/distributions/uniform.rs"]
    assert named["Rng"] == ["src/lib.rs"]
    assert named["NoSubscriber"] == ["src/subscriber.rs"]
    assert modules["subscriber"] == ["src/subscriber.rs"]


def test_a_rust_glob_re_export_reaches_the_module_s_names(tmp_path: Path) -> None:
    """petgraph's visit/mod.rs re-exports with `pub use self::reversed::*;`: `use
    super::Reversed` (and a `use` inside a function body) finds reversed.rs' struct; a
    plain `use self::hidden::*` re-exports nothing."""
    files = {
        "src/lib.rs": "pub mod visit;\n",
        "src/visit/mod.rs": (
            "mod reversed;\nmod hidden;\n\npub use self::reversed::*;\nuse self::hidden::*;\n"
        ),
        "src/visit/reversed.rs": "pub struct Reversed<G>(pub G);\n",
        "src/visit/hidden.rs": "pub struct Hidden;\n",
        "src/algo.rs": "fn walk() {\n    use crate::visit::{Reversed, Hidden};\n}\n",
    }
    named, _ = rust_scope(tmp_path, files, "src/algo.rs")
    assert named.get("Reversed") == ["src/visit/reversed.rs"]
    assert "Hidden" not in named


ERRNO = """use crate::Result;

pub use self::consts::*;

impl Errno {
    pub fn result(value: i32) -> Result<i32> {
        Ok(value)
    }
}

#[cfg(target_os = "linux")]
mod consts {
    pub enum Errno {
        EPERM = 1,
    }
}

#[cfg(target_os = "macos")]
mod consts {
    pub enum Errno {
        EPERM = 1,
    }
}

mod hidden {
    pub struct Hidden;
}
"""


def test_a_rust_glob_re_export_of_an_inline_module(tmp_path: Path) -> None:
    """nix's errno.rs: `pub use self::consts::*;` over one `mod consts { pub enum Errno }`
    per platform. `use crate::errno::Errno` is the first module's enum (one copy), whose
    `impl Errno` at the top level the hint after `Errno::` lists; a module not re-exported
    gives nothing."""
    files = {
        "src/lib.rs": "pub mod errno;\npub type Result<T> = std::result::Result<T, i32>;\n",
        "src/errno.rs": ERRNO,
        "src/fd.rs": "use crate::errno::{Errno, Hidden};\n\nfn close() {\n    Errno::\n}\n",
    }
    named, _ = rust_scope(tmp_path, files, "src/fd.rs")
    assert named["Errno"] == ["src/errno.rs"]
    assert "Hidden" not in named
    index = WorkspaceIndex(tmp_path / "ws")
    index.rescan()
    try:
        found = named_definitions(index, "Errno", ["src/errno.rs"], "rust")
        assert [r.definition.start_line for r in found] == [13]
    finally:
        index.close()
    hint = hint_after(tmp_path / "ws2", files, "src/fd.rs", "Errno::").text
    assert "pub fn result(value: i32) -> Result<i32>" in hint


def test_a_rust_glob_re_export_prefers_the_module_file(tmp_path: Path) -> None:
    """regex's literal/mod.rs: `pub use self::imp::*;` over `#[cfg(feature)] mod imp;` (the
    real searcher, imp.rs) and an inline stub `mod imp { .. }` without the feature: the
    file's struct."""
    files = {
        "src/lib.rs": "mod literal;\nmod exec;\n",
        "src/literal/mod.rs": (
            'pub use self::imp::*;\n\n#[cfg(feature = "perf")]\nmod imp;\n\n'
            '#[cfg(not(feature = "perf"))]\nmod imp {\n    pub struct Searcher(());\n}\n'
        ),
        "src/literal/imp.rs": "pub struct Searcher {\n    lcp: usize,\n}\n",
        "src/exec.rs": "use crate::literal::Searcher;\n",
    }
    named, _ = rust_scope(tmp_path, files, "src/exec.rs")
    assert named["Searcher"] == ["src/literal/imp.rs"]


def rust_scope(tmp_path: Path, files: dict[str, str], rel: str) -> tuple[dict, dict]:
    """What `rel`'s imports make visible: name -> its files, module alias -> files."""
    root = tmp_path / "ws"
    for path, text in files.items():
        write(root, path, text)
    index = WorkspaceIndex(root)
    index.rescan()
    try:
        scope = scope_of(index, rel, index.file(rel), "rust")
        return {name: [r.path for r in refs] for name, refs in scope.named}, scope.modules
    finally:
        index.close()


def test_a_rust_macro_s_crate_path(tmp_path: Path) -> None:
    """serde's private/doc.rs macro writes `$crate::ser::Impossible<..>`: `$crate` is the
    crate that defines the macro, so ser.rs' names."""
    files = {
        "src/lib.rs": "mod ser;\nmod doc;\n",
        "src/ser.rs": "pub struct Impossible<Ok, Error>;\n\npub trait Serializer {}\n",
        "src/doc.rs": "macro_rules! m {\n    () => {\n        type Seq = $crate::ser::\n    };\n}\n",
    }
    hint = hint_after(tmp_path / "ws", files, "src/doc.rs", "$crate::ser::").text
    assert "pub struct Impossible<Ok, Error>;" in hint


def test_a_rust_use_tree_with_comments_splits_by_path() -> None:
    """A comment inside a multi-line use list is no part of a path: each name still hangs
    from the path the parser gives it."""
    source = (
        b"use crate::{\n    // the generator\n    Rng,\n    distributions::{Uniform}, /* x */\n};\n"
        b"pub use self::reversed::*;\n"
    )
    found = [(i.module, i.names) for i in extract(source, "rust", "src/seq.rs").imports]
    assert found == [
        ("crate::{Rng}", ("Rng",)),
        ("crate::distributions::{Uniform}", ("Uniform",)),
        ("self::reversed::*", ("*",)),
    ]
