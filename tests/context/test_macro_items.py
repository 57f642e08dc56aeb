"""Rust items inside a macro call (index/macro_items.py): futures' `pin_project! { pub struct
Unfold { #[pin] state: UnfoldState } }` is a struct with fields, so `this.state.as_mut().`
after `let mut this = self.project();` lists UnfoldState's methods; a macro whose body is a
language of its own (`bitflags!`) gives no definitions. On real files through the real index."""

from __future__ import annotations

from pathlib import Path

from ctx_helpers import hint_after, make, names

from coderd.context.index.extract import extract
from coderd.context.retrieve.scope import scope_of

UNFOLD_STATE = """use core::pin::Pin;

pin_project! {
    /// UnfoldState used for stream and sink unfolds
    #[project = UnfoldStateProj]
    #[derive(Debug)]
    pub(crate) enum UnfoldState<T, R> {
        Value {
            value: T,
        },
        Empty,
    }
}

impl<T, R> UnfoldState<T, R> {
    pub(crate) fn take_value(self: Pin<&mut Self>) -> Option<T> {
        None
    }

    pub(crate) fn project_future(self: Pin<&mut Self>) -> Option<Pin<&mut R>> {
        None
    }
}
"""

UNFOLD = """use crate::unfold_state::UnfoldState;

pin_project! {
    /// Stream for the [`unfold`] function.
    #[must_use = "streams do nothing unless polled"]
    pub struct Unfold<T, F, Fut> {
        f: F,
        #[pin]
        state: UnfoldState<T, Fut>,
    }
}

bitflags! {
    pub struct Ready: usize {
        const READABLE = 0b0001;
    }
}

impl<T, F, Fut> Stream for Unfold<T, F, Fut> {
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut this = self.project();
        if let Some(state) = this.state.as_mut().
    }
}
"""
FILES = {"src/lib.rs": "mod unfold;\nmod unfold_state;\n", "src/unfold_state.rs": UNFOLD_STATE}


def test_a_struct_in_a_macro_body_is_a_definition_with_the_files_own_lines() -> None:
    symbols = extract(UNFOLD.encode(), "rust", "src/unfold.rs")
    found = {d.name: d for d in symbols.definitions}
    assert found["Unfold"].kind == "struct"
    assert (
        found["Unfold"].start_line
        == UNFOLD.split("\n").index("    pub struct Unfold<T, F, Fut> {") + 1
    )
    assert found["poll_next"].container == "Unfold"
    assert "Ready" not in found and "READABLE" not in found  # bitflags' body is not Rust


def test_macro_bodies_in_modules_and_empty_ones_are_read_in_file_order() -> None:
    """The parser takes its ranges in order: a body inside a `mod` (found after the file's
    top level) and an empty `x! {}` broke the index of mio's and rand's files."""
    source = (
        "mod a {\n    cfg_net! {\n        pub struct Inner { x: u8 }\n    }\n}\n"
        "empty! {}\ncfg_os! {\n    pub struct Outer { y: u8 }\n}\n"
    )
    found = {d.name: d for d in extract(source.encode(), "rust", "src/lib.rs").definitions}
    assert {"Inner", "Outer"} <= set(found) and found["Inner"].start_line == 3


def test_an_enum_in_pin_project_gets_its_impl_blocks_methods(tmp_path: Path) -> None:
    index = make(tmp_path, FILES)
    try:
        assert {"UnfoldState", "take_value"} <= names(index, "src/unfold_state.rs")
    finally:
        index.close()


def test_a_projected_pinned_fields_methods_follow_as_mut(tmp_path: Path) -> None:
    files = FILES | {"src/unfold.rs": UNFOLD}
    hint = hint_after(tmp_path, files, "src/unfold.rs", "this.state.as_mut().")
    assert {"take_value", "project_future"} <= {c["name"] for c in hint.chunks}


SELF_USE = """use crate::unfold_state::UnfoldState;

pub struct Holder<T, R> {
    state: UnfoldState<T, R>,
}

impl<T, R> Holder<T, R> {
    fn state(&mut self) -> &mut UnfoldState<T, R> {
        &mut self.state
    }

    fn poll(&mut self) {
        self.state().as_mut().
    }
}
"""


def test_self_and_a_chain_through_as_mut_are_typed(tmp_path: Path) -> None:
    """`Self::` in an impl lists the impl's type; `as_mut()` on a call's result gives back
    that result's type, as it does on a field."""
    files = FILES | {"src/holder.rs": SELF_USE, "src/lib.rs": "mod holder;\nmod unfold_state;\n"}
    hint = hint_after(tmp_path / "a", files, "src/holder.rs", "self.state().as_mut().")
    assert {"take_value", "project_future"} <= {c["name"] for c in hint.chunks}
    # An impl in another file than its type: `Self::` there lists the type's functions.
    files["src/make.rs"] = (
        "use crate::unfold_state::UnfoldState;\n\nimpl<T, R> UnfoldState<T, R> {\n"
        "    fn fresh() -> Self {\n        Self::\n    }\n}\n"
    )
    hint = hint_after(tmp_path / "b", files, "src/make.rs", "Self::")
    assert "take_value" in {c["name"] for c in hint.chunks}


CFG_RT = """cfg_rt! {
    mod idle_set;
    pub(crate) use idle_set::IdleSet;

    mod wake;
    pub(crate) use wake::WakerRef;
    pub(crate) struct Local { n: u8 }
}
"""


def test_the_line_being_typed_in_a_macro_body_keeps_the_bodys_other_items(
    tmp_path: Path,
) -> None:
    """tokio's `cfg_rt! { mod idle_notified_set; pub(crate) use idle_notified_set:: }`: the
    line being typed breaks one item of the body; its `mod` and `use` lines still say what the
    file names, so `idle_set::` lists the module's struct, not the methods of the type its
    name guesses."""
    typing = CFG_RT.replace("use idle_set::IdleSet;", "use idle_set::")
    symbols = extract(typing.encode(), "rust", "src/util/mod.rs")
    assert {"idle_set", "wake::WakerRef"} <= {i.module for i in symbols.imports}
    assert "Local" in {d.name for d in symbols.definitions}
    bitflags = "bitflags! {\n    pub struct Ready: usize {\n        const READABLE = 1;\n    }\n}\n"
    assert not extract(bitflags.encode(), "rust", "src/x.rs").definitions  # still not Rust
    files = {
        "src/lib.rs": "mod util;\n",
        "src/util/mod.rs": CFG_RT,
        "src/util/wake.rs": "pub(crate) struct WakerRef;\n",
        "src/util/idle_set.rs": "pub(crate) struct IdleSet<T> {\n    n: T,\n}\n\n"
        "impl<T> IdleSet<T> {\n    pub(crate) fn new() -> Self {\n        todo!()\n    }\n}\n",
    }
    hint = hint_after(
        tmp_path, files | {"src/util/mod.rs": typing}, "src/util/mod.rs", "idle_set::"
    )
    assert "pub(crate) struct IdleSet<T>" in hint.text


CFG_IF = """cfg_if! {
    if #[cfg(feature = "alloc")] {
        mod atomic;
        mod sync;
        pub use self::atomic::{Atomic, Owned};
    } else {
        pub struct Fallback;
    }
}
"""


def test_cfg_if_branches_hold_items(tmp_path: Path) -> None:
    """crossbeam-epoch's lib.rs declares its modules and re-exports inside `cfg_if! { if
    #[cfg(feature = "alloc")] { .. } }`: `use crate::{Atomic, Owned}` in sync/queue.rs
    reaches atomic.rs through them; every branch counts, whatever the configuration."""
    symbols = extract(CFG_IF.encode(), "rust", "src/lib.rs")
    assert {"atomic", "sync", "self::atomic::{Atomic, Owned}"} <= {
        i.module for i in symbols.imports
    }
    assert "Fallback" in {d.name for d in symbols.definitions}
    files = {
        "src/lib.rs": CFG_IF,
        "src/atomic.rs": "pub struct Atomic<T> {\n    data: T,\n}\n\npub struct Owned<T>(T);\n",
        "src/sync/mod.rs": "mod queue;\n",
        "src/sync/queue.rs": "use crate::{Atomic, Owned};\n\nstruct Node {\n    next: Atomic<u8>,\n}\n",
    }
    index = make(tmp_path, files)
    try:
        scope = scope_of(index, "src/sync/queue.rs", index.file("src/sync/queue.rs"), "rust")
        named = {name: [r.path for r in refs] for name, refs in scope.named}
        assert named["Atomic"] == ["src/atomic.rs"] and named["Owned"] == ["src/atomic.rs"]
    finally:
        index.close()
