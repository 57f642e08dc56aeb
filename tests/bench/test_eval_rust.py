"""The evaluation's Rust rules (bench/eval_rust.py): a method sample's gold is what Rust would
call there, on real files through the real index."""

from __future__ import annotations

from test_eval_sample_receivers import samples_of  # puts bench/ on the path

STREAM_EXT = """pub trait StreamExt {
    fn collect_all(self) -> usize;
}

pub trait Sealed {
    fn parse_date(&self) -> usize;
}

pub trait Parsable: Sealed {}
"""

NOT_IMPORTED = """use std::vec::Vec;

fn run(v: Vec<u8>) -> usize {
    let a = 1;
    let b = 2;
    v.into_iter().collect_all() + a + b
}
"""

IMPORTED = """use crate::ext::StreamExt;

fn run<S: StreamExt>(s: S) -> usize {
    let a = 1;
    let b = 2;
    s.collect_all() + a + b
}
"""

GLOB = """use crate::ext::*;

fn run<S>(s: S) -> usize {
    let a = 1;
    let b = 2;
    s.collect_all() + a + b
}
"""

SUPERTRAIT = """use crate::ext::Parsable;

fn run(d: &impl Parsable) -> usize {
    let a = 1;
    let b = 2;
    d.parse_date() + a + b
}
"""


def test_a_traits_method_is_a_sample_only_where_the_trait_may_be_in_scope(tmp_path):
    """futures-util's `iter.into_iter().collect()` in a file that never names StreamExt is
    the standard `Iterator::collect`; named, globbed or reached through a subtrait's bound
    (time's `impl Parsable`, whose methods are its supertrait Sealed's), it is the trait's."""
    files = {
        "Cargo.toml": "",
        "src/ext.rs": STREAM_EXT,
        "src/not_imported.rs": NOT_IMPORTED,
        "src/imported.rs": IMPORTED,
        "src/glob.rs": GLOB,
        "src/supertrait.rs": SUPERTRAIT,
    }
    samples = samples_of(tmp_path, files)
    methods = {(s["path"], s["gold_name"]) for s in samples if s["kind"] == "method"}
    assert methods == {
        ("src/imported.rs", "collect_all"),
        ("src/glob.rs", "collect_all"),
        ("src/supertrait.rs", "parse_date"),
    }


EITHER = """pub enum Either<A, B> {
    Left(A),
    Right(B),
}

impl<A, B> Either<A, B> {
    pub fn project_pair(self) -> usize {
        0
    }
}
"""

FOLD = """use crate::either::Either;

pub struct Fold<F> {
    f: F,
}

impl<F> Fold<F>
where
    F: Clone,
{
    fn poll(
        self,
        n: usize,
    ) -> usize {
        let a = 1;
        let b = 2;
        self.project_pair() + a + b + n
    }
}

fn run<A, B>(e: Either<A, B>) -> usize {
    let a = 1;
    let b = 2;
    e.project_pair() + a + b
}
"""


def test_self_of_another_project_type_does_not_call_the_only_method_of_that_name(tmp_path):
    """`self.project()` inside `impl Fold` is the method `pin_project!` writes for Fold, not
    `Either::project`, the only one written out: the impl's header spans a `where` clause
    and the method's signature several lines. A call on an Either stays a sample."""
    files = {"Cargo.toml": "", "src/either.rs": EITHER, "src/fold.rs": FOLD}
    samples = samples_of(tmp_path, files, "line")
    rows = [s["row"] for s in samples if s["gold_name"] == "project_pair"]
    assert rows == [FOLD.split("\n").index("    e.project_pair() + a + b")]


WINDOW = """pub struct Window<T> {
    inner: T,
}

impl<T: AsMut<[u8]>> AsMut<[u8]> for Window<T> {
    fn as_mut_bytes(&mut self) -> &mut [u8] {
        self.inner.as_mut()
    }
}
"""

USES_WINDOW = """use std::io;

fn run(x: &mut Vec<u8>) -> usize {
    let a = 1;
    let b = 2;
    x.as_mut_bytes().len() + a + b
}
"""


def test_a_method_of_another_crates_trait_with_nested_generics_is_no_sample(tmp_path):
    """`impl<T: AsMut<[u8]>> AsMut<[u8]> for Window<T>` implements the standard AsMut: the
    header's nested angle brackets do not hide it."""
    from eval_rust import strip_generics

    files = {"Cargo.toml": "", "src/window.rs": WINDOW, "src/use.rs": USES_WINDOW}
    samples = samples_of(tmp_path, files, "line")
    assert [s for s in samples if s["kind"] == "method"] == []
    assert strip_generics("impl<T: AsMut<[u8]>> AsMut<[u8]> for Window<T> {") == (
        "impl AsMut for Window {"
    )
    assert strip_generics("fn f<T>(x: T) -> Vec<T> {") == "fn f(x: T) -> Vec {"


LOCK = """pub struct Lock {}

pub struct Guard {}

impl Guard {
    pub fn as_pin_ref(&self) -> usize {
        0
    }
}

#[cfg(feature = "parsing")]
mod parsing {}
"""

NAMES_NOTHING = """use std::pin::Pin;

#[cfg(feature = "parsing")]
fn helper() -> usize {
    0
}

fn run() -> usize {
    let a = 1;
    let x = helper();
    x.as_pin_ref() + a
}
"""

NAMES_THE_MODULE = """use crate::lock::Lock;

fn run(l: &Lock) -> usize {
    let a = 1;
    let g = l.acquire();
    g.as_pin_ref() + a
}
"""


def test_a_method_of_a_type_the_file_cannot_reach_is_no_sample(tmp_path):
    """`this.future.as_mut().as_pin_mut()` in a file naming nothing of the module that
    defines BiLockGuard is Pin's method; a file using that module's Lock may hold a Guard.
    An inline module's name is no such word (syn's data.rs `mod parsing`, and `#[cfg(feature =
    "parsing")]` everywhere)."""
    files = {
        "Cargo.toml": "",
        "src/lock.rs": LOCK,
        "src/names_nothing.rs": NAMES_NOTHING,
        "src/names_the_module.rs": NAMES_THE_MODULE,
    }
    samples = samples_of(tmp_path, files)
    paths = {s["path"] for s in samples if s["gold_name"] == "as_pin_ref"}
    assert paths == {"src/names_the_module.rs"}
