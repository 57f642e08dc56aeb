"""A Rust method returning `Self::Iter` (typed.py `results_of`): the associated type its
trait declares (`type Iter: ParallelIterator<..>;`, its first bound) or its impl defines
(`type Iter = Chars;`), so rayon's `par_iter.into_par_iter().` lists ParallelIterator's
methods, not IntoParallelIterator's."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import hint_at, write

from coderd.context.index.extract import extract

ITER = """pub trait ParallelIterator: Sized + Send {
    type Item: Send;
    fn while_some<T>(self) -> WhileSome<Self> {
        WhileSome::new(self)
    }
}

pub trait IntoParallelIterator {
    type Iter: ParallelIterator<Item = Self::Item>;
    type Item: Send;
    fn into_par_iter(self) -> Self::Iter;
}
"""
CHARS = """pub struct Chars {
    at: usize,
}

impl Chars {
    pub fn next_char(&mut self) -> char {
        'a'
    }
}

pub struct Text {
    body: String,
}

impl IntoIterator for Text {
    type Iter = Chars;
    fn into_iter(self) -> Self::Iter {
        Chars { at: 0 }
    }
}
"""
BY_BOUND = """use crate::iter::{IntoParallelIterator, ParallelIterator};

fn all<I>(par_iter: I) -> u32
where
    I: IntoParallelIterator<Item = u32>,
{
    par_iter
        .into_par_iter()
        .@@
}
"""
BY_IMPL = """use crate::chars::Text;

fn first(text: Text) -> char {
    text.into_iter().@@
}
"""


def test_a_trait_s_associated_type_is_indexed_with_its_first_bound() -> None:
    found = {
        (d.container, d.name): d.bases
        for d in extract(ITER.encode(), "rust", "src/iter/mod.rs").definitions
        if d.kind == "type"
    }
    assert found[("IntoParallelIterator", "Iter")] == ("ParallelIterator",)
    assert found[("ParallelIterator", "Item")] == ("Send",)


@pytest.mark.parametrize(
    ("rel", "source", "member"),
    [("src/all.rs", BY_BOUND, "while_some"), ("src/first.rs", BY_IMPL, "next_char")],
)
def test_self_s_associated_type_is_what_the_method_returns(
    tmp_path: Path, rel: str, source: str, member: str
) -> None:
    root = tmp_path / "ws"
    write(root, "Cargo.toml", '[package]\nname = "r"\n')
    write(root, "src/lib.rs", "pub mod chars;\npub mod iter;\n")
    write(root, "src/iter/mod.rs", ITER)
    write(root, "src/chars.rs", CHARS)
    text = source.replace("@@", "")
    write(root, rel, text)
    hint = hint_at(root, rel, text, source.index("@@"))
    assert hint is not None
    names = [c["name"] for c in hint.chunks]
    assert member in names and "Item" not in names and "Iter" not in names  # not after `.`


def test_an_associated_type_is_listed_after_the_type_s_path(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "Cargo.toml", '[package]\nname = "r"\n')
    write(root, "src/lib.rs", "pub mod chars;\n")
    write(root, "src/chars.rs", CHARS)
    source = "use crate::chars::Text;\n\nfn first() {\n    let x: Text::@@\n}\n"
    text = source.replace("@@", "")
    write(root, "src/first.rs", text)
    hint = hint_at(root, "src/first.rs", text, source.index("@@"))
    assert hint is not None and "Iter" in [c["name"] for c in hint.chunks]
