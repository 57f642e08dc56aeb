"""Rust extension traits (coderd/context/retrieve/blanket.py): a trait that a blanket impl
gives to every type with one of its bounds is listed after the receiver's own type."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderd.context.retrieve.blanket import blanket_bounds, generic_parameters
from tests.context.ctx_helpers import hint_after, make

UTILS = """pub trait IterUtilsExt: Iterator {
    fn ex_find_map<F, R>(&mut self, f: F) -> Option<R>
    where
        F: FnMut(Self::Item) -> Option<R>,
    {
        None
    }
}

impl<I> IterUtilsExt for I where I: Iterator {}

pub trait Describe {
    fn describe(&self) -> String;
}

pub trait Shout: Describe {
    fn shout(&self) -> String;
}

impl<T: ?Sized + Describe> Shout for T {
    fn shout(&self) -> String {
        self.describe()
    }
}
"""
EDGES = """pub struct Edges {
    at: usize,
}

impl Edges {
    pub fn reset(&mut self) {}
}

impl Iterator for Edges {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        None
    }
}
"""


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        ("impl<I> IterUtilsExt for I where I: Iterator", ["I"]),
        ("impl<'a, T: ?Sized + Sink<Item>, Item> SinkExt<Item> for T", ["T", "Item"]),
        ("impl<F: Fn(u8, u8) -> bool, T> Replacer for F", ["F", "T"]),
        ("impl Iterator for Edges", []),
        ("pub fn implement<T>(x: T)", []),
    ],
)
def test_the_parameters_an_impl_declares(signature: str, expected: list[str]) -> None:
    assert generic_parameters(signature) == expected


def test_a_blanket_impl_and_its_bounds(tmp_path: Path) -> None:
    index = make(tmp_path, {"src/utils.rs": UTILS})
    trait = {
        r.definition.name: r for r in index.lookup("IterUtilsExt") if r.definition.kind == "trait"
    }
    assert blanket_bounds(index, trait["IterUtilsExt"]) == {"Iterator"}
    shout = next(r for r in index.lookup("Shout") if r.definition.kind == "trait")
    assert blanket_bounds(index, shout) == {"Describe"}  # the impl's bound and the supertrait
    describe = next(r for r in index.lookup("Describe") if r.definition.kind == "trait")
    assert blanket_bounds(index, describe) is None  # no impl gives it to every type


def test_a_typed_receiver_lists_the_extension_traits_its_type_has(tmp_path: Path) -> None:
    """petgraph's stable_graph imports IterUtilsExt to call `.ex_find_map(` on its iterators:
    an Edges (an Iterator) gets it after its own members; Shout needs a Describe impl that
    Edges does not have."""
    main = "use crate::edges::Edges;\nuse crate::utils::{IterUtilsExt, Shout};\n\n"
    main += "fn first(edges: Edges) -> Option<usize> {\n    let mut e: Edges = edges;\n    e.\n}\n"
    files = {"src/utils.rs": UTILS, "src/edges.rs": EDGES, "src/main.rs": main}
    hint = hint_after(tmp_path / "ws", files, "src/main.rs", "    e.")
    text = hint.text
    assert "e: Edges (src/edges.rs)" in text and "e: IterUtilsExt (src/utils.rs)" in text
    assert text.index("pub fn reset(&mut self)") < text.index("fn ex_find_map<F, R>")
    assert "shout" not in text


def test_an_untyped_rust_receiver_gets_the_imported_extension_traits(tmp_path: Path) -> None:
    """Nothing types `it` (a macro's value): the extension traits the file imports are the
    guess, though the file calls none of their methods yet."""
    main = "use crate::utils::IterUtilsExt;\n\nmacro_rules! m {\n    ($ty:ty) => {\n"
    main += "        fn f(it: $ty) {\n            it.\n        }\n    };\n}\n"
    files = {"src/utils.rs": UTILS, "src/main.rs": main}
    hint = hint_after(tmp_path / "ws", files, "src/main.rs", "    it.")
    assert "fn ex_find_map<F, R>" in hint.text and hint.guessed
